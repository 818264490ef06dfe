import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {ClusterConfig} from '../config/types.js'
import {EvtError} from '../errors.js'
import {loadSqlite} from '../util/sqlite-file.js'

/**
 * Where `evt demo` takes its lock: next to the embedded log, or (Kafka) in the temp directory,
 * named after the brokers, which keeps concurrent demos on this machine apart.
 */
export function demoLockFile(cluster: ClusterConfig): string {
  if (cluster.kind === 'embedded') return `${cluster.path}.demo-lock`
  const brokers = createHash('sha256').update([...cluster.brokers].sort().join(',')).digest('hex').slice(0, 16)
  return path.join(tmpdir(), `evt-demo-${brokers}.lock`)
}

export interface DemoLock {
  release(): void
}

/**
 * Takes the demo's exclusive lock or throws DEMO_RUNNING. The lock is an exclusive SQLite
 * transaction on an empty file: the operating system's file lock under it is released when the
 * process ends, however it ends, so a killed demo never leaves a stale lock (no pid to check).
 * The file stays: removing it would let two processes lock two different files.
 */
export async function acquireDemoLock(file: string): Promise<DemoLock> {
  const Database = await loadSqlite()
  let db: InstanceType<typeof Database> | undefined
  try {
    db = new Database(file, {timeout: 0})
    // No journal file next to the lock: nothing is ever written to it.
    db.pragma('journal_mode = MEMORY')
    db.exec('BEGIN EXCLUSIVE')
  } catch (error) {
    db?.close()
    if ((error as {code?: string}).code === 'SQLITE_BUSY') {
      throw new EvtError('DEMO_RUNNING', `another evt demo is writing to this cluster (lock ${file})`, {
        data: {lock: file},
        hint: 'wait for it to finish, then run evt demo again: it completes whatever is missing',
      })
    }

    throw new EvtError('CONFIG_INVALID', `cannot take the demo lock ${file}: ${(error as Error).message}`, {data: {lock: file}, cause: error})
  }

  const locked = db
  return {release: () => locked.close()}
}

/** Runs `write` holding the demo lock of `file` (no lock without a file), released however it ends. */
export async function withDemoLock<T>(file: string | undefined, write: () => Promise<T>): Promise<T> {
  const lock = file === undefined ? undefined : await acquireDemoLock(file)
  try {
    return await write()
  } finally {
    lock?.release()
  }
}
