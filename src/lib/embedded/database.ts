import type Database from 'better-sqlite3'
import {accessSync, constants, existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {ConfigError, NotFoundError, UsageError} from '../errors.js'
import {EVT_APPLICATION_ID, loadSqlite, makeDirectories, requireSqliteFile, retryWhileBusy} from '../util/sqlite-file.js'

/** Both embedded seams live in one SQLite file; this opens it and brings its tables up to date. */
export type EmbeddedDatabase = Database.Database

const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS partitions (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  last_offset INTEGER NOT NULL,
  max_timestamp INTEGER NOT NULL,
  records BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_by_offset ON batches (topic_id, partition, base_offset);
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS schemas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schema_type TEXT NOT NULL,
  schema TEXT NOT NULL,
  refs TEXT NOT NULL,
  fingerprint TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS subject_versions (
  subject TEXT NOT NULL,
  version INTEGER NOT NULL,
  schema_id INTEGER NOT NULL REFERENCES schemas (id),
  PRIMARY KEY (subject, version)
);
CREATE INDEX IF NOT EXISTS subject_versions_by_schema ON subject_versions (schema_id);
CREATE TABLE IF NOT EXISTS compatibility (
  subject TEXT PRIMARY KEY,
  level TEXT NOT NULL
);
`

/** Tables that make an unstamped file a log written by an evt from before the application_id. */
const LEGACY_TABLES = ['batches', 'partitions', 'topics']
const NOT_OURS_HINT = 'move that file away, or set EVT_HOME to another directory'

export interface OpenEmbeddedOptions {
  /**
   * Create the file (and its directory) when it does not exist: only for commands that write the
   * log. Without it a missing file is EMBEDDED_LOG_NOT_FOUND and nothing is created on disk.
   */
  create?: boolean
  /** The directory the path in the error is shown relative to (default: the process's). */
  cwd?: string
}

/**
 * Opens the embedded log, creating it only with `create`. Without it the connection is still
 * read-write, not SQLite's `readonly`: a read-only connection to a WAL database creates the -wal
 * and -shm files but cannot remove them when it closes (only a connection that can checkpoint
 * does), so every read would leave them behind; a read-write one removes them on the last close.
 * Opening an existing log never writes to it: the pragmas and the CREATE TABLE IF NOT EXISTS
 * below are no-ops on a log evt has created (a log from before the application_id is stamped
 * once), and readers never block the writers (WAL). Another application's file is refused.
 */
export async function openEmbeddedDatabase(file: string, {create = false, cwd = process.cwd()}: OpenEmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const dir = path.dirname(file)
  if (create) {
    try {
      makeDirectories(dir)
      accessSync(dir, constants.W_OK)
    } catch (error) {
      throw new ConfigError(`cannot write to ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        cause: error,
        hint: 'set EVT_HOME to a writable directory',
      })
    }
  } else if (!existsSync(file)) {
    throw embeddedLogNotFound(file, cwd)
  }

  // Refuse another application's file before SQLite even opens it.
  if (existsSync(file) && statSync(file).size > 0) {
    const applicationId = requireSqliteFile(file, NOT_OURS_HINT)
    if (applicationId !== 0 && applicationId !== EVT_APPLICATION_ID) throw notEvtFile(file, `its application_id is ${applicationId}`)
  }

  const Sqlite = await loadSqlite()
  let db: EmbeddedDatabase
  try {
    // fileMustExist also closes the race with a file removed since the check above.
    db = new Sqlite(file, {fileMustExist: !create, timeout: 10_000})
  } catch (error) {
    if (!create && !existsSync(file)) throw embeddedLogNotFound(file, cwd)
    throw cannotOpen(file, error)
  }

  try {
    // Two evt creating the same log at once: one sets it up, the other then finds it set up.
    await retryWhileBusy(() => {
      const stamped = requireEvtFile(db, file)
      // page_size first: on a new file the stamp is the first write and fixes the page size.
      db.pragma('page_size = 16384')
      if (!stamped) db.pragma(`application_id = ${EVT_APPLICATION_ID}`)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      // A reader goes through each page once: a large cache would only grow with what it read.
      db.pragma(`cache_size = ${create ? -65_536 : -8192}`)
      db.exec(SCHEMA)
    })
  } catch (error) {
    db.close()
    if (error instanceof UsageError) throw error
    throw cannotOpen(file, error)
  }

  return db
}

/**
 * Nothing is written before this passes; returns whether the file already carries evt's stamp.
 * Unstamped files are evt's if they hold no table yet (new, or created by an evt killed before its
 * first write) or evt's tables (an evt from before the stamp): the caller stamps them. Anything
 * else belongs to another application.
 */
function requireEvtFile(db: EmbeddedDatabase, file: string): boolean {
  const applicationId = db.pragma('application_id', {simple: true}) as number
  if (applicationId === EVT_APPLICATION_ID) return true
  if (applicationId !== 0) throw notEvtFile(file, `its application_id is ${applicationId}`)
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {name: string}[]).map((row) => row.name)
  if (tables.length > 0 && !LEGACY_TABLES.every((table) => tables.includes(table))) {
    throw notEvtFile(file, `it has tables evt did not create (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`)
  }

  return false
}

function notEvtFile(file: string, why: string): UsageError {
  return new UsageError(`${file} is a SQLite database that evt did not create (${why}); refusing to touch it`, {code: 'NOT_EVT_FILE', data: {path: file}, hint: NOT_OURS_HINT})
}

function cannotOpen(file: string, error: unknown): ConfigError {
  return new ConfigError(`cannot open the embedded log ${file}: ${(error as Error).message}`, {
    cause: error,
    hint: 'is it an evt SQLite file? move it away or set EVT_HOME to another directory',
  })
}

/** The log a read-only command needs does not exist: say where evt looked and how to get one. */
function embeddedLogNotFound(file: string, cwd: string): NotFoundError {
  const relative = path.relative(cwd, file)
  const under = relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)
  const shown = under ? `.${path.sep}${relative}` : file
  return new NotFoundError('EMBEDDED_LOG_NOT_FOUND', `no embedded log at ${shown} — run \`evt demo\` or set EVT_HOME`, {data: {path: file}})
}
