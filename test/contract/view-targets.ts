import {createHash, randomUUID} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import pg from 'pg'

export type Row = Record<string, unknown>

/**
 * Where the view contract builds its views, and how a test looks at them from outside evt: a
 * SQLite file per view, or a table in a fresh PostgreSQL database per project.
 */
export interface TargetUnderTest {
  /** A database of its own for one project's views. */
  database(dir: string): Promise<string>
  /** Runs SQL in `db` as a person would by hand (psql, sqlite3). */
  exec(db: string, sql: string): Promise<void>
  /** Something in `db` evt did not build, where a view wants to put table `table`; and a check that it is untouched. */
  foreign(dir: string, table: string): Promise<{db: string; unchanged(): Promise<boolean>}>
  /** The table's columns, rows and evt's bookkeeping, as a string: equal only when nothing changed. */
  fingerprint(db: string, table: string): Promise<string>
  kind: 'postgres' | 'sqlite'
  /** What killed builds left behind in `db`. */
  leftovers(db: string, table: string): Promise<string[]>
  /** Where view `view` is built when evt.yaml says `target: <this>`, given the project's database. */
  place(database: string, view: string): string
  /** The table's rows, ordered by its key column (`key` unless given). */
  rows(db: string, table: string, keyColumn?: string): Promise<Row[]>
}

export const sqliteTarget: TargetUnderTest = {
  async database(dir) {
    return dir
  },
  async exec(db, sql) {
    const handle = new Database(db)
    try {
      handle.exec(sql)
    } finally {
      handle.close()
    }
  },
  async foreign(dir) {
    const db = path.join(dir, `notes-${randomUUID().slice(0, 6)}.db`)
    writeFileSync(db, 'my notes, not a database\n')
    return {db, unchanged: async () => readFileSync(db, 'utf8') === 'my notes, not a database\n'}
  },
  async fingerprint(db) {
    return createHash('sha256').update(readFileSync(db)).digest('hex')
  },
  kind: 'sqlite',
  async leftovers(db) {
    const dir = path.dirname(db)
    return existsSync(dir) ? readdirSync(dir).filter((entry) => entry.startsWith(`.${path.basename(db)}.building-`)) : []
  },
  place: (dir, view) => path.join(dir, `${view}.db`),
  async rows(db, table, keyColumn = 'key') {
    const handle = new Database(db, {readonly: true})
    try {
      return handle.prepare(`SELECT * FROM ${table} ORDER BY "${keyColumn}"`).all() as Row[]
    } finally {
      handle.close()
    }
  },
}

/** The server of `npm run pg:start` (scripts/postgres): each project gets a database of its own. */
export function postgresTarget(server: string): TargetUnderTest {
  const query = async <T extends Row>(db: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    // 64-bit integers as numbers, as SQLite returns them (the values here are small); timestamps
    // (record times, whole milliseconds) as the ISO text SQLite holds.
    const parsers: Record<number, (text: string) => unknown> = {20: Number, 1184: (text) => new Date(text).toISOString()}
    const types = {getTypeParser: ((oid: number, format?: 'binary' | 'text') => parsers[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser}
    const client = new pg.Client({connectionString: db, types})
    await client.connect()
    try {
      return (await client.query<T>(sql, params)).rows
    } finally {
      await client.end()
    }
  }

  return {
    async database() {
      const name = `evt_${randomUUID().replaceAll('-', '').slice(0, 12)}`
      await query(`${server}/postgres`, `CREATE DATABASE ${name}`)
      return `${server}/${name}`
    },
    async exec(db, sql) {
      await query(db, sql)
    },
    async foreign(dir, table) {
      const db = await this.database(dir)
      await query(db, `CREATE TABLE ${table} (key text PRIMARY KEY, note text); INSERT INTO ${table} VALUES ('mine', 'a row of another application')`)
      return {db, unchanged: async () => JSON.stringify(await query(db, `SELECT * FROM ${table}`)) === JSON.stringify([{key: 'mine', note: 'a row of another application'}])}
    },
    async fingerprint(db, table) {
      const columns = await query(db, 'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [table])
      const rows = await query(db, `SELECT * FROM ${table} ORDER BY key`)
      const views = await query(db, 'SELECT * FROM _evt_views WHERE table_name = $1', [table])
      const offsets = await query(db, 'SELECT * FROM _evt_offsets WHERE table_name = $1 ORDER BY topic, partition', [table])
      return JSON.stringify({columns, offsets, rows, views})
    },
    kind: 'postgres',
    async leftovers(db) {
      const tables = await query<{tablename: string}>(db, "SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_evt\\_build\\_%'")
      return tables.map((table) => table.tablename)
    },
    place: (database) => database,
    rows: (db, table, keyColumn = 'key') => query(db, `SELECT * FROM ${table} ORDER BY "${keyColumn}"`),
  }
}
