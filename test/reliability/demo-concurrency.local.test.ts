import Database from 'better-sqlite3'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {requireFreshBuild} from './built-cli.js'

const ORDERS = ['--orders', '20000']
const home = () => mkdtempSync(path.join(tmpdir(), 'evt-demo-race-'))
const demo = (cwd: string, args: string[] = []) => runCli(['demo', ...ORDERS, ...args], {cwd, env: {EVT_HOME: cwd}})
/**
 * Records in the log so far, read straight from the file (a CLI per poll is too slow to catch a
 * moment in a demo of a second or two); read-only, so the demo's writes are not disturbed.
 */
function recordsWritten(home: string): number {
  try {
    const db = new Database(path.join(home, 'evt.db'), {fileMustExist: true, readonly: true})
    try {
      return (db.prepare('SELECT COALESCE(SUM(last_offset - base_offset + 1), 0) AS n FROM batches').get() as {n: number}).n
    } finally {
      db.close()
    }
  } catch {
    return 0
  }
}

const exportAll = async (cwd: string) => (await runCli(['topic', 'export', 'orders', 'payments', 'stock', 'shipments'], {cwd, env: {EVT_HOME: cwd}})).stdout

describe('evt demo: one writer at a time, and a killed demo is completed', () => {
  let reference: string
  let referenceRecords: number
  beforeAll(async () => {
    requireFreshBuild()
    const cwd = home()
    expect((await demo(cwd)).code).toBe(0)
    reference = await exportAll(cwd)
    referenceRecords = reference.split('\n').filter((line) => line.includes('"kind":"record"')).length
    expect(referenceRecords).toBeGreaterThan(1000)
  })

  it('three demos at once on a fresh home write the demo once; the others exit 2 (DEMO_RUNNING) or find it written', async () => {
    const cwd = home()
    const runs = await Promise.all([demo(cwd, ['--json']), demo(cwd, ['--json']), demo(cwd, ['--json'])])
    const results = runs.map((run) => ({code: run.code, json: JSON.parse(run.stdout)}))
    const writers = results.filter((r) => r.code === 0 && r.json.events > 0)
    expect(writers).toHaveLength(1)
    for (const other of results.filter((r) => !writers.includes(r))) {
      if (other.code === 2) expect(other.json.error).toMatchObject({code: 'DEMO_RUNNING', exit: 2})
      else expect(other).toMatchObject({code: 0, json: {alreadySeeded: {}, events: 0}})
    }

    expect(runs.map((run) => run.stderr).join('')).not.toMatch(/unexpected|already exists/)
    expect(await exportAll(cwd)).toBe(reference)
  })

  it.each([0.1, 0.6])('killed (SIGKILL) once a fraction %s of the records is written, the next evt demo completes it to the log an uninterrupted run writes', async (fraction) => {
    const cwd = home()
    let child: Parameters<NonNullable<Parameters<typeof runCli>[1]['onSpawn']>>[0] | undefined
    const killed = runCli(['demo', ...ORDERS], {cwd, env: {EVT_HOME: cwd}, onSpawn: (spawned) => (child = spawned)})
    const held = async () => {
      const listed = await runCli(['topic', 'list', '--json'], {cwd, env: {EVT_HOME: cwd}})
      return listed.code === 0 ? (JSON.parse(listed.stdout) as {records: number}[]).reduce((sum, t) => sum + t.records, 0) : 0
    }

    while (recordsWritten(cwd) < fraction * referenceRecords) await sleep(5)
    child!.kill('SIGKILL')
    expect((await killed).code).toBe(null)
    const partial = await held()
    const completed = await demo(cwd)
    expect(completed.code).toBe(0)
    expect(completed.stderr).toContain(`completed an interrupted demo: ${partial} records were already there`)
    expect(await exportAll(cwd)).toBe(reference)
    // Run again: complete, nothing written.
    expect((await demo(cwd)).stdout).toMatch(/already hold \d+ records: nothing written/)
  })

  it('a killed demo is not "completed" by a demo with other flags: those topics are left alone', async () => {
    const cwd = home()
    let child: Parameters<NonNullable<Parameters<typeof runCli>[1]['onSpawn']>>[0] | undefined
    const killed = runCli(['demo', ...ORDERS], {cwd, env: {EVT_HOME: cwd}, onSpawn: (spawned) => (child = spawned)})
    while (recordsWritten(cwd) < 0.3 * referenceRecords) await sleep(5)
    child!.kill('SIGKILL')
    await killed
    const before = await exportAll(cwd)
    const other = await demo(cwd, ['--seed', '7'])
    expect(other.code).toBe(0)
    expect(other.stdout).toMatch(/nothing written/)
    expect(await exportAll(cwd)).toBe(before)
  })
})
