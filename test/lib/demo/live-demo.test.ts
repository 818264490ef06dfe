import {describe, expect, it} from 'vitest'

import {playedAt} from '../../../src/lib/demo/live-demo.js'
import type {RetailEvent} from '../../../src/lib/demo/retail-flow.js'

const START = Date.parse('2026-11-29T10:00:00Z')
const event = (afterMs: number, type = 'OrderRequested'): RetailEvent => ({key: '1', orderId: '1', seq: 0, timestamp: START + afterMs, topic: 'orders', type, value: {orderId: '1'}})

describe('playedAt', () => {
  it('keeps seconds as they are and plays a day-long flow in about a minute, in the same order', () => {
    const afters = [0, 300, 1500, 2000, 7700, 60_000, 3 * 3_600_000, 36 * 3_600_000]
    const played = afters.map((after) => playedAt(event(after), START).timestamp - START)
    expect(played.slice(0, 4)).toEqual([0, 300, 1500, 2000])
    expect(played).toEqual([...played].sort((a, b) => a - b))
    expect(new Set(played).size).toBe(played.length)
    expect(played.at(-1)).toBeGreaterThan(50_000)
    expect(played.at(-1)).toBeLessThan(75_000)
  })

  it('says a shipment was delivered when it is played, not days ahead', () => {
    const delivered = playedAt({...event(30 * 3_600_000, 'ShipmentDelivered'), value: {deliveredAt: START + 30 * 3_600_000}}, START)
    expect(delivered.value.deliveredAt).toBe(delivered.timestamp)
  })
})
