import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

describe('evt trace (through pipes)', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-trace-e2e-'))
    expect((await runCli(['demo', '--orders', '150'], {cwd})).code).toBe(0)
  })

  it('prints the --json contract with events in time order', async () => {
    const result = await runCli(['trace', 'order', '1001', '--json'], {cwd})
    expect(result.code).toBe(0)
    const trace = JSON.parse(result.stdout)
    expect(Object.keys(trace)).toEqual(expect.arrayContaining(['flow', 'id', 'verdict', 'events', 'anomalies']))
    expect(trace).toMatchObject({flow: 'order', id: '1001', verdict: {status: expect.stringMatching(/completed|rejected|stalled/)}})
    const first = trace.events[0]
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['timestamp', 'topic', 'partition', 'offset', 'type', 'source', 'summary', 'consumedBy', 'pendingFor', 'value']))
    const times = trace.events.map((e: {timestamp: string}) => Date.parse(e.timestamp))
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('exits 1 when the id is not found, 2 for an unknown flow, 1 with --fail-on-stall on a stalled flow', async () => {
    const missing = await runCli(['trace', 'order', '424242'], {cwd})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no events for order 424242 in orders, payments, stock, shipments \(scanned \d+ records between/)
    const unknown = await runCli(['trace', 'refund', '1'], {cwd})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('available: order')

    const stalled = JSON.parse((await runCli(['trace', 'order', '--stalled', '--json'], {cwd})).stdout).stalled
    expect(stalled.length).toBeGreaterThan(0)
    const failing = await runCli(['trace', 'order', stalled[0].id, '--fail-on-stall'], {cwd})
    expect(failing.code).toBe(1)
    expect(failing.stdout).toContain(`order ${stalled[0].id}: stalled`)
  })

  it('warns about a flow topic that does not exist and goes on', async () => {
    const config = path.join(cwd, 'evt.yaml')
    const original = readFileSync(config, 'utf8')
    writeFileSync(config, original.replace('      shipments: { id: $.orderId }', '      shipments: { id: $.orderId }\n      refunds: { id: $.orderId }'))
    try {
      const result = await runCli(['trace', 'order', '1001', '--format', 'mermaid'], {cwd})
      expect(result.code).toBe(0)
      expect(result.stderr).toContain("topic 'refunds' of flow 'order' does not exist")
      expect(result.stdout.startsWith('sequenceDiagram\n')).toBe(true)
    } finally {
      writeFileSync(config, original)
    }
  })
})
