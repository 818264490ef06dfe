import {mkdtempSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

describe('evt flow discover (through pipes)', () => {
  let cwd: string
  let demoYaml: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-discover-e2e-'))
    expect((await runCli(['demo', '--orders', '300'], {cwd})).code).toBe(0)
    // The demo's own evt.yaml is the answer; discovery starts without it.
    demoYaml = readFileSync(path.join(cwd, 'evt.yaml'), 'utf8')
    renameSync(path.join(cwd, 'evt.yaml'), path.join(cwd, 'demo.yaml'))
  })

  it("proposes the demo's order flow: the same topics, id locators, owners and ends", async () => {
    const result = await runCli(['flow', 'discover', '--json'], {cwd})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const [order] = JSON.parse(result.stdout).flows
    expect(order).toEqual({
      ends: ['OrderConfirmed', 'OrderRejected', 'ShipmentDelivered'],
      ids: 300,
      name: 'order',
      owners: {orders: 'orders-service', payments: 'payment-service', shipments: 'shipping-service', stock: 'stock-service'},
      topics: {orders: 'key', payments: '$.orderId', shipments: '$.orderId', stock: '$.orderId'},
    })
    // The same flow as the demo writes by hand.
    expect(demoYaml).toContain('      orders:    { id: key }')
    for (const topic of ['payments', 'stock', 'shipments']) expect(demoYaml).toMatch(new RegExp(`${topic}: +\\{ id: \\$\\.orderId \\}`))
    expect(demoYaml).toContain('ends: [OrderConfirmed, OrderRejected, ShipmentDelivered]')
  })

  it('--write adds it to evt.yaml without touching the rest; traced ids tell the same stories as the hand-written flow', async () => {
    writeFileSync(path.join(cwd, 'evt.yaml'), demoYaml)
    const written = await runCli(['flow', 'discover', '--write', '--name', 'found'], {cwd})
    expect(written.code).toBe(0)
    expect(written.stderr).toMatch(/added flow 'found' to .*evt\.yaml/)
    const after = readFileSync(path.join(cwd, 'evt.yaml'), 'utf8')
    // Inserted at the end of flows:, the file otherwise as it was.
    expect(after.replace(/\n {2}# proposed by evt flow discover[^\n]*\n {2}found:\n( {4}[^\n]*\n)+/, '\n')).toBe(demoYaml)

    const stalled = JSON.parse((await runCli(['trace', 'order', '--stalled', '--json'], {cwd})).stdout).stalled.map((s: {id: string}) => s.id)
    const foundStalled = JSON.parse((await runCli(['trace', 'found', '--stalled', '--json'], {cwd})).stdout).stalled.map((s: {id: string}) => s.id)
    expect(foundStalled).toEqual(stalled)
    for (const id of ['1001', '1150', '1300', stalled[0]]) {
      const story = async (flow: string) => {
        const trace = JSON.parse((await runCli(['trace', flow, id, '--json'], {cwd})).stdout)
        // The flows list their topics in another order: what was scanned is the same set.
        return {...trace, flow: undefined, scanned: {...trace.scanned, topics: [...trace.scanned.topics].sort()}}
      }

      expect(await story('found')).toEqual(await story('order'))
    }

    const again = await runCli(['flow', 'discover', '--write', '--name', 'found'], {cwd})
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/has a flow 'found' already; it was not replaced/)
    expect(readFileSync(path.join(cwd, 'evt.yaml'), 'utf8')).toBe(after)
  })

  it('says so when no two topics share an id', async () => {
    const none = await runCli(['flow', 'discover', '--topics', 'orders'], {cwd})
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/^Error: no flow found: no two of orders share an id in their first 10,000 records\nHint: /)
  })
})
