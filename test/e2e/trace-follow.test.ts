import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {startEvt} from '../reliability/kafka-faults.js'

/*
 * `evt trace FLOW ID --follow` on the demo's embedded log: the story so far, then each event of the
 * id that another process writes, until an end event arrives (exit 0) or Ctrl-C (130).
 */
describe('evt trace --follow', () => {
  let cwd: string
  let stalled: string[]
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-trace-follow-'))
    expect((await runCli(['demo', '--orders', '150'], {cwd})).code).toBe(0)
    stalled = JSON.parse((await runCli(['trace', 'order', '--stalled', '--json'], {cwd})).stdout).stalled.map((s: {id: string}) => s.id)
    expect(stalled.length).toBeGreaterThan(2)
  })

  const produce = async (topic: string, subject: string, key: string, type: string, value: object) => {
    const line = JSON.stringify({headers: {ce_source: 'test', ce_type: type}, key, value})
    const result = await runCli(['topic', 'produce', topic, '--subject', subject], {cwd, input: `${line}\n`})
    expect(result.code, result.stderr).toBe(0)
  }

  const pay = (id: string) => produce('payments', 'payments-retail.PaymentProcessed', `P-${id}`, 'PaymentProcessed', {amount: 5, method: 'card', orderId: id, paymentId: `P-${id}`})
  const confirm = (id: string) => produce('orders', 'orders-retail.OrderConfirmed', id, 'OrderConfirmed', {orderId: id, paymentId: `P-${id}`, status: 'CONFIRMED', total: 5})

  it('tells the story so far, then each new event, and exits 0 once an end event arrives', async () => {
    const id = stalled[0]
    const follow = startEvt(['trace', 'order', id, '--follow'], {cwd})
    await follow.waitFor('the story so far', (stdout) => stdout.includes(`order ${id}: stalled after OrderValidated`), 20_000)
    await pay(id)
    await follow.waitFor('the payment', (stdout) => /PaymentProcessed +→ payments\[\d+\]@\d+ +paymentId=P-/.test(stdout) && stdout.includes(`order ${id}: stalled after PaymentProcessed`), 20_000)
    await confirm(id)
    const done = await follow.done
    expect(done.code, done.stderr).toBe(0)
    // Nothing on stderr: not even a listener warning for following 24 partitions at once.
    expect(done.stderr).toBe('')
    const lines = done.stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(new RegExp(`^order ${id}: completed \\(OrderConfirmed at `))
    // Each event once: the payment row is not printed again with the confirmation.
    expect(done.stdout.match(/PaymentProcessed +→/g)).toHaveLength(1)
  })

  it('prints the whole trace as one JSON line each time it changes with --json', async () => {
    const id = stalled[1]
    const follow = startEvt(['trace', 'order', id, '--follow', '--json'], {cwd})
    await follow.waitFor('the first line', (stdout) => stdout.includes('\n'), 20_000)
    await pay(id)
    await follow.waitFor('the second line', (stdout) => stdout.split('\n').length > 2, 20_000)
    await confirm(id)
    const done = await follow.done
    expect(done.code, done.stderr).toBe(0)
    const traces = done.stdout.trimEnd().split('\n').map((line) => JSON.parse(line))
    expect(traces.map((trace) => trace.verdict.status)).toEqual(['stalled', 'stalled', 'completed'])
    expect(traces.map((trace) => trace.events.length)).toEqual([traces[0].events.length, traces[0].events.length + 1, traces[0].events.length + 2])
    expect(traces[2].events.at(-1)).toMatchObject({source: 'orders-service', topic: 'orders', type: 'OrderConfirmed'})
  })

  it('waits for an id with no events yet, and ends with 130 on Ctrl-C', async () => {
    const follow = startEvt(['trace', 'order', '777001', '--follow'], {cwd})
    await follow.waitFor('the wait', (stdout) => stdout.includes('no events for order 777001 yet in orders, payments, stock, shipments'), 20_000)
    await pay('777001')
    await follow.waitFor('the first event', (stdout) => stdout.includes('order 777001: stalled after PaymentProcessed'), 20_000)
    follow.child.kill('SIGINT')
    const done = await follow.done
    expect(done.code).toBe(130)
  })

  it('refuses what a follow cannot do, with exit 2', async () => {
    const until = await runCli(['trace', 'order', '1001', '--follow', '--until', 'now'], {cwd})
    expect(until.code).toBe(2)
    expect(until.stderr).toBe('Error: --follow reads on past the end of the log; it takes no --until\n')
    const mermaid = await runCli(['trace', 'order', '1001', '--follow', '--format', 'mermaid'], {cwd})
    expect(mermaid.code).toBe(2)
    expect(mermaid.stderr).toMatch(/^Error: --follow tells the story as it grows/)
  })
})
