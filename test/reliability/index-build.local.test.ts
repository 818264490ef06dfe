import Database from 'better-sqlite3'
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {beforeAll, describe, expect, it} from 'vitest'

import {start} from '../helpers/cli-process.js'
import {runCli} from '../helpers/run-cli.js'
import {requireFreshBuild} from './built-cli.js'

/** Read-only, from outside: what the index has committed so far (0 before its first chunk), and its look-up indexes. */
function committed(file: string): {lookups: string[]; records: number} {
  try {
    const db = new Database(file, {fileMustExist: true, readonly: true})
    try {
      const {records} = db.prepare('SELECT COALESCE(SUM(records), 0) AS records FROM partitions').get() as {records: number}
      const lookups = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('ids_by_id', 'flows_open') ORDER BY name").pluck().all() as string[]
      return {lookups, records}
    } finally {
      db.close()
    }
  } catch {
    return {lookups: [], records: 0}
  }
}

/*
 * A first build of the flow index appends without its look-ups (by id, and the open flows for
 * --stalled) and sorts them in at the end, and holds the flows' summaries in memory until then.
 * Killed half-way, what it committed stays: the next trace opens it, makes the summaries the
 * build never wrote from its positions, catches up from there, and answers exactly as a scan does
 * (--stalled included). Two builds at once index the same records: each is kept once.
 */
describe('evt trace index: a first build killed half-way, and two at once', () => {
  let cwd: string
  beforeAll(async () => {
    requireFreshBuild()
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-index-kill-'))
    // About 270,000 events: several commits of 50,000, a few seconds to build.
    expect((await runCli(['demo', '--orders', '40000'], {cwd})).code).toBe(0)
  }, 120_000)

  // Each stalled flow as id, last event and when (how long ago depends on the moment asked).
  const stalled = async (...args: string[]) =>
    JSON.parse((await runCli(['trace', 'order', '--stalled', '--json', ...args], {cwd})).stdout).stalled.map((s: {id: string; lastAt: string; lastEvent: string}) => `${s.id} ${s.lastEvent} ${s.lastAt}`)

  const expectSameAnswers = async (ids: string[]) => {
    for (const id of ids) {
      const [indexed, scanned] = [await runCli(['trace', 'order', id, '--json'], {cwd}), await runCli(['trace', 'order', id, '--json', '--no-index'], {cwd})]
      expect({code: indexed.code, id, stdout: indexed.stdout}).toEqual({code: scanned.code, id, stdout: scanned.stdout})
    }

    const fromIndex = await stalled()
    expect(fromIndex.length).toBeGreaterThan(0)
    expect(fromIndex).toEqual(await stalled('--no-index'))
  }

  it('leaves what it committed, and the next trace answers as a scan does', async () => {
    const build = start(['trace', 'index', 'order', '--json'], cwd)
    let seen: ReturnType<typeof committed> = {lookups: [], records: 0}
    let file = ''
    for (let waited = 0; waited < 60_000 && build.child.exitCode === null; waited += 10) {
      if (!file && existsSync(path.join(cwd, '.evt/index'))) file = readdirSync(path.join(cwd, '.evt/index')).find((name) => name.endsWith('.order.db')) ?? ''
      if (file && (seen = committed(path.join(cwd, '.evt/index', file))).records > 0) break
      await sleep(10)
    }

    build.child.kill('SIGKILL')
    expect((await build.closed).signal).toBe('SIGKILL')
    // Killed after its first commit and before its end: the case this test is about.
    expect(seen.records).toBeGreaterThan(0)
    expect(seen.lookups).toEqual([])

    await expectSameAnswers(['1001', '21000', '41000', '999999'])

    const after = committed(path.join(cwd, '.evt/index', file))
    expect(after.lookups).toEqual(['flows_open', 'ids_by_id'])
    expect(after.records).toBeGreaterThan(seen.records)
  }, 180_000)

  it('two first builds at once: the traces answer as a scan does', async () => {
    rmSync(path.join(cwd, '.evt/index'), {force: true, recursive: true})
    const builds = [start(['trace', 'index', 'order', '--json'], cwd), start(['trace', 'index', 'order', '--json'], cwd)]
    for (const build of builds) expect((await build.closed).code).toBe(0)
    await expectSameAnswers(['1001', '20500', '41000'])
  }, 180_000)
})
