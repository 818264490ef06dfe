import type {Headers, LogRecord} from '../event-log.js'

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
const decodedNames = new Map<string, string>()

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

/** Decodes the records of a batch from `from` on (keys, values and headers are views into the blob). */
export function decodeBatch(blob: Buffer, meta: {baseOffset: number; from: number; partition: number; to: number; topic: string}): LogRecord[] {
  const records: LogRecord[] = []
  let at = 0
  for (let offset = meta.baseOffset; at < blob.length && offset < meta.to; offset++) {
    const timestamp = blob.readDoubleBE(at)
    at += 8
    const keyLength = blob.readInt32BE(at)
    at += 4
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
      let name = blob.toString('utf8', at + 2, at + 2 + nameLength)
      const known = decodedNames.get(name)
      if (known !== undefined) name = known
      else if (decodedNames.size < 1024) decodedNames.set(name, name)
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

    if (offset >= meta.from) records.push({headers, key, offset, partition: meta.partition, timestamp, topic: meta.topic, value})
  }

  return records
}
