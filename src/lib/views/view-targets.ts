import path from 'node:path'

import {isPostgresUrl, PostgresTarget} from './postgres/postgres-target.js'
import {defaultViewFile} from './sqlite/view-file.js'
import {SqliteTarget} from './sqlite/sqlite-target.js'
import type {CompiledView} from './view-definition.js'
import type {ViewTarget} from './view-target.js'

/**
 * Where a view is built: `db` (--db) if given, else the view's `target:` in evt.yaml (a relative
 * path from evt.yaml's directory), else its file under EVT_HOME. A postgres:// URL is a table of
 * the view's table in that database (node-postgres loads only then); anything else a SQLite file.
 */
export function viewTarget(view: CompiledView, options: {configDir: string; db?: string; home: string}): ViewTarget {
  const db = options.db ?? view.target
  if (db !== undefined && isPostgresUrl(db)) return new PostgresTarget(db, view.table)

  if (options.db !== undefined) return new SqliteTarget(path.resolve(options.db))
  return new SqliteTarget(db === undefined ? defaultViewFile(options.home, view.name) : path.resolve(options.configDir, db))
}
