import {EvtError} from '../../errors.js'
import type {Headers, LogRecord} from '../event-log.js'
import {ShortTexts} from '../../util/short-text.js'

/** What a batch stores per record; offsets are implied (base offset + index). */
export interface BatchEntry {
  headers?: Headers
  key: Buffer | null
  timestamp: number
  value: Buffer | null
}

/**
 * Records are stored as Kafka stores them: a batch per partition per produce call, one blob.
 * Per record: [f64 timestamp][i32 key length | -1][key][i32 value length | -1][value]
 * [u16 header count] then per header, in order (a name may repeat) [u16 name length][name]
 * [u32 value length | 0xFFFFFFFF][value]. 0xFFFFFFFF is a null header value; blobs written before
 * null values were kept never hold that length (no SQLite blob is 4 GiB), so they read unchanged.
 * One SQLite row per batch instead of one per record is what makes the embedded log fast.
 */
const NULL_HEADER = 0xffffffff
const headerNames = new Map<string, Buffer>()
/** One string per header name for all decoded records: a tail can hold a whole log's records at once. */
const decodedNames = new ShortTexts(1024)

function headerName(name: string): Buffer {
  let bytes = headerNames.get(name)
  if (!bytes) {
    bytes = Buffer.from(name, 'utf8')
    if (headerNames.size < 1024) headerNames.set(name, bytes)
  }

  return bytes
}

export function encodeBatch(entries: BatchEntry[]): Buffer {
  // Two passes over the headers instead of collecting them: this runs once per record on the
  // write path, and intermediate arrays were a good share of its garbage.
  let size = 0
  for (const entry of entries) {
    size += 8 + 4 + (entry.key?.length ?? 0) + 4 + (entry.value?.length ?? 0) + 2
    const headers = entry.headers
    if (headers) for (let h = 0; h < headers.length; h++) size += 2 + headerName(headers[h][0]).length + 4 + (headers[h][1]?.length ?? 0)
  }

  const blob = Buffer.allocUnsafe(size)
  let at = 0
  for (const entry of entries) {
    at = blob.writeDoubleBE(entry.timestamp, at)
    at = writeBytes(blob, entry.key, at)
    at = writeBytes(blob, entry.value, at)
    const headers = entry.headers ?? []
    at = blob.writeUInt16BE(headers.length, at)
    for (let h = 0; h < headers.length; h++) {
      const nameBytes = headerName(headers[h][0])
      const value = headers[h][1]
      at = blob.writeUInt16BE(nameBytes.length, at)
      at += nameBytes.copy(blob, at)
      if (value === null) {
        at = blob.writeUInt32BE(NULL_HEADER, at)
      } else {
        at = blob.writeUInt32BE(value.length, at)
        at += value.copy(blob, at)
      }
    }
  }

  return blob
}

function writeBytes(blob: Buffer, bytes: Buffer | null, at: number): number {
  if (bytes === null) return blob.writeInt32BE(-1, at)
  const after = blob.writeInt32BE(bytes.length, at)
  return after + bytes.copy(blob, after)
}

export interface BatchMeta {
  baseOffset: number
  from: number
  /** The batch's last offset as its row records it: a blob holding another number of records is corrupt. */
  lastOffset?: number
  partition: number
  to: number
  topic: string
}

/** Where the next record of a checked batch starts: its byte and its offset. */
export interface BatchPosition {
  at: number
  offset: number
}

/**
 * Walks a batch's lengths without decoding anything, and says where the record at `from` starts.
 * A blob that does not parse (a length past its end, a timestamp that is not a whole number, a
 * record count that disagrees with its row) is DATA_CORRUPT naming the batch: damaged bytes on disk
 * must not read as other records, nor end a read as "unexpected". Checked whole before any record
 * is decoded, so a corrupt batch gives none.
 */
export function checkBatch(blob: Buffer, meta: BatchMeta): BatchPosition {
  let at = 0
  let offset = meta.baseOffset
  let start: BatchPosition | undefined
  const corrupt = (why: string) => corruptBatch(meta, `record at offset ${offset}: ${why}`)
  const skip = (bytes: number, what: string) => {
    if (bytes < 0 || at + bytes > blob.length) throw corrupt(`${what} of ${bytes} bytes at byte ${at} runs past the batch's ${blob.length} bytes`)
    at += bytes
  }

  // To the blob's end when the row's count is to be checked, else only as far as the read goes.
  const last = meta.lastOffset !== undefined && meta.to > meta.lastOffset ? Number.MAX_SAFE_INTEGER : meta.to
  for (; at < blob.length && offset < last; offset++) {
    if (start === undefined && offset >= meta.from) start = {at, offset}
    skip(8 + 4, 'timestamp and key length')
    const timestamp = blob.readDoubleBE(at - 12)
    if (!Number.isInteger(timestamp)) throw corrupt(`timestamp ${timestamp} is not a whole number of milliseconds`)
    const keyLength = blob.readInt32BE(at - 4)
    if (keyLength !== -1) skip(keyLength, 'key')
    skip(4, 'value length')
    const valueLength = blob.readInt32BE(at - 4)
    if (valueLength !== -1) skip(valueLength, 'value')
    skip(2, 'header count')
    for (let i = blob.readUInt16BE(at - 2); i > 0; i--) {
      if (at + 2 > blob.length) throw corrupt(`header name length of 2 bytes at byte ${at} runs past the batch's ${blob.length} bytes`)
      skip(2 + blob.readUInt16BE(at) + 4, 'header name and value length')
      const headerLength = blob.readUInt32BE(at - 4)
      if (headerLength !== NULL_HEADER) skip(headerLength, 'header value')
    }
  }

  // Read to its end: the blob must have held exactly the batch's records.
  if (last === Number.MAX_SAFE_INTEGER && (offset !== meta.lastOffset! + 1 || at !== blob.length)) {
    throw corruptBatch(meta, `it holds ${offset - meta.baseOffset} records in ${at} of its ${blob.length} bytes, its row says ${meta.lastOffset! - meta.baseOffset + 1}`)
  }

  return start ?? {at, offset}
}

/**
 * Decodes at most `limit` records of a checked batch from `position` on, up to `meta.to`, and moves
 * `position` past them (keys, values and headers are views into the blob). A read takes a batch a
 * slice at a time: records that are handed on soon die young, which is cheap to collect.
 */
export function decodeRecords(blob: Buffer, meta: BatchMeta, position: BatchPosition, limit: number): LogRecord[] {
  const records: LogRecord[] = []
  let {at, offset} = position
  for (; at < blob.length && offset < meta.to && records.length < limit; offset++) {
    const timestamp = blob.readDoubleBE(at)
    const keyLength = blob.readInt32BE(at + 8)
    at += 12
    const key = keyLength < 0 ? null : blob.subarray(at, at + keyLength)
    at += Math.max(keyLength, 0)
    const valueLength = blob.readInt32BE(at)
    at += 4
    const value = valueLength < 0 ? null : blob.subarray(at, at + valueLength)
    at += Math.max(valueLength, 0)
    const headerCount = blob.readUInt16BE(at)
    at += 2
    const headers: Headers = headerCount === 0 ? [] : new Array(headerCount)
    for (let i = 0; i < headerCount; i++) {
      const nameLength = blob.readUInt16BE(at)
      const name = decodedNames.decode(blob, at + 2, at + 2 + nameLength)
      at += 2 + nameLength
      const headerLength = blob.readUInt32BE(at)
      at += 4
      if (headerLength === NULL_HEADER) {
        headers[i] = [name, null]
      } else {
        headers[i] = [name, blob.subarray(at, at + headerLength)]
        at += headerLength
      }
    }

    records.push({headers, key, offset, partition: meta.partition, timestamp, topic: meta.topic, value})
  }

  position.at = at
  position.offset = offset
  return records
}

function corruptBatch(meta: BatchMeta, why: string): EvtError {
  const {baseOffset, lastOffset, partition, topic} = meta
  const position = `${topic}[${partition}]@${baseOffset}${lastOffset === undefined ? '' : `-${lastOffset}`}`
  return new EvtError('DATA_CORRUPT', `the stored batch ${position} is corrupt (${why})`, {
    data: {firstOffset: baseOffset, lastOffset, partition, topic},
    hint: 'its records cannot be read; restore the log from a backup or re-import the topic',
  })
}
