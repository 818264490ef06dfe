import {closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import type Database from 'better-sqlite3'

import {UsageError} from '../../errors.js'
import {EVT_APPLICATION_ID, loadSqlite, makeDirectories, requireSqliteFile} from '../../util/sqlite-file.js'

const BUILDING = '.building-'

/** Where `evt rebuild view NAME` writes unless told otherwise. */
export function defaultViewFile(home: string, view: string): string {
  return path.join(home, 'views', `${view}.db`)
}

/** Opens a SQLite file with better-sqlite3. */
export async function openSqlite(file: string, options: {readonly?: boolean} = {}): Promise<Database.Database> {
  const Sqlite = await loadSqlite()
  return new Sqlite(file, {fileMustExist: Boolean(options.readonly), readonly: Boolean(options.readonly)})
}

/**
 * Refuses, before anything is written, a path that is not a SQLite file, or is one that evt did
 * not build (no `_evt_view`): replacing someone's database would lose data.
 */
export async function requireViewFileOrAbsent(file: string, why: string): Promise<boolean> {
  // An empty file (touch) holds nothing to lose: SQLite reads it as an empty database.
  if (!existsSync(file) || statSync(file).size === 0) return false
  const applicationId = requireSqliteFile(file)
  if (applicationId !== 0 && applicationId !== EVT_APPLICATION_ID) {
    throw new UsageError(`${file} is a SQLite database of another application (application_id ${applicationId}); ${why}`, {code: 'NOT_EVT_FILE', data: {path: file}, hint: 'give another --db path, or move that file away'})
  }

  const db = await openSqlite(file, {readonly: true})
  try {
    const found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_evt_view'").get()
    if (!found) throw new UsageError(`${file} is a SQLite database that evt did not build (no _evt_view table); ${why}`, {code: 'NOT_EVT_FILE', hint: 'give another --db path, or move that file away'})
  } finally {
    db.close()
  }

  return true
}

/** Where a view is built before it replaces `file`: same directory, so the rename is atomic. */
export function buildingPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${BUILDING}${process.pid}`)
}

/** Removes what builds killed earlier (SIGKILL, power loss) left next to `file`. */
export function removeAbandonedBuilds(file: string): void {
  const dir = path.dirname(file)
  makeDirectories(dir)
  const prefix = `.${path.basename(file)}${BUILDING}`
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(prefix)) continue
    const pid = Number.parseInt(entry.slice(prefix.length), 10)
    if (Number.isInteger(pid) && pid !== process.pid && isRunning(pid)) continue
    rmSync(path.join(dir, entry), {force: true})
  }
}

export function removeBuild(building: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${building}${suffix}`, {force: true})
}

/** Makes the finished build durable, then atomically puts it in place of `file`. */
export function replaceAtomically(building: string, file: string): void {
  syncPath(building)
  renameSync(building, file)
  syncPath(path.dirname(file))
}

function syncPath(target: string): void {
  const fd = openSync(target, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
