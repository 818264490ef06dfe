import Database from 'better-sqlite3'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import type {Backend} from '../../src/lib/backend.js'
import type {OutgoingRecord} from '../../src/lib/log/event-log.js'
import {buildingFiles, type Finished, openKafka, sha256, startEvt, until, writeProject} from './kafka-faults.js'

const cluster = inject('kafka')
const T0 = Date.parse('2026-03-03T10:00:00Z')

/**
 * SIGKILL (a crash, the OOM killer, a power cut) during `evt rebuild view` on Kafka: evt gets no
 * chance to clean up, yet the old view is never replaced by a partial one, the build file it left
 * is removed by the next run, and `--resume` after the crash catches up to exactly the rows of a
 * full rebuild.
 */
describe('SIGKILL during rebuild view', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'evt-rebuild-sigkill-'))
  const file = path.join(cwd, '.evt/views/slow.db')
  const topic = `sigkill-${randomUUID().slice(0, 8)}`
  let backend: Backend

  /** Updates of 40 keys over 3 partitions; every 11th record a tombstone. */
  const seed = async (first: number, count: number) => {
    const records: OutgoingRecord[] = Array.from({length: count}, (_, n) => {
      const i = first + n
      return {headers: [], key: Buffer.from(`k${(i * 7) % 40}`), timestamp: T0 + i * 1000, topic, value: i % 11 === 5 ? null : Buffer.from(JSON.stringify({n: i, name: `item-${i}`}))}
    })
    await backend.log.produce(records)
  }

  /** Runs a rebuild and SIGKILLs it 300 ms after it created its build file: well inside the ~2.4 s its 1200 new records take. */
  const killMidway = async (args: string[]): Promise<{killed: Finished; pid: number}> => {
    const run = startEvt(['rebuild', 'view', 'slow', ...args], {cwd})
    const pid = run.child.pid!
    await until('the rebuild to create its build file', () => buildingFiles(file).includes(`.slow.db.building-${pid}`))
    await new Promise((resolve) => setTimeout(resolve, 300))
    run.child.kill('SIGKILL')
    return {killed: await run.done, pid}
  }

  const rows = (db: string) => {
    const sqlite = new Database(db, {readonly: true})
    try {
      return sqlite.prepare('SELECT * FROM items ORDER BY key').all()
    } finally {
      sqlite.close()
    }
  }

  beforeAll(async () => {
    backend = await openKafka(cluster)
    await backend.log.createTopic(topic, {partitions: 3, retainForever: true})
    await seed(0, 300)
    writeProject(cwd, cluster, ['views:', `  slow: {from: [${topic}], table: items, module: ./slow-projection.mjs}`])
    const built = await startEvt(['rebuild', 'view', 'slow'], {cwd, env: {SLOW_PROJECTION_MS: '0'}}).done
    expect(built.code, built.stderr).toBe(0)
    await seed(300, 1200)
  })
  afterAll(async () => {
    await backend?.close()
    rmSync(cwd, {force: true, recursive: true})
  })

  it('the old view stays byte-identical, the next run removes the build file left behind, and --resume then equals a full rebuild', async () => {
    const before = sha256(file)

    // A full rebuild, killed: its build file stays behind, the view is untouched.
    const full = await killMidway([])
    expect(full.killed.signal).toBe('SIGKILL')
    expect(sha256(file)).toBe(before)
    expect(buildingFiles(file)).toEqual([`.slow.db.building-${full.pid}`])

    // A --resume, killed too: it removed the first one's leftover before starting its own.
    const resumed = await killMidway(['--resume'])
    expect(resumed.killed.signal).toBe('SIGKILL')
    expect(sha256(file)).toBe(before)
    expect(buildingFiles(file)).toEqual([`.slow.db.building-${resumed.pid}`])

    // The next run succeeds, catches up from the stored offsets and leaves no build file.
    const caughtUp = await startEvt(['rebuild', 'view', 'slow', '--resume', '--json'], {cwd, env: {SLOW_PROJECTION_MS: '0'}}).done
    expect(caughtUp.code, caughtUp.stderr).toBe(0)
    expect(JSON.parse(caughtUp.stdout)).toMatchObject({records: 1200, resumed: true})
    expect(buildingFiles(file)).toEqual([])

    const fullDb = path.join(cwd, 'full.db')
    const rebuilt = await startEvt(['rebuild', 'view', 'slow', '--db', fullDb, '--json'], {cwd, env: {SLOW_PROJECTION_MS: '0'}}).done
    expect(rebuilt.code, rebuilt.stderr).toBe(0)
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({records: 1500, resumed: false})
    expect(rows(file).length).toBeGreaterThan(30)
    expect(rows(file)).toEqual(rows(fullDb))
  })
})
