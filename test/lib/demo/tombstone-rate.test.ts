import {describe, expect, it} from 'vitest'

import {SeededRandom} from '../../../src/lib/demo/random.js'
import {FIRST_ORDER_ID, generateOrder, type RetailEvent} from '../../../src/lib/demo/retail-flow.js'
import {seedDemo} from '../../../src/lib/demo/seed-demo.js'
import {RETAIL_TOPICS} from '../../../src/lib/demo/retail-schemas.js'
import type {EventLog} from '../../../src/lib/log/event-log.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'
import {readAll} from '../../helpers/read-all.js'

const START = Date.parse('2026-01-05T09:00:00Z')

/** The events of `orders` orders, as the demo generates them before writing. */
function generate(orders: number, seed: number, tombstoneRate?: number): RetailEvent[] {
  const random = new SeededRandom(seed)
  let seq = 0
  const events: RetailEvent[] = []
  for (let index = 0; index < orders; index++) events.push(...generateOrder(random, index, START + index * 3000, () => seq++, tombstoneRate).events)
  return events
}

const tombstoneShare = (events: RetailEvent[]) => {
  const orders = events.filter((event) => event.topic === 'orders')
  return orders.filter((event) => event.type === 'tombstone').length / orders.length
}

async function dumpLog(log: EventLog): Promise<string[]> {
  const lines: string[] = []
  for (const topic of RETAIL_TOPICS) {
    for (const r of await readAll(log, topic)) lines.push([r.topic, r.partition, r.offset, r.timestamp, r.key?.toString('hex'), r.value?.toString('hex') ?? 'null'].join('|'))
  }

  return lines
}

describe('evt demo --tombstone-rate', () => {
  const openBackend = useEmbeddedBackend()

  it.each([0, 0.01, 0.05, 0.2, 0.5, 0.9])('makes about %s of the orders records tombstones', (rate) => {
    const share = tombstoneShare(generate(10_000, 42, rate))
    expect(Math.abs(share - rate)).toBeLessThan(Math.max(0.005, rate * 0.05))
  })

  it('bounds the tombstones of an order at rate 1, and keeps every order flow before its tombstones', () => {
    const events = generate(50, 1, 1)
    expect(tombstoneShare(events)).toBeGreaterThan(0.99)
    const byOrder = new Map<string, RetailEvent[]>()
    for (const event of events) byOrder.set(event.orderId, [...(byOrder.get(event.orderId) ?? []), event])
    expect(byOrder.size).toBe(50)
    for (const [orderId, flow] of byOrder) {
      expect(Number(orderId)).toBeGreaterThanOrEqual(FIRST_ORDER_ID)
      const firstTombstone = flow.findIndex((event) => event.type === 'tombstone')
      const lastOther = flow.findLastIndex((event) => event.type !== 'tombstone')
      expect(firstTombstone).toBeGreaterThan(lastOther)
      expect(flow[firstTombstone].timestamp).toBeGreaterThan(flow[lastOther].timestamp)
      for (const event of flow.slice(firstTombstone)) expect(event).toMatchObject({key: orderId, topic: 'orders'})
    }
  })

  it('without a rate, generates what the demo always did (a few completed orders deleted once)', () => {
    const events = generate(10_000, 42)
    const share = tombstoneShare(events)
    expect(share).toBeGreaterThan(0.0005)
    expect(share).toBeLessThan(0.003)
  })

  it('writes a byte-identical log for the same seed and rate, and reports the tombstones it wrote', async () => {
    const a = await openBackend()
    const b = await openBackend()
    const c = await openBackend()
    const first = await seedDemo({...a, orders: 1000, seed: 7, start: START, tombstoneRate: 0.05})
    await seedDemo({...b, orders: 1000, seed: 7, start: START, tombstoneRate: 0.05})
    await seedDemo({...c, orders: 1000, seed: 7, start: START, tombstoneRate: 0.1})
    const dumpA = await dumpLog(a.log)
    expect(await dumpLog(b.log)).toEqual(dumpA)
    expect(await dumpLog(c.log)).not.toEqual(dumpA)
    const orders = dumpA.filter((line) => line.startsWith('orders|'))
    const tombstones = orders.filter((line) => line.endsWith('|null')).length
    expect(first.tombstones).toBe(tombstones)
    expect(tombstones / orders.length).toBeGreaterThan(0.035)
    expect(tombstones / orders.length).toBeLessThan(0.065)
  })
})
