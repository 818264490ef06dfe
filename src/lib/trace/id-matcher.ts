import type {DecodedPayload} from '../codec/record-decoder.js'
import {plainText} from '../codec/raw.js'
import {asKeyText, type DecodeBytes, decodedKey} from '../codec/record-key.js'
import type {IdLocator} from '../config/locator.js'
import {lastHeader, type LogRecord} from '../log/event-log.js'
import {readOneValue, readValuePath} from '../util/value-path.js'

/**
 * Decides whether a record belongs to one flow id, doing as little as possible: a plain-text key
 * or a header is a byte comparison; a value-path id first looks for the id's bytes in the raw value
 * (a UTF-8 string in Avro and JSON, or an Avro zig-zag varint for a numeric id). Only the records
 * that pass are decoded, and `matches` has the last word.
 */
export interface IdMatcher {
  /** False: the record certainly does not hold the id. */
  candidate(record: LogRecord): boolean
  /** Whether the record holds the id; `decoded` is its decoded value, for value paths. */
  matches(record: LogRecord, decoded: DecodedPayload | null, decode: DecodeBytes): boolean
}

export function idLocatorMatcher(locator: IdLocator, id: string): IdMatcher {
  const idBytes = Buffer.from(id, 'utf8')
  switch (locator.kind) {
    case 'key': {
      return {
        // A plain-text key is its own text; any other (a schema's, JSON, binary) is decoded first, as views do.
        candidate: (record) => record.key !== null && (record.key.equals(idBytes) || plainText(record.key) === undefined),
        matches: (record, _decoded, decode) => asKeyText(decodedKey(record, decode)) === id,
      }
    }

    case 'header': {
      const matches = (record: LogRecord) => lastHeader(record.headers, locator.name)?.equals(idBytes) ?? false
      return {candidate: matches, matches}
    }

    case 'path': {
      const needles: Buffer[] = [idBytes]
      if (/^-?\d+$/.test(id) && Number.isSafeInteger(Number(id))) needles.push(avroVarint(BigInt(id)))
      return {
        candidate: (record) => record.value !== null && needles.some((needle) => record.value!.includes(needle)),
        matches: (_record, decoded) => readValuePath(decoded?.value, locator.path).some((found) => found !== null && found !== undefined && String(found) === id),
      }
    }
  }
}

/** Whether finding a record's id needs its decoded value. */
export const idReadsValue = (locator: IdLocator): boolean => locator.kind === 'path'

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

/**
 * Every flow id a record holds under `locator`, as a matcher compares them: the key's text, a
 * header's, or each value a path reaches (a wildcard path may reach several). The value is
 * decoded (by `decodeValue`) only for a path.
 */
export function flowIdsOf(locator: IdLocator, record: LogRecord, decodeValue: () => DecodedPayload | null, decode: DecodeBytes): string[] {
  switch (locator.kind) {
    case 'key': {
      const key = asKeyText(decodedKey(record, decode))
      return key === undefined ? [] : [key]
    }

    case 'header': {
      const header = lastHeader(record.headers, locator.name)
      return header ? [header.toString('utf8')] : []
    }

    case 'path': {
      if (record.value === null) return []
      if (!locator.wildcard) {
        // One value at most: no arrays to build for it (this runs per record of an index build).
        const one = readOneValue(decodeValue()?.value, locator.path)
        return one === null || one === undefined ? [] : [String(one)]
      }

      const found = readValuePath(decodeValue()?.value, locator.path)
      return [...new Set(found.filter((value) => value !== null && value !== undefined).map(String))]
    }
  }
}

/** The flow id of a record (its first, for a path that reaches several), for scanning every id at once (`--stalled`). */
export function flowIdOf(locator: IdLocator, record: LogRecord, decoded: DecodedPayload | null, decode: DecodeBytes): string | undefined {
  return flowIdsOf(locator, record, () => decoded, decode)[0]
}
