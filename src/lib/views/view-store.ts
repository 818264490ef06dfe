import type Database from 'better-sqlite3'

import type {LogRecord} from '../log/event-log.js'
import {KEY_COLUMN} from './view-definition.js'

/** A chunk of view changes, one per key (the last record wins), applied in key order. */
export type ViewChange = {kind: 'delete'} | {kind: 'upsert'; record: LogRecord; row: Record<string, unknown>}

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

const FIRST_POSITIONS = 5

/**
 * One view table in a SQLite file plus evt's own bookkeeping: `_evt_view` (name, definition and
 * its hash) and `_evt_offsets` (the next offset per partition), always written in the same
 * transaction as the rows they describe. Columns appear as values for them do, typed by the first
 * value; a value of another type later is stored as NULL and reported, never coerced.
 */
export class ViewStore {
  readonly mismatches = new Map<string, TypeMismatch>()
  private readonly columns = new Map<string, string>()
  private upsert?: {columns: string[]; index: Map<string, number>; statement: Database.Statement}
  private readonly deleteRow: Database.Statement

  constructor(
    readonly db: Database.Database,
    readonly table: string,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS _evt_view (name TEXT NOT NULL, definition TEXT NOT NULL, definition_hash TEXT NOT NULL, table_name TEXT NOT NULL, built_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _evt_offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${quote(table)} (${quote(KEY_COLUMN)} TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
    `)
    for (const column of db.pragma(`table_info(${quote(table)})`) as {name: string; type: string}[]) {
      if (column.name !== KEY_COLUMN) this.columns.set(column.name, column.type.toUpperCase())
    }

    this.deleteRow = db.prepare(`DELETE FROM ${quote(table)} WHERE ${quote(KEY_COLUMN)} = ?`)
  }

  /**
   * Applies changes in one transaction, with (when given) the offsets reached, the definition,
   * and the mapping's columns that never had a value (added as TEXT so the table has them all).
   */
  apply(changes: Map<string, ViewChange>, extra: {columns?: string[]; meta?: ViewMeta; offsets?: PartitionOffsets} = {}): void {
    const keys = [...changes.keys()].sort()
    this.db.transaction(() => {
      for (const key of keys) {
        const change = changes.get(key)!
        if (change.kind === 'delete') this.deleteRow.run(key)
        else this.upsertRow(key, change.row, change.record)
      }

      for (const name of extra.columns ?? []) if (!this.columns.has(name)) this.addColumn(name, 'TEXT')
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

  private addColumn(name: string, type: SqlType): void {
    this.db.exec(`ALTER TABLE ${quote(this.table)} ADD COLUMN ${quote(name)} ${type}`)
    this.columns.set(name, type)
    this.upsert = undefined
  }

  private upsertRow(key: string, row: Record<string, unknown>, record: LogRecord): void {
    let upsert = this.upsertStatement()
    // Every column is written, so a field a newer record lacks becomes NULL (last write wins).
    const args: unknown[] = new Array(upsert.columns.length + 1).fill(null)
    args[0] = key
    for (const name in row) {
      const value = toSql(row[name])
      if (value === null) continue
      const type = sqlTypeOf(value)
      let index = upsert.index.get(name)
      if (index === undefined) {
        // New columns go last, so the positions taken so far stay right.
        this.addColumn(name, type)
        upsert = this.upsertStatement()
        args.push(null)
        index = upsert.index.get(name)!
      } else if (!fits(this.columns.get(name)!, type)) {
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

/** Numbers fit either numeric type; text only TEXT; bytes only BLOB; an untyped column takes anything. */
function fits(declared: string, type: SqlType): boolean {
  if (declared === '') return true
  const numeric = declared === 'INTEGER' || declared === 'REAL'
  if (type === 'INTEGER' || type === 'REAL') return numeric
  return declared === type
}
