import {describe, expect, it} from 'vitest'

import {type BatchEntry, checkBatch, decodeRecords, encodeBatch} from '../../../src/lib/log/embedded/record-batch.js'
import {decodeBatch} from '../../helpers/decode-batch.js'
import type {Headers} from '../../../src/lib/log/event-log.js'

const T0 = 1_767_603_601_803
const meta = (count: number) => ({baseOffset: 40, from: 40, partition: 2, to: 40 + count, topic: 't'})
const decode = (blob: Buffer, count: number) => decodeBatch(blob, meta(count)).map(({headers, key, timestamp, value}) => ({headers, key, timestamp, value}))

describe('the embedded log\'s record batch blob', () => {
  it('reads a blob written before headers were a list (the format of existing evt.db files)', () => {
    // Written by the previous encodeBatch, which took headers as an object of name → Buffer:
    // {ce_type: 'OrderRequested', empty: '', raw: ff fe}, key '1042', a wire-format value;
    // then a record with null key and value and no headers; then an empty key and an empty value.
    const old = Buffer.from(
      '4279b8d62818b0000000000431303432000000060000000001020003000763655f747970650000000e4f726465725265717565737465640005656d70747900000000000372617700000002fffe' +
        '4279b8d62818c000ffffffffffffffff0000' +
        '4279b8d62818d00000000000000000000000',
      'hex',
    )
    const expected = [
      {
        headers: [['ce_type', Buffer.from('OrderRequested')], ['empty', Buffer.alloc(0)], ['raw', Buffer.from([0xff, 0xfe])]],
        key: Buffer.from('1042'),
        timestamp: T0,
        value: Buffer.from([0, 0, 0, 0, 1, 2]),
      },
      {headers: [], key: null, timestamp: T0 + 1, value: null},
      {headers: [], key: Buffer.alloc(0), timestamp: T0 + 2, value: Buffer.alloc(0)},
    ]
    expect(decode(old, 3)).toEqual(expected)
    // Records without a null header value are written byte for byte as before.
    expect(encodeBatch(expected as BatchEntry[]).equals(old)).toBe(true)
  })

  it('keeps repeated names in order, null values apart from empty ones, and binary values', () => {
    const headers: Headers = [
      ['a', Buffer.from('1')],
      ['b', Buffer.from('x')],
      ['a', Buffer.from('2')],
      ['n', null],
      ['e', Buffer.alloc(0)],
      ['bin', Buffer.from([0xff, 0xfe, 0x00])],
      ['é', null],
    ]
    const entries: BatchEntry[] = [
      {headers, key: Buffer.from([0xff, 0xfe]), timestamp: T0, value: Buffer.from('v')},
      {headers: [['n', null]], key: null, timestamp: T0 + 1, value: null},
      {key: Buffer.alloc(0), timestamp: T0 + 2, value: Buffer.alloc(0)},
    ]
    const records = decode(encodeBatch(entries), 3)
    expect(records).toEqual([
      {headers, key: Buffer.from([0xff, 0xfe]), timestamp: T0, value: Buffer.from('v')},
      {headers: [['n', null]], key: null, timestamp: T0 + 1, value: null},
      {headers: [], key: Buffer.alloc(0), timestamp: T0 + 2, value: Buffer.alloc(0)},
    ])
    expect(records[0].headers[3][1]).toBeNull()
    expect(records[0].headers[4][1]).toEqual(Buffer.alloc(0))
  })

  it('starts at `from` and stops before `to` inside a batch with null header values', () => {
    const entries: BatchEntry[] = [0, 1, 2, 3].map((i) => ({headers: [['n', null], ['i', Buffer.from(String(i))]], key: null, timestamp: T0 + i, value: Buffer.from(String(i))}))
    const records = decodeBatch(encodeBatch(entries), {baseOffset: 10, from: 11, partition: 0, to: 13, topic: 't'})
    expect(records.map((r) => [r.offset, r.value?.toString(), r.headers[1][1]?.toString()])).toEqual([
      [11, '1', '1'],
      [12, '2', '2'],
    ])
  })

  it('decodes a checked batch a slice at a time, the slices joining to what one decode gives', () => {
    const entries: BatchEntry[] = Array.from({length: 300}, (_, i) => ({headers: i % 2 ? [['i', Buffer.from(String(i))]] : [], key: i % 3 ? Buffer.from(`k${i}`) : null, timestamp: T0 + i, value: i % 5 ? Buffer.from(`v${i}`) : null}))
    const blob = encodeBatch(entries)
    for (const [from, to] of [[0, 300], [7, 300], [128, 257], [299, 300]]) {
      const batchMeta = {baseOffset: 0, from, lastOffset: 299, partition: 0, to, topic: 't'}
      const position = checkBatch(blob, batchMeta)
      const slices = []
      for (let slice; (slice = decodeRecords(blob, batchMeta, position, 128)).length > 0; ) slices.push(slice)
      expect(slices.every((slice) => slice.length <= 128)).toBe(true)
      expect(slices.flat()).toEqual(decodeBatch(blob, batchMeta))
      expect(slices.flat().map((record) => record.offset)).toEqual(Array.from({length: to - from}, (_, i) => from + i))
    }

    // From before the batch's first offset (a look-up from offset 0 in a log whose start moved on): all of it.
    expect(decodeBatch(blob, {baseOffset: 40, from: 0, lastOffset: 339, partition: 0, to: 340, topic: 't'}).map((record) => record.offset)).toEqual(Array.from({length: 300}, (_, i) => 40 + i))
  })
})
