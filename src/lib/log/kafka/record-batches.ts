import type {Headers, LogRecord} from '../event-log.js'
import {EvtError} from '../../errors.js'

/*
 * Kafka's record batch format (magic 2, KIP-98), decoded straight into LogRecords. kafkajs's own
 * decoder builds Long objects and decimal strings for every offset and timestamp, which made it
 * most of the cost of reading a topic; this one reads numbers and slices buffers, nothing else.
 */

/** A transaction the broker reports as aborted in this fetch: its records are skipped (READ_COMMITTED). */
export interface AbortedTransaction {
  firstOffset: number
  producerId: bigint
}

export interface DecodedBatches {
  /**
   * A batch that could not be decompressed: the records before it are in `records`, `nextOffset`
   * is its base offset, and the caller raises this after passing those records on.
   */
  error?: Error
  /** The offset after the last complete batch (control and aborted batches included), or undefined if none was complete. */
  nextOffset: number | undefined
  records: LogRecord[]
}

/** Decompresses a batch's records section (compression.ts); `offset` is the batch's base offset, for errors. */
export type Decompress = (attributes: number, data: Buffer, offset: number) => Promise<Buffer>

const BATCH_HEADER = 61
const COMPRESSION_MASK = 0x07
const LOG_APPEND_TIME = 0x08
const TRANSACTIONAL = 0x10
const CONTROL = 0x20

/**
 * The records of the complete batches in `data` (a Fetch response's record set) from offset
 * `from` on and before `to`. A partial batch at the end (the broker cuts at maxBytes) is left for
 * the next fetch.
 */
export async function decodeRecordBatches(
  data: Buffer,
  context: {aborted: AbortedTransaction[]; decompress: Decompress; from: number; partition: number; to?: number; topic: string},
): Promise<DecodedBatches> {
  const records: LogRecord[] = []
  const aborted = [...context.aborted].sort((a, b) => a.firstOffset - b.firstOffset)
  const abortedProducers = new Set<bigint>()
  let nextOffset: number | undefined
  let position = 0
  while (position + 12 <= data.length) {
    const baseOffset = Number(data.readBigInt64BE(position))
    const length = data.readInt32BE(position + 8)
    const end = position + 12 + length
    if (end > data.length || length < BATCH_HEADER - 12) break
    const magic = data.readInt8(position + 16)
    if (magic !== 2) {
      const error = new EvtError('UNSUPPORTED_FORMAT', `${context.topic}[${context.partition}]@${baseOffset} holds a message format v${magic} batch; evt reads v2 (written by Kafka ≥ 0.11 clients)`)
      return {error, nextOffset: baseOffset > context.from ? baseOffset : undefined, records}
    }

    const attributes = data.readInt16BE(position + 21)
    const lastOffsetDelta = data.readInt32BE(position + 23)
    const baseTimestamp = Number(data.readBigInt64BE(position + 27))
    const maxTimestamp = Number(data.readBigInt64BE(position + 35))
    const producerId = data.readBigInt64BE(position + 43)
    const count = data.readInt32BE(position + 57)
    nextOffset = baseOffset + lastOffsetDelta + 1

    while (aborted.length > 0 && aborted[0].firstOffset <= baseOffset + lastOffsetDelta) abortedProducers.add(aborted.shift()!.producerId)
    const control = (attributes & CONTROL) !== 0
    if (control) {
      // A commit or abort marker ends the producer's transaction.
      abortedProducers.delete(producerId)
    } else if (!((attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(producerId)) && nextOffset > context.from) {
      let body = data.subarray(position + BATCH_HEADER, end)
      if ((attributes & COMPRESSION_MASK) !== 0) {
        try {
          body = await context.decompress(attributes, body, baseOffset)
        } catch (error) {
          return {error: error as Error, nextOffset: baseOffset > context.from ? baseOffset : undefined, records}
        }
      }

      const timestamp = (attributes & LOG_APPEND_TIME) === 0 ? undefined : maxTimestamp
      decodeRecords(body, count, {baseOffset, baseTimestamp, ...context, records, timestamp})
    }

    position = end
  }

  return {nextOffset, records}
}

function decodeRecords(
  body: Buffer,
  count: number,
  context: {baseOffset: number; baseTimestamp: number; from: number; partition: number; records: LogRecord[]; timestamp?: number; to?: number; topic: string},
): void {
  const reader = new VarintReader(body)
  for (let i = 0; i < count; i++) {
    const length = reader.varint()
    const next = reader.position + length
    reader.position++ // attributes: unused
    const timestampDelta = reader.varint()
    const offset = context.baseOffset + reader.varint()
    const key = reader.bytes()
    const value = reader.bytes()
    const headerCount = reader.varint()
    // Every header in order: a name may repeat, and a value length of -1 is a null value.
    const headers: Headers = headerCount > 0 ? new Array(headerCount) : []
    for (let h = 0; h < headerCount; h++) headers[h] = [reader.bytes()!.toString('utf8'), reader.bytes()]

    reader.position = next
    if (offset < context.from) continue
    if (context.to !== undefined && offset >= context.to) return
    context.records.push({headers, key, offset, partition: context.partition, timestamp: context.timestamp ?? context.baseTimestamp + timestampDelta, topic: context.topic, value})
  }
}

/** Zig-zag varints as Kafka writes them (up to 2^53, enough for any timestamp delta). */
class VarintReader {
  position = 0

  constructor(private readonly buffer: Buffer) {}

  /** Length-prefixed bytes; a length of -1 is null. */
  bytes(): Buffer | null {
    const length = this.varint()
    if (length < 0) return null
    const start = this.position
    this.position += length
    return this.buffer.subarray(start, this.position)
  }

  varint(): number {
    let result = 0
    let multiplier = 1
    for (;;) {
      const byte = this.buffer[this.position++]
      if (byte === undefined) throw new EvtError('DATA_CORRUPT', 'record batch ends inside a varint')
      result += (byte & 0x7f) * multiplier
      if (byte < 0x80) break
      multiplier *= 128
    }

    // Zig-zag: even → positive, odd → negative.
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2
  }
}
