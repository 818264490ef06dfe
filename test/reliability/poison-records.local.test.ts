import Database from 'better-sqlite3'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {openBackend} from '../../src/lib/backend.js'
import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * Records that are legal in Kafka but that a naive reader chokes on never stop a read: a timestamp
 * beyond what a JavaScript Date holds is shown as its number with one warning naming the record,
 * and a stored batch whose bytes were damaged on disk is reported by position and skipped while
 * the read goes on (never "unexpected error").
 */
const T0 = 1_767_603_601_803
const POISON = [8_640_000_000_000_001, -8_640_000_000_000_001]

const EVT_YAML = `
flows:
  order:
    topics:
      orders: { id: key }
    ends: [Done]
views:
  latest:
    from: [orders]
    table: latest
    columns: { body: $, updated_at: $timestamp }
`

/** A log with topic `orders` (1 partition) holding one batch per entry of `timestamps`, all with key `k`. */
async function writeLog(dir: string, timestamps: number[]): Promise<string> {
  const file = path.join(dir, 'home', 'evt.db')
  const backend = await openBackend({kind: 'embedded', name: 'local', path: file}, {create: true})
  try {
    await backend.log.createTopic('orders', {partitions: 1})
    for (const [index, timestamp] of timestamps.entries()) {
      await backend.log.produce([{key: Buffer.from('k'), partition: 0, timestamp, topic: 'orders', value: Buffer.from(`{"n":${index}}`)}])
    }
  } finally {
    await backend.close()
  }

  writeFileSync(path.join(dir, 'evt.yaml'), EVT_YAML)
  return file
}

const evt = (dir: string, ...args: string[]) => runCli(args, {cwd: dir, env: {EVT_HOME: path.join(dir, 'home')}})
const jsonLines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('poison records', () => {
  const tempDir = useTempDir()
  beforeAll(() => requireFreshBuild())

  it('timestamps beyond a Date: tail, export, trace and rebuild view show them as numbers, with one warning', async () => {
    const dir = tempDir()
    await writeLog(dir, [T0, ...POISON, T0 + 1])

    const json = await evt(dir, 'topic', 'tail', 'orders', '--from', 'beginning', '--format', 'json')
    expect(json.code).toBe(0)
    expect(jsonLines(json.stdout).map((record) => record.timestamp)).toEqual(expect.arrayContaining([new Date(T0).toISOString(), ...POISON, new Date(T0 + 1).toISOString()]))
    const warnings = json.stderr.split('\n').filter((line) => line.startsWith('Warning:'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/orders\[0\]@[12] has timestamp -?8640000000000001/)

    const pretty = await evt(dir, 'topic', 'tail', 'orders', '--from', 'beginning', '--format', 'pretty')
    expect(pretty.code).toBe(0)
    expect(pretty.stdout).toContain('8640000000000001  orders[0]@1')
    expect(pretty.stdout).toContain('-8640000000000001  orders[0]@2')

    const exported = await evt(dir, 'topic', 'export', 'orders')
    expect(exported.code).toBe(0)
    expect(exported.stdout).toContain('"timestamp":8640000000000001')

    const trace = await evt(dir, 'trace', 'order', 'k', '--json')
    expect(trace.stderr).not.toMatch(/unexpected/)
    expect(JSON.parse(trace.stdout).events.map((event: {timestamp: unknown}) => event.timestamp)).toContain(8_640_000_000_000_001)

    const rebuild = await evt(dir, 'rebuild', 'view', 'latest')
    expect(rebuild.stderr).not.toMatch(/unexpected/)
    expect(rebuild.code).toBe(0)
    const view = new Database(path.join(dir, 'home', 'views', 'latest.db'), {readonly: true})
    try {
      expect(view.prepare('SELECT updated_at FROM latest').pluck().get()).toBe(new Date(T0 + 1).toISOString())
    } finally {
      view.close()
    }
  })

  it('a corrupt stored batch is reported by position and skipped; the records around it are read', async () => {
    const dir = tempDir()
    const file = await writeLog(dir, [T0, T0 + 1, T0 + 2])
    const db = new Database(file)
    try {
      // The middle batch: its key length now points far past the end of the blob.
      const row = db.prepare('SELECT id, records FROM batches WHERE base_offset = 1').get() as {id: number; records: Buffer}
      row.records.writeInt32BE(0x7f_ff_ff_00, 8)
      db.prepare('UPDATE batches SET records = ? WHERE id = ?').run(row.records, row.id)
    } finally {
      db.close()
    }

    for (const format of ['json', 'pretty']) {
      const tail = await evt(dir, 'topic', 'tail', 'orders', '--from', 'beginning', '--format', format)
      expect(tail.code).toBe(0)
      expect(tail.stderr).toMatch(/^Warning: the stored batch orders\[0\]@1-1 is corrupt \(.*\): skipped its 1 records$/m)
      if (format === 'json') expect(jsonLines(tail.stdout).map((record) => record.offset)).toEqual([0, 2])
    }

    const following = await evt(dir, 'topic', 'tail', 'orders', '--from', '1', '--limit', '1', '--format', 'json', '--follow')
    expect(following.code).toBe(0)
    expect(jsonLines(following.stdout).map((record) => record.offset)).toEqual([2])

    const rebuild = await evt(dir, 'rebuild', 'view', 'latest')
    expect(rebuild.code).toBe(0)
    expect(rebuild.stderr).toContain('orders[0]@1-1 is corrupt')
  })
})
