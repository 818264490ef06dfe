import type Database from 'better-sqlite3'

import {closeSync, existsSync, mkdirSync, openSync, readSync} from 'node:fs'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {installBroken} from './native-module.js'

/** `PRAGMA application_id` of evt's SQLite files, the log and views ('evt1'): tells them from other applications' files. */
export const EVT_APPLICATION_ID = 0x65_76_74_31

const SQLITE_HEADER = 'SQLite format 3\u0000'
const APPLICATION_ID_AT = 68

/**
 * Exit 2, file untouched, when `file` does not start with the SQLite header. Returns the
 * `PRAGMA application_id` the header holds (big-endian at byte 68), read without SQLite so that
 * a file evt must refuse is not opened at all.
 */
export function requireSqliteFile(file: string, hint = 'point --db at a view file built by evt rebuild view'): number {
  const header = Buffer.alloc(APPLICATION_ID_AT + 4)
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    readSync(fd, header, 0, header.length, 0)
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`, {code: 'FILE_NOT_FOUND'})
  } finally {
    if (fd !== undefined) closeSync(fd)
  }

  if (header.toString('latin1', 0, SQLITE_HEADER.length) !== SQLITE_HEADER) throw new UsageError(`${file} is not a SQLite database`, {code: 'NOT_EVT_FILE', data: {path: file}, hint})
  return header.readInt32BE(APPLICATION_ID_AT)
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir retries forever, deaf to signals, where
 * mkdir answers ENOENT although the parent exists (`EVT_HOME=/proc/x`); here that is an error.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = []
  for (let at = path.resolve(dir); !existsSync(at) && path.dirname(at) !== at; at = path.dirname(at)) missing.unshift(at)
  for (const each of missing) {
    try {
      mkdirSync(each)
    } catch (error) {
      // Another evt creating the same home at the same moment is fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

/** A set-up takes a few ms; 20 attempts at 20–100 ms apart outlast any other process's. */
const SET_UP_ATTEMPTS = 20

/**
 * Runs a new connection's set-up (journal mode, tables) again while another process's set-up of
 * the same file holds it. Two connections that each hold a read lock and want to write deadlock,
 * and SQLite breaks that by failing one of them at once, without waiting out the busy timeout: the
 * loser waits a moment and starts over, by when the winner is done.
 */
export async function retryWhileBusy(setUp: () => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      setUp()
      return
    } catch (error) {
      if (attempt >= SET_UP_ATTEMPTS || !String((error as {code?: unknown}).code).startsWith('SQLITE_BUSY')) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80))
    }
  }
}

let sqlite: Promise<typeof Database> | undefined

/**
 * better-sqlite3, loaded on first use (`evt --help` does not pay for it). It loads its binary only
 * when a database opens, so one in memory is opened here: an install built for another Node.js
 * fails as such, not as a fault of the file about to be opened.
 */
export function loadSqlite(): Promise<typeof Database> {
  sqlite ??= (async () => {
    const {default: Sqlite} = await import('better-sqlite3')
    try {
      new Sqlite(':memory:').close()
    } catch (error) {
      throw installBroken('better-sqlite3', error)
    }

    return Sqlite
  })()
  return sqlite
}
