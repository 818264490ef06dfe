import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

const parseLines = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))

describe('the same reader flags everywhere, and empty answers that explain themselves (through pipes)', () => {
  let cwd: string
  let first: {timestamp: string}
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-reader-flags-'))
    expect((await runCli(['demo', '--orders', '40'], {cwd})).code).toBe(0)
    first = parseLines((await runCli(['topic', 'tail', 'orders', '--json'], {cwd})).stdout)[0]
  })

  it('export takes --partition, --where (on type) and --limit', async () => {
    const result = await runCli(['topic', 'export', 'orders', '--partition', '1', '--where', "type = 'OrderRequested'", '--limit', '2'], {cwd})
    expect(result.code).toBe(0)
    const records = parseLines(result.stdout).filter((line) => line.kind === 'record')
    expect(records).toHaveLength(2)
    expect(records.every((r) => r.partition === 1)).toBe(true)
    const types = records.map((r) => Object.fromEntries(r.headers)['ce_type']).map((b64: string) => Buffer.from(b64, 'base64').toString())
    expect(types).toEqual(['OrderRequested', 'OrderRequested'])
    expect(result.stderr).toBe('exported 2 records from orders\n')
  })

  it('tail --where filters on type, the field --json prints', async () => {
    const all = parseLines((await runCli(['topic', 'tail', 'orders', '--json'], {cwd})).stdout)
    const wanted = all.filter((r) => r.type === 'OrderRejected')
    expect(wanted.length).toBeGreaterThan(0)
    const result = await runCli(['topic', 'tail', 'orders', '--where', "type = 'OrderRejected'", '--json'], {cwd})
    expect(result.code).toBe(0)
    expect(parseLines(result.stdout).map((r) => `${r.partition}@${r.offset}`)).toEqual(wanted.map((r) => `${r.partition}@${r.offset}`))
  })

  it('reads a 13-digit --from as epoch milliseconds, like kcat s@', async () => {
    const ms = Date.parse(first.timestamp) + 1
    const expected = parseLines((await runCli(['topic', 'tail', 'orders', '--json'], {cwd})).stdout).filter((r) => Date.parse(r.timestamp) >= ms)
    for (const from of [String(ms), `s@${ms}`]) {
      const result = await runCli(['topic', 'tail', 'orders', '--from', from, '--json'], {cwd})
      expect(result.code).toBe(0)
      expect(parseLines(result.stdout)).toHaveLength(expected.length)
    }
  })

  it('refuses conflicting flags with exit 2 and one line (plus a hint)', async () => {
    const range = await runCli(['topic', 'tail', 'orders', '--from', '2026-01-06', '--until', '2026-01-05'], {cwd})
    expect(range.code).toBe(2)
    expect(range.stdout).toBe('')
    expect(range.stderr).toMatch(/^Error: --from 2026-01-06T00:00:00.000Z is not before --until 2026-01-05T00:00:00.000Z/)
    const cluster = await runCli(['topic', 'tail', 'orders', '--cluster', 'local', '--brokers', '127.0.0.1:9'], {cwd})
    expect(cluster.code).toBe(2)
    expect(cluster.stderr).toMatch(/^Error: --cluster local conflicts with --brokers 127.0.0.1:9/)
    const json = await runCli(['replay', 'orders', '--to', 'orders', '--dry-run', '--from', '2026-01-06', '--until', '2026-01-05', '--json'], {cwd})
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error.code).toBe('USAGE')
  })

  it('trace takes --from, and --since as its alias, with --until', async () => {
    const full = JSON.parse((await runCli(['trace', 'order', '1001', '--json'], {cwd})).stdout)
    const cut = full.events[1].timestamp
    for (const flag of ['--from', '--since']) {
      const result = await runCli(['trace', 'order', '1001', flag, cut, '--json'], {cwd})
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout).events).toHaveLength(full.events.length - 1)
    }

    const until = await runCli(['trace', 'order', '1001', '--until', cut, '--json'], {cwd})
    expect(JSON.parse(until.stdout).events).toHaveLength(1)
    const outside = await runCli(['trace', 'order', '1001', '--since', '2030-01-01'], {cwd})
    expect(outside.code).toBe(1)
    expect(outside.stderr).toMatch(/--from 2030-01-01T00:00:00.000Z is after the newest record; the data spans 2026-/)
  })

  it('says on stderr what an empty answer scanned, exit 0', async () => {
    const total = parseLines((await runCli(['topic', 'tail', 'orders', '--json'], {cwd})).stdout).length
    const none = await runCli(['topic', 'tail', 'orders', '--where', 'false'], {cwd})
    expect(none).toMatchObject({code: 0, stdout: ''})
    expect(none.stderr).toMatch(new RegExp(`^0 of ${total} records in orders \\(6 partitions\\) matched --where; the data spans 2026-01-05T\\S+ … 2026-01-05T\\S+\\n$`))
    const later = await runCli(['topic', 'export', 'orders', '--from', '2030-01-01'], {cwd})
    expect(later.code).toBe(0)
    expect(later.stderr).toMatch(/^0 of \d+ records in orders \(6 partitions\) are in the range read: --from 2030-01-01T00:00:00.000Z is after the newest record; the data spans/)
    const replay = await runCli(['replay', 'orders', '--to', 'orders', '--dry-run', '--where', 'false'], {cwd})
    expect(replay.code).toBe(0)
    expect(replay.stderr).toContain('matched --where; the data spans')
    const some = await runCli(['topic', 'tail', 'orders', '--limit', '1'], {cwd})
    expect(some.stderr).toBe('')
  })
})
