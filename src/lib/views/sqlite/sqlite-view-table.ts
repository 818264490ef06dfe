import type Database from 'better-sqlite3'

import {ColumnTypes, type DeclaredType, type PendingRow, type SqlType, UNTYPED} from '../column-types.js'
import {KEY_COLUMN} from '../view-definition.js'
import {type ApplyExtras, type PartitionOffsets, pendingRows, quote, RECORD_KEY_COLUMN, setOffset, type ViewChange, type ViewMeta, type ViewTable} from '../view-table.js'

/**
 * How each type is declared. SQLite has no decimal or date types: DECIMAL, TIMESTAMP and DATE are
 * TEXT, its own convention for ISO-8601 dates (a declared DECIMAL would have NUMERIC affinity and
 * turn "12.50" into the float 12.5).
 */
const SQLITE_TYPES: Record<DeclaredType, string> = {'': '', BLOB: 'BLOB', DATE: 'TEXT', DECIMAL: 'TEXT', INTEGER: 'INTEGER', REAL: 'REAL', TEXT: 'TEXT', TIMESTAMP: 'TEXT'}

/** The statement that writes every column, and where `_evt_key` is among them (-1: not there). */
type Upsert = {columns: string[]; recordKeyAt: number; statement: Database.Statement}

/**
 * A view table in a SQLite file, with `_evt_view` (name, definition and its hash) and
 * `_evt_offsets` (the next offset per partition) next to it. SQLite cannot change a column's
 * type, so a column that had no value yet is declared without one and, when values arrive, the
 * table is copied into one declared with the new types.
 */
export class SqliteViewTable implements ViewTable {
  /** Larger chunks measured no faster here (SQLite writes on this thread) and hold more records. */
  readonly chunkRecords = 20_000
  readonly columnTypes: ColumnTypes
  private upsert?: Upsert
  /** Statements that write some columns of a row (join views), by the columns they write. */
  private merges = new Map<string, Database.Statement>()
  private readonly keyColumn: string
  private readonly deleteRow: Database.Statement
  private readonly deleteByRecordKey?: Database.Statement

  constructor(
    readonly db: Database.Database,
    readonly table: string,
    /**
     * `columns`: the mapping's, created up front so a table has them in the order evt.yaml names
     * them — with the type `columnTypes` declares, else untyped until values come.
     */
    options: {columns?: string[]; columnTypes?: Map<string, SqlType>; keyColumn?: string; rowsKeepRecordKey?: boolean} = {},
  ) {
    const keyColumn = (this.keyColumn = options.keyColumn ?? KEY_COLUMN)
    db.exec(`
      CREATE TABLE IF NOT EXISTS _evt_view (name TEXT NOT NULL, definition TEXT NOT NULL, definition_hash TEXT NOT NULL, table_name TEXT NOT NULL, built_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS _evt_offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${quote(table)} (${quote(keyColumn)} TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
    `)
    const declared = new Map<string, DeclaredType>()
    for (const column of db.pragma(`table_info(${quote(table)})`) as {name: string; type: string}[]) {
      if (column.name !== keyColumn) declared.set(column.name, column.type.toUpperCase() as DeclaredType)
    }

    this.columnTypes = new ColumnTypes(declared)
    for (const name of options.columns ?? []) if (!declared.has(name)) this.addColumn(name, options.columnTypes?.get(name) ?? UNTYPED)
    if (options.rowsKeepRecordKey) {
      if (!declared.has(RECORD_KEY_COLUMN)) this.addColumn(RECORD_KEY_COLUMN, 'TEXT')
      this.indexRecordKeys()
      this.deleteByRecordKey = db.prepare(`DELETE FROM ${quote(table)} WHERE ${quote(RECORD_KEY_COLUMN)} = ?`)
    }

    this.deleteRow = db.prepare(`DELETE FROM ${quote(table)} WHERE ${quote(keyColumn)} = ?`)
  }

  async apply(changes: Map<string, ViewChange>, extras: ApplyExtras = {}): Promise<void> {
    this.applyNow(changes, extras)
  }

  async meta(): Promise<undefined | ViewMeta> {
    const row = this.db.prepare('SELECT name, definition, definition_hash AS hash, table_name AS "table", built_at AS builtAt FROM _evt_view').get()
    return row as undefined | ViewMeta
  }

  async offsets(): Promise<PartitionOffsets> {
    const rows = this.db.prepare('SELECT topic, partition, next_offset AS offset FROM _evt_offsets').all() as {offset: number; partition: number; topic: string}[]
    const offsets: PartitionOffsets = new Map()
    for (const row of rows) setOffset(offsets, row.topic, row.partition, row.offset)
    return offsets
  }

  async rowCount(): Promise<number> {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${quote(this.table)}`).get() as {n: number}).n
  }

  private applyNow(changes: Map<string, ViewChange>, extras: ApplyExtras): void {
    const keys = [...changes.keys()].sort()
    this.db.transaction(() => {
      // Tombstones first: rows this chunk writes again come back below, as their records came after.
      for (const recordKey of extras.deletedRecordKeys ?? []) this.deleteByRecordKey!.run(recordKey)
      this.declareTypes(pendingRows(changes), extras.schemaTypes)
      for (const key of keys) {
        const change = changes.get(key)!
        if (change.kind === 'upsert') this.upsertRow(key, change)
        else if (change.kind === 'merge') this.mergeRow(key, change)
        else this.deleteRow.run(key)
      }

      if (extras.offsets) this.writeOffsets(extras.offsets)
      if (extras.meta) this.writeMeta(extras.meta)
    })()
  }

  private declareTypes(rows: Iterable<PendingRow>, schemaTypes: ReadonlyMap<string, SqlType> | undefined): void {
    const {added, typed} = this.columnTypes.typesToDeclare(rows, schemaTypes)
    for (const [name, type] of added) this.addColumn(name, type)
    if (typed.size > 0) this.retype(typed)
  }

  /** Copies the table into one declared with the new types (the columns keep their order). */
  private retype(types: Map<string, SqlType>): void {
    for (const [name, type] of types) this.columnTypes.declare(name, type)
    const columns = [...this.columnTypes.declared]
    const definitions = [`${quote(this.keyColumn)} TEXT PRIMARY KEY NOT NULL`, ...columns.map(([name, type]) => `${quote(name)} ${SQLITE_TYPES[type]}`)]
    const names = [this.keyColumn, ...columns.map(([name]) => name)].map((name) => quote(name)).join(', ')
    const copy = quote(`_evt_retype_${this.table}`)
    this.db.exec(`
      CREATE TABLE ${copy} (${definitions.join(', ')}) WITHOUT ROWID;
      INSERT INTO ${copy} (${names}) SELECT ${names} FROM ${quote(this.table)};
      DROP TABLE ${quote(this.table)};
      ALTER TABLE ${copy} RENAME TO ${quote(this.table)};
    `)
    if (this.deleteByRecordKey) this.indexRecordKeys()
    this.forgetStatements()
  }

  private forgetStatements(): void {
    this.upsert = undefined
    this.merges.clear()
  }

  private indexRecordKeys(): void {
    this.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(`${this.table}_evt_key`)} ON ${quote(this.table)} (${quote(RECORD_KEY_COLUMN)})`)
  }

  private addColumn(name: string, type: DeclaredType): void {
    this.db.exec(`ALTER TABLE ${quote(this.table)} ADD COLUMN ${quote(name)} ${SQLITE_TYPES[type]}`)
    this.columnTypes.declare(name, type)
    this.forgetStatements()
  }

  /** Every column is written, so a field a newer record lacks becomes NULL (last write wins). */
  private upsertRow(key: string, pending: PendingRow & {recordKey?: string}): void {
    const upsert = this.upsertStatement()
    const cells: unknown[] = this.columnTypes.cells(pending, upsert.columns)
    if (upsert.recordKeyAt >= 0) cells[upsert.recordKeyAt] = pending.recordKey ?? null
    upsert.statement.run(key, ...cells)
  }

  /** Only the row's columns are written: a join view's other topics keep theirs. */
  private mergeRow(key: string, pending: PendingRow): void {
    const columns = Object.keys(pending.row)
    const signature = columns.join(',')
    let statement = this.merges.get(signature)
    if (!statement) this.merges.set(signature, (statement = this.writeStatement(columns)))
    statement.run(key, ...this.columnTypes.cells(pending, columns))
  }

  private upsertStatement(): Upsert {
    if (this.upsert) return this.upsert
    const columns = [...this.columnTypes.declared.keys()]
    this.upsert = {columns, recordKeyAt: this.deleteByRecordKey ? columns.indexOf(RECORD_KEY_COLUMN) : -1, statement: this.writeStatement(columns)}
    return this.upsert
  }

  /** INSERT of the key and `columns`, or, when the row is there, an UPDATE of just those columns. */
  private writeStatement(columns: string[]): Database.Statement {
    const names = [this.keyColumn, ...columns].map((name) => quote(name)).join(', ')
    const placeholders = ['?', ...columns.map(() => '?')].join(', ')
    const updates = columns.length === 0 ? 'NOTHING' : `UPDATE SET ${columns.map((name) => `${quote(name)} = excluded.${quote(name)}`).join(', ')}`
    return this.db.prepare(`INSERT INTO ${quote(this.table)} (${names}) VALUES (${placeholders}) ON CONFLICT (${quote(this.keyColumn)}) DO ${updates}`)
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

