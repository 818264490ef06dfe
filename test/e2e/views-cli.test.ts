import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

describe('evt rebuild view on the demo (through pipes)', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-views-e2e-'))
    expect((await runCli(['demo', '--orders', '400'], {cwd})).code).toBe(0)
  })

  it("rebuilds the demo's orders view from its Avro records: the last decoded event of each order, deleted orders gone", async () => {
    const result = await runCli(['rebuild', 'view', '--all', '--json'], {cwd})
    expect(result.code).toBe(0)
    // --all answers one JSON array of summaries, one per view.
    const summaries = JSON.parse(result.stdout) as {view: string}[]
    expect(summaries.map((s) => s.view)).toEqual(['orders', 'order_status'])

    // The same view computed from what `topic tail --json` shows of the log.
    const tail = await runCli(['topic', 'tail', 'orders', '--from', 'beginning', '--json'], {cwd})
    const records = tail.stdout.trim().split('\n').map((line) => JSON.parse(line))
    records.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.partition - b.partition || a.offset - b.offset)
    const expected = new Map<string, object>()
    for (const r of records) {
      if (r.value === null) expected.delete(r.key)
      else expected.set(r.key, {key: r.key, order_id: r.value.orderId, status: r.value.status, total: r.value.total, updated_at: r.timestamp})
    }

    expect(summaries[0]).toMatchObject({records: records.length, rows: expected.size, tombstones: records.filter((r) => r.value === null).length})
    expect(records.some((r) => r.value === null)).toBe(true)
    const db = new Database(path.join(cwd, '.evt/views/orders.db'), {readonly: true})
    const rows = db.prepare('SELECT * FROM orders').all()
    db.close()
    expect(new Map(rows.map((row) => [(row as {key: string}).key, row]))).toEqual(expected)
  })

  it('prints one summary line in a pipe, and exit 2 naming the views for a missing name', async () => {
    const plain = await runCli(['rebuild', 'view', 'orders'], {cwd})
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/^rebuilt view orders: \d+ rows from \d+ records \(\d+ tombstones\) in [\d.]+ s, \d+ records\/s → .*orders\.db\n$/)
    expect(plain.stderr).toBe('')
    const missing = await runCli(['rebuild', 'view'], {cwd})
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('views in evt.yaml: orders')
  })
})
