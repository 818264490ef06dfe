import {createRequire} from 'node:module'
import {describe, expect, it} from 'vitest'

import type {Headers, LogRecord, OutgoingRecord} from '../../../src/lib/log/event-log.js'
import {installExactHeaders, kafkajsHeaders} from '../../../src/lib/log/kafka/kafka-headers.js'
import {type AbortedTransaction, decodeRecordBatches, type Decompress, RECORDS_PER_PIECE, scanRecordBatches} from '../../../src/lib/log/kafka/record-batches.js'

// Batches are written by kafkajs's own producer-side encoder (with evt's exact headers, as evt
// produces), then read back by evt's decoder.
expect(await installExactHeaders()).toBe(true)
const require = createRequire(import.meta.url)
const Long = require('kafkajs/src/utils/long.js')
const {RecordBatch} = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {RecordBatch: (options: object) => Promise<{buffer: Buffer}>}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: object) => unknown
const {Types: Compression, lookupCodecByAttributes} = require('kafkajs/src/protocol/message/compression/index.js')

const T0 = Date.parse('2026-06-01T00:00:00Z')
const decompress: Decompress = (attributes, data) => lookupCodecByAttributes(attributes).decompress(data)

interface Input {
  headers?: Record<string, Buffer>
  key: Buffer | null
  value: Buffer | null
}

async function batch(firstOffset: number, inputs: Input[], options: {compression?: number; producerId?: number; transactional?: boolean} = {}): Promise<Buffer> {
  const records = inputs.map((input, i) => Record({headers: input.headers, key: input.key, offsetDelta: i, timestampDelta: i * 10, value: input.value}))
  const encoded = await RecordBatch({
    compression: options.compression,
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp: T0 + firstOffset * 1000,
    lastOffsetDelta: inputs.length - 1,
    maxTimestamp: T0 + firstOffset * 1000 + (inputs.length - 1) * 10,
    producerId: Long.fromValue(options.producerId ?? -1),
    records,
    transactional: options.transactional,
  })
  return encoded.buffer
}

/** A batch flagged as a control batch (a transaction marker); its record content does not matter. */
async function controlBatch(offset: number, producerId: number): Promise<Buffer> {
  const bytes = await batch(offset, [{key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0])}], {producerId, transactional: true})
  bytes.writeInt16BE(bytes.readInt16BE(21) | 0x20, 21)
  return bytes
}

/** What a fetch of `data` passes on: scanned, then decoded piece by piece until the end or an error. */
async function decodeAll(data: Buffer, context: {aborted: AbortedTransaction[]; decompress: Decompress; from: number; partition: number; to?: number; topic: string}) {
  const {error: scanError, nextOffset, spans} = scanRecordBatches(data, context)
  const pieces: LogRecord[][] = []
  let error: Error | undefined = scanError
  try {
    for await (const piece of decodeRecordBatches(data, spans, context)) pieces.push(piece)
  } catch (thrown) {
    error = thrown as Error
  }

  return {error, nextOffset, pieces, records: pieces.flat()}
}

const summary = (records: LogRecord[]) =>
  records.map((r) => ({headers: r.headers.map(([k, v]) => [k, v?.toString() ?? null]), key: r.key?.toString() ?? null, offset: r.offset, timestamp: r.timestamp, value: r.value?.toString() ?? null}))

describe('decodeRecordBatches', () => {
  it('reads keys, values, tombstones, null keys, headers, offsets and timestamps, plain and gzip', async () => {
    const data = Buffer.concat([
      await batch(100, [
        {headers: {ce_type: Buffer.from('OrderRequested'), 'x-empty': Buffer.alloc(0)}, key: Buffer.from('1042'), value: Buffer.from('{"a":1}')},
        {key: null, value: Buffer.from('no key')},
        {key: Buffer.from('1042'), value: null},
      ]),
      await batch(103, [{key: Buffer.from('é'), value: Buffer.alloc(300, 'v')}, {key: Buffer.from('b'), value: Buffer.from('two')}], {compression: Compression.GZIP}),
    ])
    const {nextOffset, records} = await decodeAll(data, {aborted: [], decompress, from: 0, partition: 3, topic: 'orders'})
    expect(nextOffset).toBe(105)
    expect(records.every((r) => r.partition === 3 && r.topic === 'orders')).toBe(true)
    expect(summary(records)).toEqual([
      {headers: [['ce_type', 'OrderRequested'], ['x-empty', '']], key: '1042', offset: 100, timestamp: T0 + 100_000, value: '{"a":1}'},
      {headers: [], key: null, offset: 101, timestamp: T0 + 100_010, value: 'no key'},
      {headers: [], key: '1042', offset: 102, timestamp: T0 + 100_020, value: null},
      {headers: [], key: 'é', offset: 103, timestamp: T0 + 103_000, value: 'v'.repeat(300)},
      {headers: [], key: 'b', offset: 104, timestamp: T0 + 103_010, value: 'two'},
    ])
  })

  it('starts at `from` inside a batch, stops before `to`, and leaves a partial batch at the end for the next fetch', async () => {
    const whole = await batch(10, [{key: null, value: Buffer.from('c')}])
    const data = Buffer.concat([await batch(7, [0, 1, 2].map((i) => ({key: null, value: Buffer.from(`r${i}`)}))), whole.subarray(0, whole.length - 5)])
    const {nextOffset, records} = await decodeAll(data, {aborted: [], decompress, from: 8, partition: 0, to: 9, topic: 't'})
    expect(records.map((r) => r.offset)).toEqual([8])
    expect(nextOffset).toBe(10)
    expect((await decodeAll(data.subarray(0, 30), {aborted: [], decompress, from: 0, partition: 0, topic: 't'})).nextOffset).toBeUndefined()
  })

  it('passes on the records before a batch it cannot decompress, then fails with the error', async () => {
    const plain = await batch(0, [0, 1, 2].map((i) => ({key: null, value: Buffer.from(`plain-${i}`)})))
    const unknownCodec = await batch(3, [{key: null, value: Buffer.from('x')}])
    unknownCodec.writeInt16BE((unknownCodec.readInt16BE(21) & ~7) | 6, 21)
    const failing: Decompress = async (attributes, _data, offset) => {
      throw new Error(`codec ${attributes & 7} at ${offset}`)
    }

    const decoded = await decodeAll(Buffer.concat([plain, unknownCodec]), {aborted: [], decompress: failing, from: 0, partition: 2, topic: 't'})
    expect(decoded.records.map((r) => r.value?.toString())).toEqual(['plain-0', 'plain-1', 'plain-2'])
    expect(decoded.error?.message).toBe('codec 6 at 3')
    // Failing on the first batch: nothing to pass on.
    const first = await decodeAll(unknownCodec, {aborted: [], decompress: failing, from: 3, partition: 2, topic: 't'})
    expect(first.records).toEqual([])
    expect(first.error?.message).toBe('codec 6 at 3')
  })

  it('decodes a large fetch piece by piece, never more than RECORDS_PER_PIECE records at once', async () => {
    const count = RECORDS_PER_PIECE * 2 + 7
    const data = Buffer.concat([
      await batch(0, Array.from({length: count}, (_, i) => ({key: null, value: Buffer.from(`r${i}`)}))),
      await batch(count, [{key: null, value: Buffer.from('last')}]),
    ])
    const {nextOffset, pieces, records} = await decodeAll(data, {aborted: [], decompress, from: 5, partition: 0, topic: 't'})
    expect(pieces.map((piece) => piece.length)).toEqual([RECORDS_PER_PIECE, RECORDS_PER_PIECE, 3])
    expect(records.map((r) => r.offset)).toEqual(Array.from({length: count - 4}, (_, i) => i + 5))
    expect(nextOffset).toBe(count + 1)
  })

  it('skips aborted transactions and control batches (READ_COMMITTED), keeping committed ones', async () => {
    const data = Buffer.concat([
      await batch(0, [{key: null, value: Buffer.from('aborted')}], {producerId: 7, transactional: true}),
      await batch(1, [{key: null, value: Buffer.from('committed')}], {producerId: 8, transactional: true}),
      await controlBatch(2, 7),
      await controlBatch(3, 8),
      await batch(4, [{key: null, value: Buffer.from('after')}], {producerId: 7, transactional: true}),
    ])
    const {nextOffset, records} = await decodeAll(data, {aborted: [{firstOffset: 0, producerId: 7n}], decompress, from: 0, partition: 0, topic: 't'})
    expect(records.map((r) => r.value?.toString())).toEqual(['committed', 'after'])
    expect(nextOffset).toBe(5)
  })
})

// kafkajs's Record encoder cannot write a null header value nor interleave names; its Encoder and
// Header encoder can, so this record is written field by field as the record format v2 lays it out.
const Encoder = require('kafkajs/src/protocol/encoder.js')
const Header = require('kafkajs/src/protocol/recordBatch/header/v0/index.js') as (header: {key: string; value: Buffer | null}) => unknown

function recordWithHeaders(offsetDelta: number, headers: Headers): unknown {
  const body = new Encoder()
    .writeInt8(0)
    .writeVarLong(0)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(Buffer.from('k'))
    .writeVarIntBytes(Buffer.from('v'))
    .writeVarIntArray(headers.map(([key, value]) => Header({key, value})))
  return new Encoder().writeVarInt(body.size()).writeEncoder(body)
}

describe('decodeRecordBatches: headers exactly as written', () => {
  it('keeps repeated names in order, interleaved too, and tells a null value from an empty one', async () => {
    const headers: Headers = [
      ['a', Buffer.from('1')],
      ['b', Buffer.from('x')],
      ['a', Buffer.from('2')],
      ['n', null],
      ['e', Buffer.alloc(0)],
      ['bin', Buffer.from([0xff, 0xfe, 0x00])],
    ]
    for (const compression of [Compression.None, Compression.GZIP]) {
      const records = [recordWithHeaders(0, headers), recordWithHeaders(1, [])]
      const {buffer} = await RecordBatch({compression, firstOffset: Long.fromValue(0), firstTimestamp: T0, lastOffsetDelta: 1, maxTimestamp: T0, producerId: Long.fromValue(-1), records})
      const {records: decoded} = await decodeAll(buffer, {aborted: [], decompress, from: 0, partition: 0, topic: 't'})
      expect(decoded.map((r) => r.headers)).toEqual([headers, []])
      expect(decoded[0].headers[3][1]).toBeNull()
      expect(decoded[0].headers[4][1]).toEqual(Buffer.alloc(0))
    }
  })

  it('reads back exactly the headers evt gives kafkajs to produce: interleaved names, repeats, null and empty values', async () => {
    const record = (headers: Headers): OutgoingRecord => ({headers, key: null, topic: 't', value: Buffer.from('v')})
    const produced = async (headers: Headers) => {
      const data = await batch(0, [{headers: kafkajsHeaders(record(headers)) as Record<string, Buffer>, key: null, value: Buffer.from('v')}])
      return (await decodeAll(data, {aborted: [], decompress, from: 0, partition: 0, topic: 't'})).records[0].headers
    }

    const exact: Headers = [['a', Buffer.from('1')], ['b', Buffer.from([0xff])], ['a', Buffer.from('2')], ['n', null], ['e', Buffer.alloc(0)], ['7', Buffer.from('x')], ['__proto__', Buffer.from('p')]]
    expect(await produced(exact)).toEqual(exact)
    expect(kafkajsHeaders(record([]))).toBeUndefined()
  })
})
