import type {ValueKind} from '../codec/value-kinds.js'
import {positionOf, type RecordPosition} from '../log/event-log.js'

/**
 * The kinds of value a view column holds; each target maps them to its own types. DECIMAL,
 * TIMESTAMP and DATE come from a schema's logical types (or evt.yaml): their values are text (exact
 * decimals, ISO-8601), which a target without such types (SQLite) stores as TEXT.
 */
export type SqlType = 'BLOB' | 'DATE' | 'DECIMAL' | 'INTEGER' | 'REAL' | 'TEXT' | 'TIMESTAMP'

/** The column type for what a schema says a column's values are. */
export const SQL_TYPE_OF_KIND: Record<ValueKind, SqlType> = {
  boolean: 'INTEGER',
  date: 'DATE',
  decimal: 'DECIMAL',
  integer: 'INTEGER',
  json: 'TEXT',
  number: 'REAL',
  text: 'TEXT',
  timestamp: 'TIMESTAMP',
}

/** Types whose values are text. */
const TEXT_VALUED = new Set<DeclaredType>(['DATE', 'DECIMAL', 'TEXT', 'TIMESTAMP'])
/** The declared type of a column that has had no value yet: it takes its type from the first values that arrive. */
export const UNTYPED = ''
export type DeclaredType = SqlType | typeof UNTYPED

export type SqlValue = bigint | Buffer | number | string

export interface TypeMismatch {
  column: string
  count: number
  /** Declared SQL type of the column. */
  expected: string
  /** Positions (topic[partition]@offset) of the first records that did not fit. */
  first: string[]
  got: string
}

/** A row to write: its column values as decoded, and the record it came from (for reports). */
export interface PendingRow {
  record: RecordPosition
  row: Record<string, unknown>
}

const FIRST_POSITIONS = 5

/**
 * The columns of one view table and their types, shared by every target so that SQLite and
 * PostgreSQL type a view alike. A column takes its type from the first chunk that gives it values:
 * from their records' schema when it says (even for NULLs), else the kind most of the values have,
 * numbers before text in a tie; a column that had no value yet is typed when values arrive. A
 * value that does not fit its column is written as NULL and reported, never coerced, and never
 * changes the type of the others.
 */
export class ColumnTypes {
  readonly mismatches = new Map<string, TypeMismatch>()
  private readonly schemaIntegers = new Set<string>()

  /** `declared`: the table's columns (without the row key) in order, with their types. */
  constructor(readonly declared: Map<string, DeclaredType>) {}

  /**
   * The columns a chunk types, new ones and untyped ones: with the type `fromSchema` (the chunk's
   * records' schemas) gives, else the type the majority of their values has. Remembers which
   * columns a schema says are integers (see schemaInteger).
   */
  typesToDeclare(rows: Iterable<PendingRow>, fromSchema: ReadonlyMap<string, SqlType> = new Map()): {added: Map<string, SqlType>; typed: Map<string, SqlType>} {
    for (const [name, type] of fromSchema) if (type === 'INTEGER') this.schemaIntegers.add(name)
    const tallies = new Map<string, Map<SqlType, number>>()
    for (const {row} of rows) {
      for (const name in row) {
        const declared = this.declared.get(name)
        if ((declared !== undefined && declared !== UNTYPED) || fromSchema.has(name)) continue
        const value = toSql(row[name])
        if (value === null) continue
        const tally = tallies.get(name) ?? new Map<SqlType, number>()
        const type = sqlTypeOf(value)
        tally.set(type, (tally.get(type) ?? 0) + 1)
        tallies.set(name, tally)
      }
    }

    const added = new Map<string, SqlType>()
    const typed = new Map<string, SqlType>()
    const choose = (name: string, type: SqlType) => (this.declared.has(name) ? typed : added).set(name, type)
    for (const [name, tally] of tallies) choose(name, majorityType(tally))
    // A column the schema types is typed even while it holds only NULLs (columns are created up front).
    for (const [name, type] of fromSchema) if ((this.declared.get(name) ?? UNTYPED) === UNTYPED) choose(name, type)
    return {added, typed}
  }

  /** Records a column's (new) type. */
  declare(name: string, type: DeclaredType): void {
    this.declared.set(name, type)
  }

  /**
   * The values of `columns` for one row, in that order: NULL where the row has none, and where a
   * value does not fit its column's type (reported with the record's position).
   */
  cells(pending: PendingRow, columns: string[], fitsColumn: (name: string, value: SqlValue, type: SqlType) => boolean = () => true): (null | SqlValue)[] {
    const cells: (null | SqlValue)[] = []
    for (const name of columns) {
      const value = this.schemaInteger(name, toSql(pending.row[name]))
      if (value === null) {
        cells.push(null)
        continue
      }

      const declared = this.declared.get(name) ?? UNTYPED
      const type = sqlTypeOf(value)
      if (!fits(declared, type) || !hasForm(declared, value) || !fitsColumn(name, value, type)) {
        this.reportMismatch(name, declared, describeValue(value, type), pending.record)
        cells.push(null)
        continue
      }

      cells.push(value)
    }

    return cells
  }

  /**
   * A 64-bit integer beyond what a JavaScript number holds exactly is decoded as a decimal string
   * (Avro long, Protobuf int64): where a schema says integer, it is one.
   */
  private schemaInteger(name: string, value: null | SqlValue): null | SqlValue {
    if (typeof value !== 'string' || !this.schemaIntegers.has(name) || !/^-?\d{1,19}$/.test(value)) return value
    const integer = BigInt(value)
    // A uint64 above 2^63 - 1 fits no 64-bit column: it stays text, and is reported.
    return integer >= MIN_INT64 && integer <= MAX_INT64 ? integer : value
  }

  private reportMismatch(column: string, expected: string, got: string, record: RecordPosition): void {
    const id = `${column}:${got}`
    const mismatch = this.mismatches.get(id) ?? {column, count: 0, expected, first: [], got}
    mismatch.count++
    if (mismatch.first.length < FIRST_POSITIONS) mismatch.first.push(positionOf(record))
    this.mismatches.set(id, mismatch)
  }
}

const MIN_INT64 = -(2n ** 63n)
const MAX_INT64 = 2n ** 63n - 1n

/** A decoded value as a view stores it: objects and arrays as JSON text, booleans as 0/1. */
export function toSql(value: unknown): null | SqlValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  if (Buffer.isBuffer(value)) return value
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner))
}

/** Integers a 64-bit column holds exactly are INTEGER; other numbers (fractions, 1e20) REAL. */
export function sqlTypeOf(value: SqlValue): SqlType {
  if (typeof value === 'string') return 'TEXT'
  if (Buffer.isBuffer(value)) return 'BLOB'
  if (typeof value === 'bigint' || Number.isSafeInteger(value)) return 'INTEGER'
  return 'REAL'
}

function describeValue(value: SqlValue, type: SqlType): string {
  return typeof value === 'string' && value.includes('\0') ? 'TEXT with a NUL character' : type
}

/** The kind most values have; INTEGER and REAL count together as numbers (REAL when any is). */
function majorityType(tally: Map<SqlType, number>): SqlType {
  const count = (type: SqlType) => tally.get(type) ?? 0
  const numbers = count('INTEGER') + count('REAL')
  const numeric: SqlType = count('REAL') > 0 ? 'REAL' : 'INTEGER'
  // Ties go to the more specific kind: numbers, then bytes, then text.
  const ranked: [SqlType, number][] = [
    [numeric, numbers],
    ['BLOB', count('BLOB')],
    ['TEXT', count('TEXT')],
  ]
  return ranked.reduce((best, next) => (next[1] > best[1] ? next : best))[0]
}

/** The text forms a DECIMAL, TIMESTAMP or DATE holds: what evt decodes Avro's logical types to. */
const DATE_FORM = /^\d{4}-\d\d-\d\d$/
const DECIMAL_FORM = /^-?\d+(\.\d+)?$/
export const TIMESTAMP_FORM = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/

function hasForm(declared: DeclaredType, value: SqlValue): boolean {
  // Most columns have no form to check: decided before any regular expression runs.
  if (declared === 'TEXT' || declared === 'INTEGER' || declared === 'REAL' || declared === UNTYPED || declared === 'BLOB') return true
  // A number is a decimal as it is (JSON has no other way to write one).
  if (declared === 'DECIMAL' && typeof value !== 'string') return typeof value === 'bigint' || Number.isFinite(value)
  if (typeof value !== 'string') return false
  if (declared === 'DECIMAL') return DECIMAL_FORM.test(value)
  // The form, and a real day and time (not 2026-02-30): a database refuses those, failing the chunk.
  return (declared === 'TIMESTAMP' ? TIMESTAMP_FORM : DATE_FORM).test(value) && isRealTime(value)
}

/**
 * Whether the day and time of an ISO text that has the form exist (not 2026-02-30, not 25:00): a
 * database refuses those, and Date.parse would roll them over instead. By hand: it runs per value.
 */
const THIRTY_DAYS = new Set([4, 6, 9, 11])

function isRealTime(value: string): boolean {
  const digits = (at: number, count: number) => {
    let number = 0
    for (let i = at; i < at + count; i++) number = number * 10 + value.charCodeAt(i) - 48
    return number
  }

  const year = digits(0, 4)
  const month = digits(5, 2)
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 ? (leap ? 29 : 28) : THIRTY_DAYS.has(month) ? 30 : 31
  const day = digits(8, 2)
  if (month < 1 || month > 12 || day < 1 || day > days) return false
  return value.length === 10 || (digits(11, 2) <= 23 && digits(14, 2) <= 59 && digits(17, 2) <= 59)
}

/**
 * Numbers fit either numeric type and DECIMAL; text the text-valued ones (a target checks the form of a
 * DECIMAL, TIMESTAMP or DATE itself); bytes only BLOB; an untyped column takes anything.
 */
function fits(declared: DeclaredType, type: SqlType): boolean {
  if (declared === UNTYPED) return true
  const numeric = declared === 'INTEGER' || declared === 'REAL' || declared === 'DECIMAL'
  if (type === 'INTEGER' || type === 'REAL') return numeric
  if (type === 'TEXT') return TEXT_VALUED.has(declared)
  return declared === type
}
