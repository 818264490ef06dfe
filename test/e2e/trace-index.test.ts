import {closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {openBackend} from '../../src/lib/backend.js'
import {runCli} from '../helpers/run-cli.js'

/*
 * The flow index is a cache of the scan: for every kind of id, before and after records are
 * appended, after the flow's definition changes and after the index is deleted, a trace answered
 * from it prints exactly what a scan of every record (--no-index) prints.
 */
describe('evt trace with the flow index (through pipes)', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-trace-index-'))
    expect((await runCli(['demo', '--orders', '300', '--tombstone-rate', '0.05'], {cwd})).code).toBe(0)
  })

  const trace = (...args: string[]) => runCli(['trace', 'order', ...args], {cwd})
  const expectSameAnswers = async (ids: string[]) => {
    for (const id of ids) {
      const [indexed, scanned] = [await trace(id, '--json'), await trace(id, '--json', '--no-index')]
      expect({code: indexed.code, id, stderr: indexed.stderr, stdout: indexed.stdout}).toEqual({code: scanned.code, id, stderr: scanned.stderr, stdout: scanned.stdout})
    }
  }

  /** `--stalled` from the index and from a scan: the same ids, last events and times (how long ago moves on between the two runs). */
  const expectSameStalled = async () => {
    const list = async (...args: string[]) => {
      const result = await trace('--stalled', '--json', ...args)
      expect(result.code).toBe(0)
      const {scanned, stalled} = JSON.parse(result.stdout)
      return {scanned, stalled: stalled.map(({id, lastAt, lastEvent}: {id: string; lastAt: string; lastEvent: string}) => ({id, lastAt, lastEvent}))}
    }

    const indexed = await list()
    expect(indexed.stalled.length).toBeGreaterThan(0)
    expect(indexed).toEqual(await list('--no-index'))
  }

  /** The look-up indexes the flow's index file holds. */
  const lookupIndexes = async (): Promise<string[]> => {
    const Sqlite = (await import('better-sqlite3')).default
    const [indexFile] = readdirSync(path.join(cwd, '.evt/index'))
    const db = new Sqlite(path.join(cwd, '.evt/index', indexFile), {readonly: true})
    try {
      return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]
    } finally {
      db.close()
    }
  }

  /** An order id whose orders record was deleted by a tombstone. */
  const tombstoned = async (): Promise<string> => {
    const tail = await runCli(['topic', 'tail', 'orders', '--from', 'beginning', '--json'], {cwd})
    const deleted = tail.stdout.trim().split('\n').map((line) => JSON.parse(line)).find((record) => record.value === null)
    return deleted.key
  }

  it('answers as a scan does: first, middle, last, absent and deleted ids; then after records are appended', async () => {
    const ids = ['1001', '1150', '1300', '424242', await tombstoned()]
    await expectSameAnswers(ids)
    // The answers above came from the index, which the first trace built.
    expect(readdirSync(path.join(cwd, '.evt/index'))).toEqual([expect.stringMatching(/^local-[0-9a-f]{12}\.order\.db$/)])

    // Appended after the index was built: the next trace catches up and sees them — among them a
    // producer retry of one of order 1150's payments (a duplicate the trace reports).
    // Two flows that were open: one gets a later event, the other its end.
    const [nudged, ended] = (JSON.parse((await trace('--stalled', '--json')).stdout).stalled as {id: string}[]).map(({id}) => id)
    const backend = await openBackend({kind: 'embedded', name: 'local', path: path.join(cwd, '.evt/evt.db')}, {create: false})
    try {
      const payment = JSON.parse((await trace('1150', '--json')).stdout).events.find((event: {topic: string}) => event.topic === 'payments')
      const [original] = await collect(backend.log.read({from: payment.offset, partition: payment.partition, to: payment.offset + 1, topic: 'payments'}))
      await backend.log.produce([{...original, partition: original.partition, timestamp: original.timestamp + 100}])
      await backend.log.produce([
        {headers: [['ce_type', Buffer.from('OrderAudited')]], key: Buffer.from('1001'), timestamp: Date.parse('2026-02-01T00:00:00Z'), topic: 'orders', value: Buffer.from('{"orderId":"1001","status":"AUDITED"}')},
        {headers: [['ce_type', Buffer.from('PaymentLate')]], key: Buffer.from('P-x'), timestamp: Date.parse('2026-02-01T00:00:01Z'), topic: 'payments', value: Buffer.from('{"orderId":"777777"}')},
        {headers: [['ce_type', Buffer.from('OrderNudged')]], key: Buffer.from(nudged), timestamp: Date.parse('2026-02-01T00:00:02Z'), topic: 'orders', value: Buffer.from(`{"orderId":"${nudged}"}`)},
        {headers: [['ce_type', Buffer.from('OrderConfirmed')]], key: Buffer.from(ended), timestamp: Date.parse('2026-02-01T00:00:03Z'), topic: 'orders', value: Buffer.from(`{"orderId":"${ended}"}`)},
      ])
    } finally {
      await backend.close()
    }

    // The catch-up appended into the empty recent level without its id index, then sorted it in (checked before another run opens the index, which would add it back).
    expect((await trace('1001', '--json')).code).toBe(0)
    expect(await lookupIndexes()).toEqual(['flows_open', 'ids_by_id', 'recent_ids_by_id'])
    await expectSameAnswers(['1001', '777777', '1150'])
    expect(JSON.parse((await trace('1150', '--json')).stdout).anomalies.join('\n')).toMatch(/duplicate Payment/)
    await expectSameStalled()
    const stalled = JSON.parse((await trace('--stalled', '--json')).stdout).stalled as {id: string; lastEvent: string}[]
    expect(stalled.find(({id}) => id === nudged)?.lastEvent).toBe('OrderNudged')
    expect(stalled.some(({id}) => id === ended)).toBe(false)
    expect(JSON.parse((await trace('777777', '--json')).stdout).events.map((event: {type: string}) => event.type)).toEqual(['PaymentLate'])
  })

  it('keeps answering as a scan does when the records appended since the build outnumber those it indexed', async () => {
    // What catch-ups index goes to a second level, merged into the first once it is as large:
    // every record of the four topics appended again makes this trace's catch-up merge.
    const exported = path.join(cwd, 'all.jsonl')
    const exportedRecords = await runCli(['topic', 'export', 'orders', 'payments', 'stock', 'shipments'], {cwd})
    expect(exportedRecords.code).toBe(0)
    writeFileSync(exported, exportedRecords.stdout)
    expect((await runCli(['topic', 'import', exported, '--append'], {cwd})).code).toBe(0)
    const [indexFile] = readdirSync(path.join(cwd, '.evt/index'))
    const levels = async () => {
      const Sqlite = (await import('better-sqlite3')).default
      const db = new Sqlite(path.join(cwd, '.evt/index', indexFile), {readonly: true})
      try {
        return Object.fromEntries(['ids', 'recent_ids', 'flows', 'recent_flows'].map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as {n: number}).n]))
      } finally {
        db.close()
      }
    }

    const before = await levels()
    expect(before.recent_ids).toBeGreaterThan(0)
    expect(before.recent_flows).toBeGreaterThan(0)
    await expectSameAnswers(['1001', '1150', '1300', '777777', await tombstoned()])
    expect(await levels()).toEqual({flows: expect.any(Number), ids: expect.any(Number), recent_flows: 0, recent_ids: 0})
    expect((await levels()).ids).toBeGreaterThan(2 * before.ids)
    await expectSameStalled()
  })

  it('starts over when the flow definition changes, and loses nothing when the index is deleted', async () => {
    const file = path.join(cwd, 'evt.yaml')
    const yaml = readFileSync(file, 'utf8')
    // payments now by key: P-1001 and the like are the ids there.
    writeFileSync(file, yaml.replace('payments:  { id: $.orderId }', 'payments:  { id: key }'))
    await expectSameAnswers(['1001', 'P-1001', '1200'])
    await expectSameStalled()
    writeFileSync(file, yaml)
    rmSync(path.join(cwd, '.evt/index'), {force: true, recursive: true})
    await expectSameAnswers(['1001', '1299'])
  })

  it('deletes an index file SQLite cannot read and builds it again, saying so in one warning', async () => {
    expect((await trace('1001', '--json')).code).toBe(0)
    const indexDir = path.join(cwd, '.evt/index')
    const indexFile = path.join(indexDir, readdirSync(indexDir).find((name) => name.endsWith('.db'))!)
    // What a copy cut short or a stray write leaves: not a database any more.
    writeFileSync(indexFile, 'not a database\n'.repeat(500))
    for (const suffix of ['-wal', '-shm']) rmSync(`${indexFile}${suffix}`, {force: true})
    const [indexed, scanned] = [await trace('1001', '--json'), await trace('1001', '--json', '--no-index')]
    expect(indexed.stderr).toBe(`Warning: the flow index ${indexFile} was unreadable (file is not a database): deleted, it is built again\n`)
    expect({code: indexed.code, stdout: indexed.stdout}).toEqual({code: scanned.code, stdout: scanned.stdout})
    expect(await lookupIndexes()).toContain('ids_by_id')
    await expectSameAnswers(['1001', '1299'])
  })

  it('names a damaged index and the way out, and --rebuild starts it over', async () => {
    expect((await trace('1001', '--json')).code).toBe(0)
    const indexDir = path.join(cwd, '.evt/index')
    const indexFile = path.join(indexDir, readdirSync(indexDir).find((name) => name.endsWith('.db'))!)
    // The id look-up's root page overwritten: the file opens, and the first look-up meets the damage.
    const Sqlite = (await import('better-sqlite3')).default
    const db = new Sqlite(indexFile)
    db.pragma('wal_checkpoint(TRUNCATE)')
    const pageSize = db.pragma('page_size', {simple: true}) as number
    const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'ids_by_id'").pluck().get() as number
    db.close()
    const fd = openSync(indexFile, 'r+')
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (root - 1) * pageSize)
    closeSync(fd)

    const damaged = await trace('1001', '--json')
    expect(damaged.code).toBe(2)
    expect(JSON.parse(damaged.stdout).error).toMatchObject({code: 'DATA_CORRUPT', data: {path: indexFile}, hint: `the index is a cache: delete ${indexFile}, then run the command again`})
    const rebuilt = await runCli(['trace', 'index', 'order', '--rebuild'], {cwd})
    expect(rebuilt.code).toBe(0)
    expect(rebuilt.stderr).toMatch(new RegExp(`^Warning: the flow index ${indexFile} was unreadable \\(.+\\): deleted, it is built again\\n$`))
    await expectSameAnswers(['1001', '1150', '1299'])
  })

  it('is not used for a part of the log (--from, --until), which is scanned', async () => {
    rmSync(path.join(cwd, '.evt/index'), {force: true, recursive: true})
    expect((await trace('1001', '--from', '2026-01-06', '--json')).code).toBe(0)
    expect((await trace('--stalled', '--until', '2026-01-06', '--json')).code).toBe(0)
    expect(existsSync(path.join(cwd, '.evt/index'))).toBe(false)
  })
})

async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = []
  for await (const batch of batches) all.push(...batch)
  return all
}
