import {createHash, randomUUID} from 'node:crypto'

import type {Client, ClientConfig} from 'pg'

import {EvtError, UsageError} from '../../errors.js'
import type {CompiledView} from '../view-definition.js'
import {quote} from '../view-table.js'
import type {LiveView, Row, ViewBuild, ViewTarget} from '../view-target.js'
import {PostgresViewTable, ViewReplaced} from './postgres-view-table.js'

const POSTGRES_URL = /^postgres(ql)?:\/\//i
/** PostgreSQL truncates longer names. */
const MAX_IDENTIFIER = 63
const INT8_OID = 20
const DATE_OID = 1082
const TIMESTAMPTZ_OID = 1184

/** Whether `--db` (or a view's `target:`) names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return POSTGRES_URL.test(db)
}

/** The URL as evt prints it: without a password (given in the URL, by ${VAR} in evt.yaml, or by PGPASSWORD). */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.password = ''
    parsed.search = ''
    return parsed.toString()
  } catch {
    throw new UsageError(`invalid PostgreSQL URL '${url.replace(/:[^:@/]*@/, ':***@')}'`, {hint: 'give postgres://USER@HOST:PORT/DATABASE (the password from PGPASSWORD, or ${VAR} in evt.yaml)'})
  }
}

/**
 * A view as a table in a PostgreSQL database. A build is a table of its own, registered in
 * `_evt_builds` with the server process that writes it; the swap drops the current table and
 * renames the build in one short transaction, so readers see one or the other, whole. A build
 * whose server process is gone (its client was killed) is dropped by the next rebuild of the view.
 */
export class PostgresTarget implements ViewTarget {
  readonly where: string
  private connection?: Promise<Client>

  constructor(
    private readonly url: string,
    private readonly table: string,
  ) {
    this.where = `${describePostgresUrl(url)} (table ${table})`
  }

  async close(): Promise<void> {
    const connection = this.connection
    this.connection = undefined
    if (connection) await (await connection.catch(() => undefined))?.end().catch(() => {})
  }

  explain(error: unknown): unknown {
    if (error instanceof EvtError || !isPgError(error)) return error
    const {code, message} = error as {code?: string; message: string}
    if (code === '28P01' || code === '28000') return new EvtError('AUTH_FAILED', `PostgreSQL refused the login for ${this.where}: ${message}`, {cause: error, hint: 'check the user in the URL and the password in PGPASSWORD (or ${VAR} in evt.yaml)'})
    if (code === '3D000') return new UsageError(`${message} at ${describePostgresUrl(this.url)}`, {cause: error, code: 'DATABASE_UNREACHABLE', hint: 'create it (createdb NAME), or name another database in the URL'})
    if (code?.startsWith('53')) return new EvtError('DISK_FULL', `PostgreSQL is out of resources writing ${this.where}: ${message}`, {cause: error, hint: 'free space on the database server; the current table is unchanged'})
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return new EvtError('DATABASE_ERROR', `PostgreSQL failed writing ${this.where}: ${message} (SQLSTATE ${code})`, {cause: error})
    return new EvtError('DATABASE_UNREACHABLE', `cannot reach PostgreSQL at ${describePostgresUrl(this.url)}: ${message}`, {cause: error, hint: 'is the server running and the URL right?'})
  }

  async openLive(view: CompiledView): Promise<LiveView> {
    const client = await this.client()
    await this.createBookkeeping(client)
    const buildId = await this.currentBuildId(client)
    const table = await PostgresViewTable.open(client, this.table, {buildId, columns: view.columns, columnTypes: view.columnTypes, keyColumn: view.keyColumn, rowsKeepRecordKey: view.rowsKeepRecordKey, viewTable: this.table})
    return {
      async close() {},
      isReplacedError: (error) => error instanceof ViewReplaced,
      replaced: async () => (await this.currentBuildId(client)) !== buildId,
      table,
    }
  }

  async readTable(name: string, keyColumn: string): Promise<{columns: string[]; rows: Row[]}> {
    const client = await this.client()
    const {rows: found} = await client.query<{exists: boolean}>('SELECT to_regclass($1) IS NOT NULL AS exists', [quote(name)])
    if (!found[0].exists) throw new UsageError(`${describePostgresUrl(this.url)} has no table '${name}'`, {code: 'NOT_EVT_FILE', hint: `build the view there with evt rebuild view NAME --db ${describePostgresUrl(this.url)}, or point --db at a copy of it`})
    const result = await client.query<Row>(`SELECT * FROM ${quote(name)}`)
    const columns = result.fields.map((field) => field.name)
    if (!columns.includes(keyColumn)) throw new UsageError(`table '${name}' in ${describePostgresUrl(this.url)} has no '${keyColumn}' column to match rows by`, {code: 'NOT_EVT_FILE'})
    return {columns, rows: result.rows}
  }

  async requireOwnOrAbsent(why: string): Promise<boolean> {
    const client = await this.client()
    const {rows} = await client.query<{exists: boolean}>('SELECT to_regclass($1) IS NOT NULL AS exists', [quote(this.table)])
    if (!rows[0].exists) return false
    const {rows: bookkeeping} = await client.query<{exists: boolean}>("SELECT to_regclass('_evt_views') IS NOT NULL AS exists")
    const built = bookkeeping[0].exists ? (await client.query('SELECT 1 FROM _evt_views WHERE table_name = $1', [this.table])).rowCount : 0
    if (built === 0) {
      throw new UsageError(`table '${this.table}' in ${describePostgresUrl(this.url)} was not built by evt (it has no row in _evt_views); ${why}`, {code: 'NOT_EVT_FILE', hint: "give the view another table: in evt.yaml, or another database with --db"})
    }

    return true
  }

  async startBuild(view: CompiledView, options: {copyCurrent: boolean}): Promise<ViewBuild> {
    const client = await this.client()
    await this.createBookkeeping(client)
    await this.removeAbandonedBuilds(client)
    const {rows} = await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')
    const building = buildTableName(this.table, rows[0].pid)
    await client.query('INSERT INTO _evt_builds (build_table, table_name, pid) VALUES ($1, $2, $3) ON CONFLICT (build_table) DO UPDATE SET pid = EXCLUDED.pid', [building, this.table, rows[0].pid])
    await client.query(`DROP TABLE IF EXISTS ${quote(building)}`)
    if (options.copyCurrent) await this.copyCurrent(client, building)
    const table = await PostgresViewTable.open(client, building, {columns: view.columns, columnTypes: view.columnTypes, keyColumn: view.keyColumn, rowsKeepRecordKey: view.rowsKeepRecordKey, unlogged: true, viewTable: this.table})
    return {
      commit: async () => {
        // Built UNLOGGED: the chunks' upserts write no WAL (a failed build is dropped anyway), and
        // the finished table is written to the WAL once, in its own transaction before the swap,
        // so the swap holds its lock for no longer than before.
        await client.query(`ALTER TABLE ${quote(building)} SET LOGGED`)
        await this.swap(client, building)
      },
      discard: async () => {
        // After a lost connection there is nothing to drop here: the next rebuild removes the leftover.
        await client.query(`DROP TABLE IF EXISTS ${quote(building)}`).catch(() => {})
        await client.query('DELETE FROM _evt_builds WHERE build_table = $1', [building]).catch(() => {})
        await client.query('DELETE FROM _evt_offsets WHERE table_name = $1', [building]).catch(() => {})
        await client.query('DELETE FROM _evt_views WHERE table_name = $1', [building]).catch(() => {})
      },
      table,
    }
  }

  /** Resume: the build starts as a copy of the current table, with its definition and offsets. */
  private async copyCurrent(client: Client, building: string): Promise<void> {
    await client.query('BEGIN')
    try {
      await client.query(`CREATE UNLOGGED TABLE ${quote(building)} (LIKE ${quote(this.table)} INCLUDING ALL)`)
      await client.query(`INSERT INTO ${quote(building)} SELECT * FROM ${quote(this.table)}`)
      await client.query('INSERT INTO _evt_views (table_name, name, definition, definition_hash, built_at, build_id) SELECT $2, name, definition, definition_hash, built_at, build_id FROM _evt_views WHERE table_name = $1', [this.table, building])
      await client.query('INSERT INTO _evt_offsets (table_name, topic, partition, next_offset) SELECT $2, topic, partition, next_offset FROM _evt_offsets WHERE table_name = $1', [this.table, building])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    }
  }

  /**
   * One short transaction: the bookkeeping row is locked first (a follower of the current table
   * holds it while it writes a batch), then the current table is dropped and the build renamed in
   * its place, with its definition, offsets and a new build id.
   */
  private async swap(client: Client, building: string): Promise<void> {
    await client.query('BEGIN')
    try {
      await client.query('SELECT 1 FROM _evt_views WHERE table_name = $1 FOR UPDATE', [this.table])
      await client.query(`DROP TABLE IF EXISTS ${quote(this.table)}`)
      await client.query(`ALTER TABLE ${quote(building)} RENAME TO ${quote(this.table)}`)
      await this.renameIndexes(client)
      await client.query('DELETE FROM _evt_views WHERE table_name = $1', [this.table])
      await client.query('DELETE FROM _evt_offsets WHERE table_name = $1', [this.table])
      await client.query('UPDATE _evt_views SET table_name = $1, build_id = $3 WHERE table_name = $2', [this.table, building, randomUUID()])
      await client.query('UPDATE _evt_offsets SET table_name = $1 WHERE table_name = $2', [this.table, building])
      await client.query('DELETE FROM _evt_builds WHERE build_table = $1', [building])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    }
  }

  /** The build's indexes get names of the view's table, so the next build can take its own again. */
  private async renameIndexes(client: Client): Promise<void> {
    const {rows} = await client.query<{index: string; primary: boolean}>(
      'SELECT c.relname AS index, i.indisprimary AS primary FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass',
      [quote(this.table)],
    )
    for (const {index, primary} of rows) {
      const name = identifier(`${this.table}_${primary ? 'pkey' : 'evt_key_idx'}`)
      if (index === name) continue
      await client.query(primary ? `ALTER TABLE ${quote(this.table)} RENAME CONSTRAINT ${quote(index)} TO ${quote(name)}` : `ALTER INDEX ${quote(index)} RENAME TO ${quote(name)}`)
    }
  }

  /** Builds of this view whose server process has ended: their client was killed, or lost its connection. */
  private async removeAbandonedBuilds(client: Client): Promise<void> {
    const {rows} = await client.query<{build_table: string}>('SELECT build_table FROM _evt_builds WHERE table_name = $1 AND pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)', [this.table])
    for (const {build_table: building} of rows) {
      await client.query(`DROP TABLE IF EXISTS ${quote(building)}`)
      for (const bookkeeping of ['_evt_builds', '_evt_views', '_evt_offsets']) {
        await client.query(`DELETE FROM ${bookkeeping} WHERE ${bookkeeping === '_evt_builds' ? 'build_table' : 'table_name'} = $1`, [building])
      }
    }
  }

  /** evt's bookkeeping tables, created by the first build or follower only: a diff or a refusal writes nothing. */
  private async createBookkeeping(client: Client): Promise<void> {
    await client.query(`
      CREATE TABLE IF NOT EXISTS _evt_views (table_name text PRIMARY KEY, name text NOT NULL, definition text NOT NULL, definition_hash text NOT NULL, built_at text NOT NULL, build_id text NOT NULL);
      CREATE TABLE IF NOT EXISTS _evt_offsets (table_name text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL, PRIMARY KEY (table_name, topic, partition));
      CREATE TABLE IF NOT EXISTS _evt_builds (build_table text PRIMARY KEY, table_name text NOT NULL, pid integer NOT NULL);
    `)
  }

  private async currentBuildId(client: Client): Promise<string | undefined> {
    const {rows} = await client.query<{build_id: string}>('SELECT build_id FROM _evt_views WHERE table_name = $1', [this.table])
    return rows[0]?.build_id
  }

  private client(): Promise<Client> {
    this.connection ??= this.connect()
    return this.connection
  }

  private async connect(): Promise<Client> {
    const {default: pg} = await import('pg')
    const config: ClientConfig = {
      application_name: 'evt',
      connectionString: this.url,
      connectionTimeoutMillis: 10_000,
      // Row values as evt compares them: 64-bit integers as numbers while exact, else as BigInt;
      // dates and timestamps as the ISO text evt decodes them to (node-postgres would make Dates).
      types: {
        getTypeParser: ((oid: number, format?: 'binary' | 'text') => TEXT_PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    }
    const client = new pg.Client(config)
    // A dropped connection surfaces as the failure of the query in flight; this keeps it from also crashing the process.
    client.on('error', () => {})
    try {
      await client.connect()
      // Timestamps are written and read in UTC (the Z of ISO-8601).
      await client.query("SET client_min_messages = warning; SET TIME ZONE 'UTC'")
    } catch (error) {
      await client.end().catch(() => {})
      throw this.explain(error)
    }

    return client
  }
}

const TEXT_PARSERS: Record<number, (text: string) => unknown> = {
  [INT8_OID]: (text) => (Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text)),
  [DATE_OID]: (text) => text,
  [TIMESTAMPTZ_OID]: isoTimestamp,
}

/** `2026-01-05 10:00:00.12+00` (PostgreSQL, in UTC) as `2026-01-05T10:00:00.120Z`: milliseconds, or all the digits there are. */
function isoTimestamp(text: string): string {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?\+00$/.exec(text)
  return match ? `${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(3, '0')}Z` : text
}

/** `_evt_build_PID_TABLE`, or a hash of the table when that is too long for PostgreSQL. */
function buildTableName(table: string, pid: number): string {
  const name = `_evt_build_${pid}_${table}`
  return name.length <= MAX_IDENTIFIER ? name : `_evt_build_${pid}_${createHash('sha256').update(table).digest('hex').slice(0, 16)}`
}

function identifier(name: string): string {
  return name.length <= MAX_IDENTIFIER ? name : name.slice(0, MAX_IDENTIFIER)
}

/** node-postgres errors: a server error (with a SQLSTATE), a socket's (ECONNREFUSED, …), a lost or timed-out connection. */
function isPgError(error: unknown): boolean {
  return error instanceof Error && (typeof (error as {code?: unknown}).code === 'string' || /connection|timeout/i.test(error.message))
}
