import type {Client} from 'pg'

import {ColumnTypes, type DeclaredType, type PendingRow, type SqlType, type SqlValue, UNTYPED} from '../column-types.js'
import {type ApplyExtras, type PartitionOffsets, pendingRows, quote, RECORD_KEY_COLUMN, setOffset, type ViewChange, type ViewMeta, type ViewTable} from '../view-table.js'

/** How each kind of value is declared in PostgreSQL. */
const PG_TYPES: Record<SqlType, string> = {
  BLOB: 'bytea',
  DATE: 'date',
  DECIMAL: 'numeric',
  INTEGER: 'bigint',
  REAL: 'double precision',
  TEXT: 'text',
  TIMESTAMP: 'timestamp with time zone',
}
/** A column that has had no value yet is text marked with this comment, and typed when values arrive. */
export const UNTYPED_COMMENT = 'evt: no value yet'

interface TableOptions {
  buildId?: string
  /** The mapping's columns, created when missing: with the type `columnTypes` declares, else untyped. */
  columns: string[]
  columnTypes: Map<string, SqlType>
  keyColumn: string
  rowsKeepRecordKey: boolean
  /** A build's table: created UNLOGGED (see PostgresTarget.startBuild). */
  unlogged?: boolean
  /** The view's own table (the one a build replaces). */
  viewTable: string
}

type Keyed = {key: string; pending: PendingRow & {recordKey?: string}}

/** Another rebuild put a new build in place while a follower was writing to the old one. */
export class ViewReplaced {
  constructor(readonly table: string) {}
}

/**
 * A view table in a PostgreSQL database, with evt's bookkeeping in `_evt_views` (one row per
 * table: the definition, its hash and a build id) and `_evt_offsets`, written in the same
 * transaction as the rows. A chunk is one statement per kind of change: deletes by an array of
 * keys, upserts from arrays unnested into rows (`INSERT … SELECT FROM unnest(…) ON CONFLICT`).
 */
export class PostgresViewTable implements ViewTable {
  /**
   * Each row of a chunk costs the server an upsert, and the server works while the next chunk
   * gathers. Chunks of 100k records rather than SQLite's 20k (50k for a chunk that keeps records,
   * see ViewBuilder): over the demo's four topics, 50k instead of 20k was 8–55% faster in
   * alternating runs and 100k 4–20% faster again, for 25–60 MB more peak RSS.
   */
  readonly chunkRecords = 100_000
  readonly columnTypes: ColumnTypes
  /** The PostgreSQL type of each column: an INTEGER column widens to double precision when a fraction arrives. */
  private readonly physical = new Map<string, string>()

  private constructor(
    private readonly client: Client,
    /** The table written to: the view's own, or a build's until it is swapped in. */
    readonly table: string,
    declared: Map<string, DeclaredType>,
    private readonly options: TableOptions,
  ) {
    this.columnTypes = new ColumnTypes(declared)
  }

  /**
   * Opens `table`, creating it when missing, with the mapping's `columns` (untyped until values come,
   * in the order evt.yaml names them). With `buildId`, every apply first checks, holding the
   * lock on the bookkeeping row, that the view's table is still that build (a follower's guard).
   */
  static async open(client: Client, table: string, options: TableOptions): Promise<PostgresViewTable> {
    await client.query(`CREATE ${options.unlogged ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${quote(table)} (${quote(options.keyColumn)} text PRIMARY KEY)`)
    const {rows} = await client.query<{comment: null | string; name: string; type: string}>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, col_description(a.attrelid, a.attnum) AS comment
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [quote(table)],
    )
    const declared = new Map<string, DeclaredType>()
    const physical = new Map<string, string>()
    for (const row of rows) {
      if (row.name === options.keyColumn) continue
      declared.set(row.name, row.comment === UNTYPED_COMMENT ? UNTYPED : declaredType(row.type))
      physical.set(row.name, row.type)
    }

    const view = new PostgresViewTable(client, table, declared, options)
    for (const [name, type] of physical) view.physical.set(name, type)
    for (const name of options.columns) if (!declared.has(name)) await view.addColumn(name, options.columnTypes.get(name) ?? UNTYPED)
    if (options.rowsKeepRecordKey && !declared.has(RECORD_KEY_COLUMN)) {
      await view.addColumn(RECORD_KEY_COLUMN, 'TEXT')
      await client.query(`CREATE INDEX ON ${quote(table)} (${quote(RECORD_KEY_COLUMN)})`)
    }

    return view
  }

  async apply(changes: Map<string, ViewChange>, extras: ApplyExtras = {}): Promise<void> {
    const deletes: string[] = []
    const upserts: Keyed[] = []
    // Join views' merges, by the columns they write: one statement each.
    const merges = new Map<string, Keyed[]>()
    for (const [key, change] of changes) {
      if (change.kind === 'delete') {
        deletes.push(key)
      } else if (change.kind === 'upsert') {
        upserts.push({key, pending: change})
      } else {
        const signature = Object.keys(change.row).join(',')
        const group = merges.get(signature) ?? []
        if (group.length === 0) merges.set(signature, group)
        group.push({key, pending: change})
      }
    }

    await this.client.query('BEGIN')
    try {
      await this.requireSameBuild()
      // Tombstones first: rows this chunk writes again come back below, as their records came after.
      if (extras.deletedRecordKeys?.size) await this.client.query(`DELETE FROM ${quote(this.table)} WHERE ${quote(RECORD_KEY_COLUMN)} = ANY($1::text[])`, [[...extras.deletedRecordKeys]])
      await this.declareTypes([...pendingRows(changes)], extras.schemaTypes)
      if (deletes.length > 0) await this.client.query(`DELETE FROM ${quote(this.table)} WHERE ${quote(this.options.keyColumn)} = ANY($1::text[])`, [deletes])
      if (upserts.length > 0) await this.writeRows(upserts, [...this.columnTypes.declared.keys()])
      for (const rows of merges.values()) await this.writeRows(rows, Object.keys(rows[0].pending.row))
      if (extras.offsets) await this.writeOffsets(extras.offsets)
      if (extras.meta) await this.writeMeta(extras.meta)
      await this.client.query('COMMIT')
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {})
      throw error
    }
  }

  async meta(): Promise<undefined | ViewMeta> {
    const {rows} = await this.client.query<ViewMeta>(
      'SELECT name, definition, definition_hash AS hash, $2::text AS "table", built_at AS "builtAt" FROM _evt_views WHERE table_name = $1',
      [this.table, this.options.viewTable],
    )
    return rows[0]
  }

  async offsets(): Promise<PartitionOffsets> {
    const {rows} = await this.client.query<{offset: string; partition: number; topic: string}>('SELECT topic, partition, next_offset AS offset FROM _evt_offsets WHERE table_name = $1', [this.table])
    const offsets: PartitionOffsets = new Map()
    for (const row of rows) setOffset(offsets, row.topic, row.partition, Number(row.offset))
    return offsets
  }

  async rowCount(): Promise<number> {
    const {rows} = await this.client.query<{n: string}>(`SELECT count(*) AS n FROM ${quote(this.table)}`)
    return Number(rows[0].n)
  }

  private async requireSameBuild(): Promise<void> {
    if (this.options.buildId === undefined) return
    const {rows} = await this.client.query<{build_id: string}>('SELECT build_id FROM _evt_views WHERE table_name = $1 FOR UPDATE', [this.table])
    if (rows[0]?.build_id !== this.options.buildId) throw new ViewReplaced(this.table)
  }

  private async declareTypes(rows: PendingRow[], schemaTypes: ReadonlyMap<string, SqlType> | undefined): Promise<void> {
    const {added, typed} = this.columnTypes.typesToDeclare(rows, schemaTypes)
    for (const [name, type] of added) await this.addColumn(name, type)
    for (const [name, type] of typed) {
      // An untyped column has held no value (it is typed before its first one is written), so the cast converts only NULLs.
      await this.client.query(`ALTER TABLE ${quote(this.table)} ALTER COLUMN ${quote(name)} TYPE ${PG_TYPES[type]} USING ${quote(name)}::${PG_TYPES[type]}`)
      await this.client.query(`COMMENT ON COLUMN ${quote(this.table)}.${quote(name)} IS NULL`)
      this.columnTypes.declare(name, type)
      this.physical.set(name, PG_TYPES[type])
    }
  }

  private async addColumn(name: string, type: DeclaredType): Promise<void> {
    const pgType = type === UNTYPED ? 'text' : PG_TYPES[type]
    await this.client.query(`ALTER TABLE ${quote(this.table)} ADD COLUMN ${quote(name)} ${pgType}`)
    if (type === UNTYPED) await this.client.query(`COMMENT ON COLUMN ${quote(this.table)}.${quote(name)} IS '${UNTYPED_COMMENT}'`)
    this.columnTypes.declare(name, type)
    this.physical.set(name, pgType)
  }

  /**
   * Writes the key and `columns` of each row, inserted or updated. An upsert writes every column,
   * so a field a newer record lacks becomes NULL (last write wins); a merge only its own.
   */
  private async writeRows(upserts: Keyed[], columns: string[]): Promise<void> {
    const arrays: (null | SqlValue)[][] = columns.map(() => [])
    const recordKeyAt = columns.indexOf(RECORD_KEY_COLUMN)
    for (const {pending} of upserts) {
      const cells = this.columnTypes.cells(pending, columns, (_name, value) => typeof value !== 'string' || !value.includes('\0'))
      if (recordKeyAt >= 0) cells[recordKeyAt] = pending.recordKey ?? null
      for (const [i, cell] of cells.entries()) arrays[i].push(cell)
    }

    await this.widenForFractions(columns, arrays)
    const names = [this.options.keyColumn, ...columns].map((name) => quote(name)).join(', ')
    const sources = ['$1::text[]', ...columns.map((name, i) => `$${i + 2}::${this.physical.get(name)}[]`)].join(', ')
    const updates = columns.length === 0 ? 'NOTHING' : `UPDATE SET ${columns.map((name) => `${quote(name)} = EXCLUDED.${quote(name)}`).join(', ')}`
    await this.client.query(`INSERT INTO ${quote(this.table)} (${names}) SELECT * FROM unnest(${sources}) ON CONFLICT (${quote(this.options.keyColumn)}) DO ${updates}`, [
      upserts.map((upsert) => upsert.key),
      ...arrays,
    ])
  }

  /** A bigint column cannot hold 12.5: it becomes double precision, as SQLite would store that value as a REAL. */
  private async widenForFractions(columns: string[], arrays: (null | SqlValue)[][]): Promise<void> {
    for (const [i, name] of columns.entries()) {
      if (this.physical.get(name) !== 'bigint') continue
      if (!arrays[i].some((value) => typeof value === 'number' && !Number.isSafeInteger(value))) continue
      await this.client.query(`ALTER TABLE ${quote(this.table)} ALTER COLUMN ${quote(name)} TYPE double precision`)
      this.physical.set(name, 'double precision')
    }
  }

  private async writeMeta(meta: ViewMeta): Promise<void> {
    await this.client.query(
      `INSERT INTO _evt_views (table_name, name, definition, definition_hash, built_at, build_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (table_name) DO UPDATE SET name = EXCLUDED.name, definition = EXCLUDED.definition, definition_hash = EXCLUDED.definition_hash, built_at = EXCLUDED.built_at`,
      [this.table, meta.name, meta.definition, meta.hash, meta.builtAt, this.options.buildId ?? ''],
    )
  }

  private async writeOffsets(offsets: PartitionOffsets): Promise<void> {
    const topics: string[] = []
    const partitions: number[] = []
    const next: number[] = []
    for (const [topic, byPartition] of offsets) {
      for (const [partition, offset] of byPartition) {
        topics.push(topic)
        partitions.push(partition)
        next.push(offset)
      }
    }

    await this.client.query(
      `INSERT INTO _evt_offsets (table_name, topic, partition, next_offset) SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::bigint[])
       ON CONFLICT (table_name, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
      [this.table, topics, partitions, next],
    )
  }
}

function declaredType(pgType: string): DeclaredType {
  const entry = Object.entries(PG_TYPES).find(([, name]) => name === pgType)
  return (entry?.[0] ?? pgType.toUpperCase()) as DeclaredType
}
