import {render} from 'ink-testing-library'
import React from 'react'
import {describe, expect, it} from 'vitest'

import type {DecodedRecord} from '../../src/lib/tail/tail-records.js'
import {formatPrettyLine, recordToJson} from '../../src/ui/record-format.js'
import {TailView} from '../../src/ui/tail-view.js'

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replaceAll(/\u001B\[[0-9;]*m/g, '')

const record = (offset: number, value: unknown, type = 'OrderRequested'): DecodedRecord => ({
  key: {encoding: 'utf8', schema: null, value: '1042'},
  record: {
    headers: {ce_type: Buffer.from(type)},
    key: Buffer.from('1042'),
    offset,
    partition: 2,
    timestamp: Date.parse('2026-01-05T09:00:01.250Z') + offset,
    topic: 'orders',
    value: Buffer.from('x'),
  },
  value: value === null ? null : {encoding: 'avro', schema: {id: 3, subject: 'orders-retail.OrderRequested', version: 1}, value},
})

async function* batches(...lists: DecodedRecord[][]): AsyncIterable<DecodedRecord[]> {
  for (const list of lists) yield list
}

describe('tail output', () => {
  it('renders one line per record with time, position, key, type and value', async () => {
    const {frames} = render(
      <TailView batches={batches([record(0, {orderId: '1042'})], [record(1, null, 'OrderDeleted')])} onError={() => {}} verbose={false} />,
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const output = stripAnsi(frames.join('\n'))
    expect(output).toContain('2026-01-05 09:00:01.250 orders[2]@0 key=1042 OrderRequested {"orderId":"1042"}')
    expect(output).toContain('orders[2]@1 key=1042 OrderDeleted (tombstone)')
    // In CI ink writes the live line only at exit, so look at everything it wrote.
    expect(output).toContain('2 records')
  })

  it('shares its parts with the plain formatter used in pipes', () => {
    expect(formatPrettyLine(record(5, {orderId: '1042'}))).toBe('2026-01-05 09:00:01.255  orders[2]@5  key=1042  OrderRequested  {"orderId":"1042"}')
  })

  it('maps a record to the JSON line contract', () => {
    expect(recordToJson(record(0, {orderId: '1042'}))).toEqual({
      headers: {ce_type: 'OrderRequested'},
      key: '1042',
      offset: 0,
      partition: 2,
      schema: {id: 3, subject: 'orders-retail.OrderRequested', version: 1},
      timestamp: '2026-01-05T09:00:01.250Z',
      topic: 'orders',
      type: 'OrderRequested',
      value: {orderId: '1042'},
      valueEncoding: 'avro',
    })
  })
})
