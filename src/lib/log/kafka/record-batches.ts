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

/** One complete batch of a record set whose records a read passes on (not a control batch, not aborted). */
export interface BatchSpan {
  attributes: number
  baseOffset: number
  baseTimestamp: number
  count: number
  /** Byte range of the batch within the record set. */
  end: number
  maxTimestamp: number
  start: number
}

export interface ScannedBatches {
  /**
   * A batch evt cannot read (not message format v2): the records of `spans` come before it, and
   * the caller raises this after passing them on.
   */
  error?: Error
  /** The offset after the last complete batch (control and aborted batches included), or undefined if none was complete. */
  nextOffset: number | undefined
  spans: BatchSpan[]
}

/** Decompresses a batch's records section (compression.ts); `offset` is the batch's base offset, for errors. */
export type Decompress = (attributes: number, data: Buffer, offset: number) => Promise<Buffer>

const BATCH_HEADER = 61
const COMPRESSION_MASK = 0x07
const LOG_APPEND_TIME = 0x08
const TRANSACTIONAL = 0x10
const CONTROL = 0x20
/**
 * The most records decoded at once. A 1 MiB fetch holds thousands of records, and a merged read
 * of many partitions holds one decoded piece of each: decoding piece by piece keeps that bounded
 * by this count, not by the fetch size.
 */
export const RECORDS_PER_PIECE = 256

/**
 * Walks the batch headers of a Fetch response's record set (nothing is decoded): the complete
 * batches that hold records at or after `from`, skipping control batches and the batches of
 * aborted transactions (READ_COMMITTED), and the offset the next fetch starts at. A partial batch
 * at the end (the broker cuts at maxBytes) is left for the next fetch.
 */
export function scanRecordBatches(data: Buffer, context: {aborted: AbortedTransaction[]; from: number; partition: number; topic: string}): ScannedBatches {
  const spans: BatchSpan[] = []
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
      return {error, nextOffset: baseOffset > context.from ? baseOffset : undefined, spans}
    }

    const attributes = data.readInt16BE(position + 21)
    const lastOffsetDelta = data.readInt32BE(position + 23)
    const producerId = data.readBigInt64BE(position + 43)
    nextOffset = baseOffset + lastOffsetDelta + 1

    while (aborted.length > 0 && aborted[0].firstOffset <= baseOffset + lastOffsetDelta) abortedProducers.add(aborted.shift()!.producerId)
    if ((attributes & CONTROL) !== 0) {
      // A commit or abort marker ends the producer's transaction.
      abortedProducers.delete(producerId)
    } else if (!((attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(producerId)) && nextOffset > context.from) {
      spans.push({
        attributes,
        baseOffset,
        baseTimestamp: Number(data.readBigInt64BE(position + 27)),
        count: data.readInt32BE(position + 57),
        end,
        maxTimestamp: Number(data.readBigInt64BE(position + 35)),
        start: position,
      })
    }

    position = end
  }

  return {nextOffset, spans}
}

/**
 * The records of the scanned batches from offset `from` on and before `to`, in pieces of at most
 * RECORDS_PER_PIECE. A batch that does not decompress ends the records with the error `decompress`
 * throws, after every record before it was passed on.
 */
export async function* decodeRecordBatches(
  data: Buffer,
  spans: BatchSpan[],
  context: {decompress: Decompress; from: number; partition: number; to?: number; topic: string},
): AsyncIterable<LogRecord[]> {
  let piece: LogRecord[] = []
  for (const span of spans) {
    let body = data.subarray(span.start + BATCH_HEADER, span.end)
    if ((span.attributes & COMPRESSION_MASK) !== 0) {
      if (piece.length > 0) yield piece
      piece = []
      body = await context.decompress(span.attributes, body, span.baseOffset)
    }

    const timestamp = (span.attributes & LOG_APPEND_TIME) === 0 ? undefined : span.maxTimestamp
    const reader = new VarintReader(body)
    for (let i = 0; i < span.count; i++) {
      const length = reader.varint()
      const next = reader.position + length
      reader.position++ // attributes: unused
      const timestampDelta = reader.varint()
      const offset = span.baseOffset + reader.varint()
      if (offset < context.from) {
        reader.position = next
        continue
      }

      if (context.to !== undefined && offset >= context.to) break
      const key = reader.bytes()
      const value = reader.bytes()
      const headerCount = reader.varint()
      // Every header in order: a name may repeat, and a value length of -1 is a null value.
      const headers: Headers = headerCount > 0 ? new Array(headerCount) : []
      for (let h = 0; h < headerCount; h++) headers[h] = [reader.text(), reader.bytes()]
      reader.position = next
      piece.push({headers, key, offset, partition: context.partition, timestamp: timestamp ?? span.baseTimestamp + timestampDelta, topic: context.topic, value})
      if (piece.length >= RECORDS_PER_PIECE) {
        yield piece
        piece = []
      }
    }
  }

  if (piece.length > 0) yield piece
}

/** Zig-zag varints as Kafka writes them (up to 2^53, enough for any timestamp delta). */
class VarintReader {
  position = 0

  constructor(private readonly buffer: Buffer) {}

  /** A header name: length-prefixed UTF-8, one string per distinct name rather than one per record. */
  text(): string {
    const length = this.varint()
    const start = this.position
    this.position += Math.max(length, 0)
    return internedText(this.buffer, start, this.position)
  }

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

/** Header names by their bytes as latin1 text (one-to-one with the bytes, and cheap to make). */
const headerNames = new Map<string, string>()

function internedText(buffer: Buffer, start: number, end: number): string {
  const bytes = buffer.toString('latin1', start, end)
  let name = headerNames.get(bytes)
  if (name === undefined) {
    name = buffer.toString('utf8', start, end)
    // A log with ever-new names is not worth remembering.
    if (headerNames.size < 1024) headerNames.set(bytes, name)
  }

  return name
}
