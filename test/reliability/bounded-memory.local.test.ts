import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {countOutputLines} from '../helpers/count-lines.js'
import {runCli} from '../helpers/run-cli.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * What a read holds does not grow with what it reads (issue 16): every reader goes through a
 * 1M-event log with V8's old space capped at 128 MB. Holding the records read (about 700 bytes
 * each once decoded) would need several times that, so a read that keeps them crashes here.
 */
const HEAP_MB = 128
const ORDERS = 152_000 // ≈ 1,000,000 events over orders, payments, stock and shipments

describe(`reads of a 1M-event embedded log in a ${HEAP_MB} MB heap`, () => {
  let dir: string
  let events = 0
  const evt = (...args: string[]) => countOutputLines(args, {cwd: dir, env: {EVT_HOME: dir, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`}})

  beforeAll(async () => {
    requireFreshBuild()
    dir = mkdtempSync(path.join(tmpdir(), 'evt-bounded-memory-'))
    const demo = await runCli(['demo', '--orders', String(ORDERS), '--json'], {cwd: dir, env: {EVT_HOME: dir}})
    expect(demo.code, demo.stderr).toBe(0)
    events = JSON.parse(demo.stdout).events
    expect(events).toBeGreaterThan(990_000)
  }, 180_000)
  afterAll(() => rmSync(dir, {force: true, recursive: true}))

  it('tail --json of four topics prints every record', async () => {
    const result = await evt('topic', 'tail', 'orders', 'payments', 'stock', 'shipments', '--json')
    expect(result.stderr).toBe('')
    expect(result).toMatchObject({code: 0, lines: events})
  }, 180_000)

  it('export of four topics writes every record, and its schemas', async () => {
    const result = await evt('topic', 'export', 'orders', 'payments', 'stock', 'shipments')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(`exported ${events} records`)
  }, 180_000)

  it('rebuild view orders and trace --stalled read the whole log', async () => {
    const rebuild = await evt('rebuild', 'view', 'orders', '--json')
    expect(rebuild.code, rebuild.stderr).toBe(0)
    // One row per order, less those whose last record is a tombstone.
    const {rows, tombstones} = JSON.parse(rebuild.tail)
    expect(rows).toBe(ORDERS - tombstones)
    const stalled = await evt('trace', 'order', '--stalled', '--json')
    expect(stalled.code, stalled.stderr).toBe(0)
    expect(stalled.head).toContain(`"scanned":${events},`)
  }, 240_000)
})
