import {describe, expect, it} from 'vitest'

import type {FlowEvent} from '../../src/lib/trace/flow-events.js'
import type {TraceResult} from '../../src/lib/trace/trace-flow.js'
import {formatNarrative} from '../../src/ui/trace-format.js'

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replaceAll(/\u001B\[[0-9;]*m/g, '')

const event = (offset: number, at: string, topic: string, type: string, source: string, groups: Partial<FlowEvent> = {}): FlowEvent => ({
  consumedBy: [],
  headers: {},
  offset,
  partition: 1,
  pendingFor: [],
  source,
  summary: `summary of ${type}`,
  timestamp: Date.parse(at),
  topic,
  type,
  value: {},
  ...groups,
})

const trace: TraceResult = {
  anomalies: ['OrderRequested at orders[1]@3 appears twice'],
  events: [
    event(3, '2026-01-05T09:00:00.000Z', 'orders', 'OrderRequested', 'orders-service', {consumedBy: ['billing']}),
    event(17, '2026-01-05T09:00:00.642Z', 'payments', 'PaymentProcessed', 'payment-service', {pendingFor: ['shipping']}),
    event(4, '2026-01-05T12:38:51.000Z', 'orders', 'OrderConfirmed', 'orders-service'),
  ],
  flow: 'order',
  id: '1042',
  scanned: {from: null, records: 1948, to: null, topics: ['orders', 'payments']},
  verdict: {detail: 'OrderConfirmed at 2026-01-05T12:38:51.000Z', status: 'completed'},
}

describe('trace narrative', () => {
  it('aligns the columns and ends with the anomalies and what was scanned', () => {
    expect(formatNarrative(trace).split('\n')).toEqual([
      'order 1042: completed (OrderConfirmed at 2026-01-05T12:38:51.000Z)',
      '',
      '  2026-01-05 09:00:00.000           orders-service   OrderRequested    → orders[1]@3     summary of OrderRequested',
      '                                  consumed by billing',
      '  2026-01-05 09:00:00.642   +642ms  payment-service  PaymentProcessed  → payments[1]@17  summary of PaymentProcessed',
      '                                  not yet by shipping',
      '  2026-01-05 12:38:51.000  +3h 38m  orders-service   OrderConfirmed    → orders[1]@4     summary of OrderConfirmed',
      '',
      'anomalies:',
      '  - OrderRequested at orders[1]@3 appears twice',
      '',
      'scanned 1948 records in orders, payments',
    ])
  })

  it('on a terminal: the same text, coloured after padding so the columns still line up', () => {
    const coloured = formatNarrative(trace, {color: true})
    expect(coloured).not.toBe(formatNarrative(trace))
    expect(coloured).toContain('\u001B[32m')
    expect(stripAnsi(coloured)).toBe(formatNarrative(trace))
  })
})
