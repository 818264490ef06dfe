import {headersToJson, type HeadersJson, keyToJson} from '../lib/codec/json-shape.js'
import type {SchemaRef} from '../lib/codec/record-decoder.js'
import type {DecodedRecord} from '../lib/read/read-records.js'
import {positionOf} from '../lib/log/event-log.js'
import {eventTypeOf} from '../lib/util/event-type.js'
import {painter} from './ansi.js'
import {isoTime, prettyTime} from '../lib/util/time.js'

/** One line of `--json` output: the contract of design §4 / issue #2. */
export interface RecordJson {
  /** name → text, null, or {base64}; an array of those for a name that repeats (see json-shape.ts). */
  headers: HeadersJson
  /** The decoded key: text, JSON, a schema's record, or {base64} for bytes; null for no key. */
  key: unknown
  offset: number
  partition: number
  schema: null | SchemaRef
  /** ISO-8601; the number of milliseconds when no date can hold it (beyond ±8.64e15). */
  timestamp: number | string
  topic: string
  /** The event type: the ce_type header, else the schema's record name. */
  type: null | string
  value: unknown
  /** How the value was decoded: avro, json-schema, protobuf, json, utf8, base64; null for a tombstone. */
  valueEncoding: null | string
}

/** JSON text of the schema references records share (one object per schema and topic). */
const schemaTexts = new WeakMap<SchemaRef, string>()
/** JSON text of topic names. */
const topicTexts = new Map<string, string>()

/** `,"name":value` as JSON.stringify writes a property; nothing for undefined, which it leaves out. */
function property(name: string, value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? '' : `,"${name}":${text}`
}

/**
 * `JSON.stringify(recordToJson(decoded))`, the same text, with the parts records share (schema,
 * topic) written once: per-record stringify of the whole object was a third of a tail's time.
 */
export function recordJsonLine(decoded: DecodedRecord): string {
  const {record, value} = decoded
  const schema = value?.schema ?? null
  let schemaText = schema === null ? 'null' : schemaTexts.get(schema)
  if (schemaText === undefined) schemaTexts.set(schema!, (schemaText = JSON.stringify(schema)))
  let topicText = topicTexts.get(record.topic)
  if (topicText === undefined) {
    topicText = JSON.stringify(record.topic)
    if (topicTexts.size < 10_000) topicTexts.set(record.topic, topicText)
  }

  return `{"headers":${JSON.stringify(headersToJson(record.headers))}${property('key', keyToJson(decoded.key))},"offset":${record.offset},"partition":${record.partition},"schema":${schemaText},"timestamp":${JSON.stringify(isoTime(record.timestamp))},"topic":${topicText},"type":${JSON.stringify(eventType(decoded))}${property('value', value?.value ?? null)},"valueEncoding":${JSON.stringify(value?.encoding ?? null)}}`
}

export function eventType(decoded: DecodedRecord): null | string {
  return eventTypeOf(decoded.record.headers, decoded.value?.type)
}

export function recordToJson(decoded: DecodedRecord): RecordJson {
  const {record} = decoded
  return {
    headers: headersToJson(record.headers),
    key: keyToJson(decoded.key),
    offset: record.offset,
    partition: record.partition,
    schema: decoded.value?.schema ?? null,
    timestamp: isoTime(record.timestamp),
    topic: record.topic,
    type: eventType(decoded),
    value: decoded.value?.value ?? null,
    valueEncoding: decoded.value?.encoding ?? null,
  }
}

/** The parts of a pretty line. */
interface PrettyParts {
  key: string
  position: string
  time: string
  type: string
  value: string
}

function prettyParts(decoded: DecodedRecord, verbose = false): PrettyParts {
  const {record} = decoded
  const value = decoded.value === null ? '(tombstone)' : display(decoded.value.value, verbose)
  return {
    key: prettyKey(decoded.key),
    position: positionOf(record),
    time: prettyTime(record.timestamp),
    type: eventType(decoded) ?? '-',
    value,
  }
}

/**
 * One record as a line, the same in a pipe and on a terminal. On a terminal (`color`) the parts
 * are coloured, and with `width` a line that would wrap is cut to it (its value ends in …), so
 * one record stays one line; --verbose values are shown whole.
 */
export function formatPrettyLine(decoded: DecodedRecord, verbose = false, options: {color?: boolean; width?: number} = {}): string {
  const parts = prettyParts(decoded, verbose)
  const prefix = [parts.time, parts.position, parts.key, parts.type]
  let {value} = parts
  const room = options.width ? options.width - prefix.join('  ').length - 2 : Number.POSITIVE_INFINITY
  if (!verbose && value.length > room) value = room > 1 ? `${value.slice(0, room - 1)}…` : ''
  const paint = painter(options.color)
  return [paint(parts.time, 'dim'), paint(parts.position, 'cyan'), paint(parts.key, 'yellow'), paint(parts.type, 'bold', 'green'), value].join('  ')
}

/** A binary key says so: the bytes ff fe and the text key "//4=" must not look alike. */
function prettyKey(key: DecodedRecord['key']): string {
  if (key === null) return 'key=null'
  return key.encoding === 'base64' ? `key=base64:${key.value as string}` : `key=${display(key.value, false)}`
}

function display(value: unknown, verbose: boolean): string {
  if (typeof value === 'string') return value
  return verbose ? JSON.stringify(value, null, 2) : JSON.stringify(value)
}
