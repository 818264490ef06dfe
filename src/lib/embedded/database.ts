import type Database from 'better-sqlite3'
import {accessSync, constants, mkdirSync} from 'node:fs'
import path from 'node:path'

import {ConfigError} from '../errors.js'

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

export async function openEmbeddedDatabase(file: string): Promise<EmbeddedDatabase> {
  const dir = path.dirname(file)
  try {
    mkdirSync(dir, {recursive: true})
    accessSync(dir, constants.W_OK)
  } catch (error) {
    throw new ConfigError(`cannot write to ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      cause: error,
      hint: 'set EVT_HOME to a writable directory',
    })
  }

  // Loaded on demand so `evt --help` does not pay for the native module.
  const {default: Sqlite} = await import('better-sqlite3')
  let db: EmbeddedDatabase
  try {
    db = new Sqlite(file)
    db.pragma('page_size = 16384')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 10000')
    db.pragma('cache_size = -65536')
    db.exec(SCHEMA)
  } catch (error) {
    throw new ConfigError(`cannot open the embedded log ${file}: ${(error as Error).message}`, {
      cause: error,
      hint: 'is it an evt SQLite file? move it away or set EVT_HOME to another directory',
    })
  }

  return db
}
