import type Database from 'better-sqlite3'

import type {LogRecord} from '../log/event-log.js'
import {KEY_COLUMN} from './view-definition.js'

/** A chunk of view changes, one per key (the last record wins), applied in key order. */
export type ViewChange = {kind: 'delete'} | {kind: 'upsert'; record: LogRecord; recordKey?: string; row: Record<string, unknown>}

/** The column where rows keep the key of the record that wrote them (views with rowsKeepRecordKey). */
export const RECORD_KEY_COLUMN = '_evt_key'

export interface TypeMismatch {
  column: string
  count: number
  /** Declared SQL type of the column. */
  expected: string
  /** Positions (topic/partition@offset) of the first records that did not fit. */
  first: string[]
  got: string
}

export interface ViewMeta {
  builtAt: string
  definition: string
  hash: string
  name: string
  table: string
}

/** Next offset to read, per topic, per partition. */
export type PartitionOffsets = Map<string, Map<number, number>>

type SqlType = 'BLOB' | 'INTEGER' | 'REAL' | 'TEXT'
/** The declared type of a column that has had no value yet: SQLite takes anything there. */
const UNTYPED = ''

const FIRST_POSITIONS = 5

/**
 * One view table in a SQLite file plus evt's own bookkeeping: `_evt_view` (name, definition and
 * its hash) and `_evt_offsets` (the next offset per partition), always written in the same
 * transaction as the rows they describe. A column takes its type from the first chunk that gives
 * it values — the kind most of them have, numbers before text in a tie — and a column that had no
 * value yet (declared without a type) is retyped when values arrive, so a resume or a follow types
 * it as a full rebuild would. A value that does not fit its column is stored as NULL and reported,
 * never coerced, and never changes the type of the others.
 */
export class ViewStore {
  readonly mismatches = new Map<string, TypeMismatch>()
  private readonly columns = new Map<string, string>()
  private upsert?: {columns: string[]; index: Map<string, number>; statement: Database.Statement}
  private readonly deleteRow: Database.Statement

  private readonly deleteByRecordKey?: Database.Statement

  constructor(
    readonly db: Database.Database,
    readonly table: string,
    options: {rowsKeepRecordKey?: boolean} = {},
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS _evt_view (name TEXT NOT NULL, definition TEXT NOT NULL, definition_hash TEXT NOT NULL, table_name TEXT NOT NULL, built_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _evt_offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${quote(table)} (${quote(KEY_COLUMN)} TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
    `)
    for (const column of db.pragma(`table_info(${quote(table)})`) as {name: string; type: string}[]) {
      if (column.name !== KEY_COLUMN) this.columns.set(column.name, column.type.toUpperCase())
    }

    if (options.rowsKeepRecordKey) {
      if (!this.columns.has(RECORD_KEY_COLUMN)) this.addColumn(RECORD_KEY_COLUMN, 'TEXT')
      this.indexRecordKeys()
      this.deleteByRecordKey = db.prepare(`DELETE FROM ${quote(table)} WHERE ${quote(RECORD_KEY_COLUMN)} = ?`)
    }

    this.deleteRow = db.prepare(`DELETE FROM ${quote(table)} WHERE ${quote(KEY_COLUMN)} = ?`)
  }

  /**
   * Applies changes in one transaction, with (when given) the offsets reached, the definition,
   * and the mapping's columns that never had a value (added as TEXT so the table has them all).
   */
  apply(changes: Map<string, ViewChange>, extra: {columns?: string[]; deletedRecordKeys?: Set<string>; meta?: ViewMeta; offsets?: PartitionOffsets} = {}): void {
    const keys = [...changes.keys()].sort()
    this.db.transaction(() => {
      // Tombstones first: rows this chunk writes again come back below, as their records came after.
      for (const recordKey of extra.deletedRecordKeys ?? []) this.deleteByRecordKey!.run(recordKey)
      this.typeColumns(keys, changes)
      for (const key of keys) {
        const change = changes.get(key)!
        if (change.kind === 'delete') this.deleteRow.run(key)
        else this.upsertRow(key, change)
      }

      for (const name of extra.columns ?? []) if (!this.columns.has(name)) this.addColumn(name, UNTYPED)
      if (extra.offsets) this.writeOffsets(extra.offsets)
      if (extra.meta) this.writeMeta(extra.meta)
    })()
  }

  meta(): undefined | ViewMeta {
    const row = this.db.prepare('SELECT name, definition, definition_hash AS hash, table_name AS "table", built_at AS builtAt FROM _evt_view').get()
    return row as undefined | ViewMeta
  }

  offsets(): PartitionOffsets {
    const rows = this.db.prepare('SELECT topic, partition, next_offset AS offset FROM _evt_offsets').all() as {offset: number; partition: number; topic: string}[]
    const offsets: PartitionOffsets = new Map()
    for (const row of rows) setOffset(offsets, row.topic, row.partition, row.offset)
    return offsets
  }

  rowCount(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${quote(this.table)}`).get() as {n: number}).n
  }

  /** Types the columns this chunk gives their first values: new ones are added, untyped ones retyped, in order of appearance. */
  private typeColumns(keys: string[], changes: Map<string, ViewChange>): void {
    const tallies = new Map<string, Map<SqlType, number>>()
    for (const key of keys) {
      const change = changes.get(key)!
      if (change.kind === 'delete') continue
      for (const name in change.row) {
        const declared = this.columns.get(name)
        if (declared !== undefined && declared !== UNTYPED) continue
        const value = toSql(change.row[name])
        if (value === null) continue
        const tally = tallies.get(name) ?? new Map<SqlType, number>()
        const type = sqlTypeOf(value)
        tally.set(type, (tally.get(type) ?? 0) + 1)
        tallies.set(name, tally)
      }
    }

    const retyped = new Map<string, SqlType>()
    for (const [name, tally] of tallies) {
      const type = majorityType(tally)
      if (this.columns.has(name)) retyped.set(name, type)
      else this.addColumn(name, type)
    }

    if (retyped.size > 0) this.retype(retyped)
  }

  /**
   * Gives columns that have held no value their type: SQLite cannot alter a column's type, so the
   * table is copied into one declared with the new types (the columns keep their order).
   */
  private retype(types: Map<string, SqlType>): void {
    for (const [name, type] of types) this.columns.set(name, type)
    const definitions = [`${quote(KEY_COLUMN)} TEXT PRIMARY KEY NOT NULL`, ...[...this.columns].map(([name, type]) => `${quote(name)} ${type}`)]
    const names = [KEY_COLUMN, ...this.columns.keys()].map((name) => quote(name)).join(', ')
    const copy = quote(`_evt_retype_${this.table}`)
    this.db.exec(`
      CREATE TABLE ${copy} (${definitions.join(', ')}) WITHOUT ROWID;
      INSERT INTO ${copy} (${names}) SELECT ${names} FROM ${quote(this.table)};
      DROP TABLE ${quote(this.table)};
      ALTER TABLE ${copy} RENAME TO ${quote(this.table)};
    `)
    if (this.deleteByRecordKey) this.indexRecordKeys()
    this.upsert = undefined
  }

  private indexRecordKeys(): void {
    this.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(`${this.table}_evt_key`)} ON ${quote(this.table)} (${quote(RECORD_KEY_COLUMN)})`)
  }

  private addColumn(name: string, type: SqlType | typeof UNTYPED): void {
    this.db.exec(`ALTER TABLE ${quote(this.table)} ADD COLUMN ${quote(name)} ${type}`)
    this.columns.set(name, type)
    this.upsert = undefined
  }

  private upsertRow(key: string, {record, recordKey, row}: Extract<ViewChange, {kind: 'upsert'}>): void {
    const upsert = this.upsertStatement()
    // Every column is written, so a field a newer record lacks becomes NULL (last write wins).
    const args: unknown[] = new Array(upsert.columns.length + 1).fill(null)
    args[0] = key
    if (this.deleteByRecordKey) args[upsert.index.get(RECORD_KEY_COLUMN)! + 1] = recordKey ?? null
    for (const name in row) {
      const value = toSql(row[name])
      if (value === null) continue
      // Every column with a value in this chunk was added by typeColumns.
      const index = upsert.index.get(name)!
      const type = sqlTypeOf(value)
      if (!fits(this.columns.get(name)!, type)) {
        this.reportMismatch(name, this.columns.get(name)!, type, record)
        continue
      }

      args[index + 1] = value
    }

    upsert.statement.run(args)
  }

  private reportMismatch(column: string, expected: string, got: string, record: LogRecord): void {
    const id = `${column}:${got}`
    const mismatch = this.mismatches.get(id) ?? {column, count: 0, expected, first: [], got}
    mismatch.count++
    if (mismatch.first.length < FIRST_POSITIONS) mismatch.first.push(positionOf(record))
    this.mismatches.set(id, mismatch)
  }

  private upsertStatement(): {columns: string[]; index: Map<string, number>; statement: Database.Statement} {
    if (this.upsert) return this.upsert
    const columns = [...this.columns.keys()]
    const names = [KEY_COLUMN, ...columns].map((name) => quote(name)).join(', ')
    const placeholders = ['?', ...columns.map(() => '?')].join(', ')
    const updates = columns.length === 0 ? 'NOTHING' : `UPDATE SET ${columns.map((name) => `${quote(name)} = excluded.${quote(name)}`).join(', ')}`
    const statement = this.db.prepare(`INSERT INTO ${quote(this.table)} (${names}) VALUES (${placeholders}) ON CONFLICT (${quote(KEY_COLUMN)}) DO ${updates}`)
    this.upsert = {columns, index: new Map(columns.map((column, i) => [column, i])), statement}
    return this.upsert
  }

  private writeMeta(meta: ViewMeta): void {
    this.db.prepare('DELETE FROM _evt_view').run()
    this.db.prepare('INSERT INTO _evt_view (name, definition, definition_hash, table_name, built_at) VALUES (?, ?, ?, ?, ?)').run(meta.name, meta.definition, meta.hash, meta.table, meta.builtAt)
  }

  private writeOffsets(offsets: PartitionOffsets): void {
    const statement = this.db.prepare('INSERT INTO _evt_offsets (topic, partition, next_offset) VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset')
    for (const [topic, partitions] of offsets) for (const [partition, offset] of partitions) statement.run(topic, partition, offset)
  }
}

export function setOffset(offsets: PartitionOffsets, topic: string, partition: number, next: number): void {
  let partitions = offsets.get(topic)
  if (!partitions) offsets.set(topic, (partitions = new Map()))
  partitions.set(partition, next)
}

/** Where a record sits, as evt prints it: topic/partition@offset. */
export function positionOf(record: LogRecord): string {
  return `${record.topic}/${record.partition}@${record.offset}`
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

/** A decoded value as SQLite stores it: objects and arrays as JSON text, booleans as 0/1. */
export function toSql(value: unknown): bigint | Buffer | null | number | string {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  if (Buffer.isBuffer(value)) return value
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner))
}

function sqlTypeOf(value: bigint | Buffer | number | string): SqlType {
  if (typeof value === 'string') return 'TEXT'
  if (Buffer.isBuffer(value)) return 'BLOB'
  if (typeof value === 'bigint' || Number.isInteger(value)) return 'INTEGER'
  return 'REAL'
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

/** Numbers fit either numeric type; text only TEXT; bytes only BLOB; an untyped column takes anything. */
function fits(declared: string, type: SqlType): boolean {
  if (declared === '') return true
  const numeric = declared === 'INTEGER' || declared === 'REAL'
  if (type === 'INTEGER' || type === 'REAL') return numeric
  return declared === type
}
