import {copyFileSync, statSync} from 'node:fs'

import {EvtError, UsageError} from '../../errors.js'
import {EVT_APPLICATION_ID, requireSqliteFile} from '../../util/sqlite-file.js'
import type {CompiledView} from '../view-definition.js'
import {quote} from '../view-table.js'
import type {LiveView, Row, ViewBuild, ViewTarget} from '../view-target.js'
import {SqliteViewTable} from './sqlite-view-table.js'
import {buildingPath, openSqlite, removeAbandonedBuilds, removeBuild, replaceAtomically, requireViewFileOrAbsent} from './view-file.js'

/**
 * A view in its own SQLite file. A build is a new file next to it, renamed over it when complete;
 * a live writer notices when another rebuild renames a new file over the path (its device and
 * inode change) and the writes it would make to the old, unlinked file are refused by SQLite.
 */
export class SqliteTarget implements ViewTarget {
  constructor(readonly file: string) {}

  get where(): string {
    return this.file
  }

  async close(): Promise<void> {}

  explain(error: unknown): unknown {
    if ((error as {code?: string}).code === 'SQLITE_FULL') {
      return new EvtError('DISK_FULL', `the disk is full: the view could not be written; ${this.file} is unchanged`, {cause: error, hint: 'free some space, or --db a path on another disk'})
    }

    return error
  }

  async openLive(view: CompiledView): Promise<LiveView> {
    const table = new SqliteViewTable(await openSqlite(this.file), view.table, view)
    table.db.pragma('busy_timeout = 5000')
    const identity = fileIdentity(this.file)
    return {
      async close() {
        table.db.close()
      },
      isReplacedError: (error) => (error as {code?: string}).code === 'SQLITE_READONLY_DBMOVED',
      replaced: async () => fileIdentity(this.file) !== identity,
      table,
    }
  }

  async readTable(name: string, keyColumn: string): Promise<{columns: string[]; rows: Row[]}> {
    requireSqliteFile(this.file)
    const db = await openSqlite(this.file, {readonly: true})
    try {
      const columns = (db.pragma(`table_info(${quote(name)})`) as {name: string}[]).map((c) => c.name)
      if (columns.length === 0) throw new UsageError(`${this.file} has no table '${name}'`, {code: 'NOT_EVT_FILE', hint: 'point --db at a copy of this view'})
      if (!columns.includes(keyColumn)) throw new UsageError(`table '${name}' in ${this.file} has no '${keyColumn}' column to match rows by`, {code: 'NOT_EVT_FILE'})
      return {columns, rows: db.prepare(`SELECT * FROM ${quote(name)}`).all() as Row[]}
    } finally {
      db.close()
    }
  }

  requireOwnOrAbsent(why: string): Promise<boolean> {
    return requireViewFileOrAbsent(this.file, why)
  }

  async startBuild(view: CompiledView, options: {copyCurrent: boolean}): Promise<ViewBuild> {
    removeAbandonedBuilds(this.file)
    const building = buildingPath(this.file)
    try {
      if (options.copyCurrent) copyFileSync(this.file, building)
      const table = new SqliteViewTable(await openSqlite(building), view.table, view)
      // Marked as evt's: a later rebuild or diff tells it from another application's database.
      table.db.pragma(`application_id = ${EVT_APPLICATION_ID}`)
      tuneForBulkLoad(table)
      return {
        commit: async () => {
          table.db.close()
          replaceAtomically(building, this.file)
        },
        async discard() {
          if (table.db.open) table.db.close()
          removeBuild(building)
        },
        table,
      }
    } catch (error) {
      removeBuild(building)
      throw error
    }
  }
}

/** Device and inode: what a rename over the path changes. Undefined once nothing is there. */
function fileIdentity(file: string): string | undefined {
  const stat = statSync(file, {bigint: true, throwIfNoEntry: false})
  return stat && `${stat.dev}:${stat.ino}`
}

/** The build file is discarded on failure, so it needs no journal and no fsync per transaction. */
function tuneForBulkLoad({db}: SqliteViewTable): void {
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  db.pragma('locking_mode = EXCLUSIVE')
  db.pragma('cache_size = -65536')
  db.pragma('temp_store = MEMORY')
}
