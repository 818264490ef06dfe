import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {useTempDir} from '../helpers/temp-dir.js'
import {runCli} from '../helpers/run-cli.js'

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[/

describe('evt on the embedded default (through pipes)', () => {
  const tempDir = useTempDir()
  let seeded: string

  beforeAll(async () => {
    const {mkdtempSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    seeded = mkdtempSync(path.join(tmpdir(), 'evt-e2e-'))
    const demo = await runCli(['demo', '--orders', '200'], {cwd: seeded})
    expect(demo.code).toBe(0)
  })

  it('evt demo seeds the log, writes evt.yaml and prints the next commands', async () => {
    const cwd = tempDir()
    const result = await runCli(['demo', '--orders', '100', '--json'], {cwd})
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({cluster: 'local', config: path.join(cwd, 'evt.yaml')})
    expect(report.events).toBeGreaterThan(500)
    const list = await runCli(['topic', 'list', '--json'], {cwd})
    expect(JSON.parse(list.stdout).map((t: {name: string}) => t.name)).toEqual(['orders', 'payments', 'shipments', 'stock'])

    const human = await runCli(['demo'], {cwd})
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/already hold \d+ records: nothing written/)
    expect(human.stderr).toContain('evt topic tail orders payments --from beginning --limit 20')
  })

  it('tails two topics as 20 decoded JSON lines in timestamp order', async () => {
    const result = await runCli(['topic', 'tail', 'orders', 'payments', '--from', 'beginning', '--limit', '20', '--json'], {cwd: seeded})
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line))
    expect(lines).toHaveLength(20)
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers', 'schema']))
      expect(['orders', 'payments']).toContain(line.topic)
      expect(line.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(typeof line.value).toBe('object')
      expect(line.value.orderId).toMatch(/^\d+$/)
      expect(line.schema).toMatchObject({subject: `${line.topic}-retail.${line.headers.ce_type}`, version: 1})
    }

    const times = lines.map((line) => Date.parse(line.timestamp))
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(lines.some((line) => line.topic === 'payments')).toBe(true)
  })

  it('writes plain lines without ANSI codes to a pipe, even with --format pretty', async () => {
    const result = await runCli(['topic', 'tail', 'orders', '--from', 'beginning', '--limit', '5', '--format', 'pretty'], {cwd: seeded, env: {FORCE_COLOR: '1'}})
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(5)
    expect(result.stdout).toMatch(/orders\[\d\]@\d+ {2}key=\d+ {2}Order\w+/)
    expect(ANSI.test(result.stdout)).toBe(false)
  })

  it('defaults to JSON lines in a pipe', async () => {
    const result = await runCli(['topic', 'tail', 'stock', '--limit', '2'], {cwd: seeded})
    expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line).topic)).toEqual(['stock', 'stock'])
  })

  it('exits 2 on an unknown topic, listing the topics that exist', async () => {
    const result = await runCli(['topic', 'tail', 'ordres'], {cwd: seeded})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("unknown topic 'ordres'")
    expect(result.stderr).toContain('orders, payments, shipments, stock')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2 on a --from that does not parse, showing the accepted forms', async () => {
    const result = await runCli(['topic', 'tail', 'orders', '--from', 'yesterday'], {cwd: seeded})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("cannot read --from 'yesterday'")
    expect(result.stderr).toContain('beginning, end, -N')
  })

  it('exits 2 on an invalid evt.yaml, naming the file and the path in it', async () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'evt.yaml'), 'clusters:\n  prod: { brokers: [kafka-1] }\n')
    const result = await runCli(['topic', 'list'], {cwd})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${path.join(cwd, 'evt.yaml')}: clusters.prod.brokers[0]: expected HOST:PORT`)
  })

  it('exits 2 when EVT_HOME cannot be written, naming the directory', async () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'a-file'), '')
    const home = path.join(cwd, 'a-file', 'home')
    // A command that writes the log: only those create it (read-only ones report it missing).
    const result = await runCli(['topic', 'create', 'audit'], {cwd, env: {EVT_HOME: home}})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`cannot write to ${home}`)
    expect(result.stderr).toContain('EVT_HOME')
  })

  it('exits 130 on Ctrl-C during tail --follow, without a stack trace', async () => {
    // Interrupt once it is following (it has printed the last record of each partition), not while Node starts.
    const result = await runCli(['topic', 'tail', 'orders', '--follow', '--from', '-1'], {
      cwd: seeded,
      onSpawn: (child) => child.stdout!.once('data', () => setTimeout(() => child.kill('SIGINT'), 300)),
    })
    expect(result.code).toBe(130)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('creates topics and rejects a bad name with exit 2', async () => {
    const cwd = tempDir()
    mkdirSync(path.join(cwd, 'sub'))
    expect((await runCli(['topic', 'create', 'audit', '--partitions', '3'], {cwd})).code).toBe(0)
    const list = await runCli(['topic', 'list'], {cwd})
    expect(list.stdout).toMatch(/audit\s+3\s+0/)
    const bad = await runCli(['topic', 'create', 'bad name'], {cwd})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("invalid topic name 'bad name'")
  })
})
