import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {startEvt} from '../reliability/kafka-faults.js'

/*
 * `evt demo --live` on a new user's machine: orders happen now, so following, tracing and the
 * consumer groups show something without a real cluster.
 */
describe('evt demo --live', () => {
  it('places orders now, plays their flows, commits consumer offsets with audit lagging, and stops on Ctrl-C', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-live-'))
    const started = Date.now()
    const live = startEvt(['demo', '--live', '--rate', '4'], {cwd})
    await live.waitFor('three orders', (stdout) => (stdout.match(/^placed order \d+$/gm) ?? []).length >= 3, 20_000)
    expect(live.stderr()).toContain("live demo on 'local': placing 4 orders a second, stamped now, until Ctrl-C")

    // A payment is written 1-11 s after its order; billing commits within a second of it.
    let payment: {key: string; timestamp: string; value: {orderId: string}} | undefined
    for (let attempt = 0; attempt < 40 && !payment; attempt++) {
      const tail = await runCli(['topic', 'tail', 'payments', '--from', 'beginning', '--json'], {cwd})
      payment = tail.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((record) => record.type === 'PaymentProcessed')
      if (!payment) await new Promise((resolve) => setTimeout(resolve, 500))
    }

    expect(payment).toBeDefined()
    expect(Date.parse(payment!.timestamp)).toBeGreaterThanOrEqual(started)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const trace = JSON.parse((await runCli(['trace', 'order', payment!.value.orderId, '--json'], {cwd})).stdout)
    const paid = trace.events.find((e: {type: string}) => e.type === 'PaymentProcessed')
    expect(paid).toMatchObject({consumedBy: ['billing'], pendingFor: ['audit']})
    expect(trace.events[0]).toMatchObject({type: 'OrderRequested'})
    expect(Date.parse(trace.events[0].timestamp)).toBeGreaterThanOrEqual(started)

    live.child.kill('SIGINT')
    const done = await live.done
    expect(done.code).toBe(130)
    expect(done.stderr).toMatch(/live demo stopped: \d+ orders, \d+ events written/)
  })

  it('refuses a rate it cannot use, with exit 2', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-live-'))
    for (const rate of ['0', 'fast', '-1']) {
      const result = await runCli(['demo', '--live', '--rate', rate], {cwd})
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^Error: cannot read --rate /)
    }
  })
})
