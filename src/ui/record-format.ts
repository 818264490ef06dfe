import {decodeText} from '../lib/codec/raw.js'
import type {SchemaRef} from '../lib/codec/record-decoder.js'
import type {Headers} from '../lib/log/event-log.js'
import type {DecodedRecord} from '../lib/tail/tail-records.js'
import {eventTypeOf} from '../lib/util/event-type.js'

/** One line of `--json` output: the contract of design §4 / issue #2. */
export interface RecordJson {
  headers: Record<string, string>
  key: unknown
  offset: number
  partition: number
  schema: null | SchemaRef
  timestamp: string
  topic: string
  /** The event type: the ce_type header, else the schema's record name. */
  type: null | string
  value: unknown
  /** How the value was decoded: avro, json-schema, protobuf, json, utf8, base64; null for a tombstone. */
  valueEncoding: null | string
}

export function headersToStrings(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const bytes = headers[name]
    out[name] = decodeText(bytes) ?? bytes.toString('base64')
  }

  return out
}

export function eventType(decoded: DecodedRecord): null | string {
  return eventTypeOf(decoded.record.headers, decoded.value?.type)
}

export function recordToJson(decoded: DecodedRecord): RecordJson {
  const {record} = decoded
  return {
    headers: headersToStrings(record.headers),
    key: decoded.key?.value ?? null,
    offset: record.offset,
    partition: record.partition,
    schema: decoded.value?.schema ?? null,
    timestamp: new Date(record.timestamp).toISOString(),
    topic: record.topic,
    type: eventType(decoded),
    value: decoded.value?.value ?? null,
    valueEncoding: decoded.value?.encoding ?? null,
  }
}

/** The parts of a pretty line, shared by the plain formatter and the ink component. */
export interface PrettyParts {
  key: string
  position: string
  time: string
  type: string
  value: string
}

export function prettyParts(decoded: DecodedRecord, verbose = false): PrettyParts {
  const {record} = decoded
  const value = decoded.value === null ? '(tombstone)' : display(decoded.value.value, verbose)
  return {
    key: decoded.key === null ? 'key=null' : `key=${display(decoded.key.value, false)}`,
    position: `${record.topic}[${record.partition}]@${record.offset}`,
    time: new Date(record.timestamp).toISOString().replace('T', ' ').replace('Z', ''),
    type: eventType(decoded) ?? '-',
    value,
  }
}

export function formatPrettyLine(decoded: DecodedRecord, verbose = false): string {
  const parts = prettyParts(decoded, verbose)
  return `${parts.time}  ${parts.position}  ${parts.key}  ${parts.type}  ${parts.value}`
}

function display(value: unknown, verbose: boolean): string {
  if (typeof value === 'string') return value
  return verbose ? JSON.stringify(value, null, 2) : JSON.stringify(value)
}
