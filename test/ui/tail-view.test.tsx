import {render as renderInk} from 'ink'
import {render} from 'ink-testing-library'
import {EventEmitter} from 'node:events'
import React from 'react'
import {describe, expect, it} from 'vitest'

import type {DecodedRecord} from '../../src/lib/read/read-records.js'
import {formatPrettyLine, recordJsonLine, recordToJson} from '../../src/ui/record-format.js'
import {TailView} from '../../src/ui/tail-view.js'

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replaceAll(/\u001B\[[0-9;]*m/g, '')

const record = (offset: number, value: unknown, type = 'OrderRequested'): DecodedRecord => ({
  key: {encoding: 'utf8', schema: null, value: '1042'},
  record: {
    headers: [['ce_type', Buffer.from(type)]],
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
  it('writes one line per record, as the plain formatter does, above the status line', async () => {
    const {frames} = render(
      <TailView batches={batches([record(0, {orderId: '1042'})], [record(1, null, 'OrderDeleted')])} onError={() => {}} verbose={false} />,
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const output = stripAnsi(frames.join('\n'))
    expect(output).toContain('2026-01-05 09:00:01.250  orders[2]@0  key=1042  OrderRequested  {"orderId":"1042"}')
    expect(output).toContain('orders[2]@1  key=1042  OrderDeleted  (tombstone)')
    // Written once each: the first batch is not drawn again when the second comes.
    expect(output.split('orders[2]@0').length - 1).toBe(1)
    // In CI ink writes the live line only at exit, so look at everything it wrote.
    expect(output).toContain('2 records')
  })

  it('keeps the status line on one line on a narrow terminal, cut rather than wrapped', async () => {
    // A terminal 12 columns wide: ink lays out at stdout.columns.
    const writes: string[] = []
    const stdout = Object.assign(new EventEmitter(), {columns: 12, write: (chunk: string) => writes.push(chunk)})
    // A follow that waits for records forever: the status line stays live.
    const never: AsyncIterable<DecodedRecord[]> = {[Symbol.asyncIterator]: () => ({next: () => new Promise(() => {})})}
    const app = renderInk(<TailView batches={never} follow onError={() => {}} verbose={false} />, {
      debug: true,
      exitOnCtrlC: false,
      patchConsole: false,
      stdout: stdout as unknown as NodeJS.WriteStream,
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    app.unmount()
    // The last frame ink drew (with CI set, ink draws only at unmount, then ends with a bare newline).
    const frame = stripAnsi(writes.findLast((chunk) => stripAnsi(chunk).trim() !== '') ?? '')
    expect(frame).toMatch(/^following/)
    expect(frame.trimEnd().split('\n')).toHaveLength(1)
  })

  it('formats a line for a pipe, and for a terminal coloured and cut to its width', () => {
    const line = '2026-01-05 09:00:01.255  orders[2]@5  key=1042  OrderRequested  {"orderId":"1042"}'
    expect(formatPrettyLine(record(5, {orderId: '1042'}))).toBe(line)
    const painted = formatPrettyLine(record(5, {orderId: '1042'}), false, {color: true, width: 70})
    expect(painted).not.toBe(stripAnsi(painted))
    expect(stripAnsi(painted)).toBe(`${line.slice(0, 69)}…`)
    // --verbose shows the value whole, indented, whatever the width.
    expect(stripAnsi(formatPrettyLine(record(5, {orderId: '1042'}), true, {color: true, width: 70}))).toMatch(/OrderRequested {2}\{\n {2}"orderId": "1042"\n\}$/)
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

  it('keeps every header and marks bytes in the JSON line; a binary key shows as base64 in both forms', () => {
    const binary: DecodedRecord = {
      key: {encoding: 'base64', schema: null, value: '//4='},
      record: {
        headers: [
          ['ce_type', Buffer.from('A')],
          ['trace', Buffer.from('t1')],
          ['ce_type', Buffer.from('B')],
          ['gone', null],
          ['raw', Buffer.from([0xff, 0xfe])],
        ],
        key: Buffer.from([0xff, 0xfe]),
        offset: 7,
        partition: 0,
        timestamp: Date.parse('2026-01-05T09:00:01.250Z'),
        topic: 'orders',
        value: Buffer.from([0x80]),
      },
      value: {encoding: 'base64', schema: null, value: 'gA=='},
    }
    expect(recordToJson(binary)).toMatchObject({
      headers: {ce_type: ['A', 'B'], gone: null, raw: {base64: '//4='}, trace: 't1'},
      key: {base64: '//4='},
      type: 'B',
      value: 'gA==',
      valueEncoding: 'base64',
    })
    const text = {...binary, key: {encoding: 'utf8' as const, schema: null, value: '//4='}}
    expect(recordToJson(text).key).toBe('//4=')
    expect(formatPrettyLine(binary)).toBe('2026-01-05 09:00:01.250  orders[0]@7  key=base64://4=  B  gA==')
    expect(formatPrettyLine(text)).toBe('2026-01-05 09:00:01.250  orders[0]@7  key=//4=  B  gA==')
    expect(formatPrettyLine({...binary, key: null})).toContain('  key=null  ')
  })

  it('writes the JSON line exactly as JSON.stringify writes the contract object, for every kind of record', () => {
    const schema = {id: 3, subject: 'orders-retail.OrderRequested', version: 1}
    const kinds: DecodedRecord[] = [
      record(0, {orderId: '1042'}),
      record(1, null, 'OrderDeleted'),
      record(2, {nested: [1, 'two', {three: null}], quote: 'a "b" \\ \u2028 é'}),
      {...record(3, 'text'), key: null},
      {...record(4, 7), key: {encoding: 'json', schema, value: {id: [1, 2]}}},
      {...record(5, {a: 1}), record: {...record(5, {}).record, headers: [], timestamp: 8.64e15 + 1, topic: 'odd "topic"'}},
      {...record(6, {a: 1}), value: {encoding: 'avro', schema: {id: 9, subject: null, version: null}, type: 'retail.Thing', value: {a: 1}}},
    ]
    for (const decoded of kinds) expect(recordJsonLine(decoded)).toBe(JSON.stringify(recordToJson(decoded)))
  })
})
