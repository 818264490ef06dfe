import type {DecodedPayload} from '../codec/record-decoder.js'
import {lastHeader, type LogRecord} from '../log/event-log.js'
import {readValuePath} from '../util/value-path.js'

/**
 * Decides whether a record belongs to one flow id, doing as little as possible: a key or header
 * id is a byte comparison (no decoding); a value-path id first looks for the id's bytes in the raw
 * value (a UTF-8 string in Avro and JSON, or an Avro zig-zag varint for a numeric id), and only
 * the records that pass are decoded.
 */
export interface IdMatcher {
  /** Can this record hold the id? False means certainly not; true for key/header means yes. */
  candidate(record: LogRecord): boolean
  /** Whether the decoded value holds the id (only called for value-path matchers). */
  matchesValue(value: unknown): boolean
  needsValue: boolean
}

export function idLocatorMatcher(locator: string, id: string): IdMatcher {
  const idBytes = Buffer.from(id, 'utf8')
  if (locator === 'key') {
    return {candidate: (record) => record.key !== null && record.key.equals(idBytes), matchesValue: () => true, needsValue: false}
  }

  if (locator.startsWith('header:')) {
    const name = locator.slice('header:'.length)
    return {candidate: (record) => lastHeader(record.headers, name)?.equals(idBytes) ?? false, matchesValue: () => true, needsValue: false}
  }

  const needles: Buffer[] = [idBytes]
  if (/^-?\d+$/.test(id) && Number.isSafeInteger(Number(id))) needles.push(avroVarint(BigInt(id)))
  return {
    candidate: (record) => record.value !== null && needles.some((needle) => record.value!.includes(needle)),
    matchesValue: (value) => readValuePath(value, locator).some((found) => found !== null && found !== undefined && String(found) === id),
    needsValue: true,
  }
}

/** An Avro int/long as written: zig-zag, then base-128 varint. */
function avroVarint(value: bigint): Buffer {
  let zigzag = value >= 0n ? value << 1n : (-value << 1n) - 1n
  const bytes: number[] = []
  do {
    let byte = Number(zigzag & 0x7fn)
    zigzag >>= 7n
    if (zigzag > 0n) byte |= 0x80
    bytes.push(byte)
  } while (zigzag > 0n)
  return Buffer.from(bytes)
}

/** The flow id of a record, for scanning every id at once (`--stalled`). */
export function flowIdOf(locator: string, record: LogRecord, decoded: DecodedPayload | null): string | undefined {
  if (locator === 'key') return record.key?.toString('utf8')
  if (locator.startsWith('header:')) return lastHeader(record.headers, locator.slice('header:'.length))?.toString('utf8')
  const found = readValuePath(decoded?.value, locator).find((value) => value !== null && value !== undefined)
  return found === undefined ? undefined : String(found)
}
