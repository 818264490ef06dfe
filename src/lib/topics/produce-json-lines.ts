import {bytesFromBase64Json, headersFromJson} from '../codec/json-shape.js'
import {buildSchemaCodec, type SchemaCodec} from '../codec/schema-codec.js'
import {subjectName} from '../codec/subject-names.js'
import {MAX_NESTING, nestsTooDeep} from '../codec/raw.js'
import {encodeWire} from '../codec/wire-format.js'
import {ConfigError, NotFoundError, UsageError} from '../errors.js'
import type {EventLog, Headers, OutgoingRecord, ProducedRecord} from '../log/event-log.js'
import type {CompressionName} from '../log/kafka/compression.js'
import type {SchemaDefinition, SchemaRegistry} from '../registry/schema-registry.js'

export interface ProduceOptions {
  batchSize?: number
  compression?: CompressionName
  lines: AsyncIterable<string>
  log: EventLog
  registry: SchemaRegistry
  /** Register (or find) this schema under the subject and encode with it. */
  schema?: SchemaDefinition
  /** Default: `<topic>-value` (TopicNameStrategy). */
  subject?: string
  topic: string
}

interface ValueEncoder {
  encode(value: unknown, line: number): Buffer
  schema: null | {id: number; subject: string}
}

/**
 * Produces JSON lines `{key, value, headers?, partition?, timestamp?}`: values encoded in the
 * Confluent wire format with the subject's latest schema (or the given one), else written as
 * JSON text when the subject has no schema. `value: null` is a tombstone. Keys and headers take
 * the shape `topic tail --json` prints (json-shape.ts), so a tail line can be fed back: a text key
 * is its UTF-8 bytes, `{"base64": ...}` its bytes, any other JSON its text; headers are a map
 * (an array for a repeated name, null, text or `{"base64"}`) or a list of [name, value] pairs.
 * Yields what each batch was assigned; a bad line stops with its line number (earlier lines have
 * been produced).
 */
export async function* produceJsonLines(options: ProduceOptions): AsyncIterable<ProducedRecord[]> {
  const {log, topic} = options
  const encoder = await valueEncoder(options)
  let batch: OutgoingRecord[] = []
  let lineNumber = 0
  for await (const line of options.lines) {
    lineNumber++
    if (line.trim() === '') continue
    batch.push(parseLine(line, lineNumber, topic, encoder))
    if (batch.length >= (options.batchSize ?? 500)) {
      yield await log.produce(batch, {compression: options.compression})
      batch = []
    }
  }

  if (batch.length > 0) yield await log.produce(batch, {compression: options.compression})
}

async function valueEncoder(options: ProduceOptions): Promise<ValueEncoder> {
  const subject = options.subject ?? subjectName({strategy: 'TopicName', topic: options.topic})
  let id: number
  let codec: SchemaCodec
  if (options.schema) {
    ;({id} = await options.registry.register(subject, options.schema))
    codec = await buildSchemaCodec({...options.schema, id}, options.registry)
  } else {
    const latest = await options.registry.getVersion(subject, 'latest').catch((error) => {
      // No schema for the topic, or no registry at all (and no --subject asking for one): JSON text.
      if (error instanceof NotFoundError || (error instanceof ConfigError && options.subject === undefined)) return undefined
      throw error
    })
    if (!latest) return {encode: (value) => Buffer.from(JSON.stringify(value)), schema: null}
    id = latest.id
    codec = await buildSchemaCodec(latest, options.registry)
  }

  return {
    encode(value, line) {
      try {
        return encodeWire(id, codec.encode(value))
      } catch (error) {
        throw new UsageError(`line ${line}: the value does not fit schema ${id} of '${subject}': ${(error as Error).message}`, {code: 'RECORD_INVALID'})
      }
    },
    schema: {id, subject},
  }
}

function parseLine(line: string, number: number, topic: string, encoder: ValueEncoder): OutgoingRecord {
  let parsed: {headers?: unknown; key?: unknown; partition?: number; timestamp?: number | string; value?: unknown; valueEncoding?: unknown}
  try {
    parsed = JSON.parse(line)
  } catch (error) {
    throw new UsageError(`line ${number}: not JSON: ${(error as Error).message}`, {code: 'INPUT_INVALID', hint: 'each line is {"key": ..., "value": {...}, "headers": {...}, "partition": N}'})
  }

  // Deeper values would overflow the stack of every encoder and printer after this one.
  if (nestsTooDeep(parsed, line.length)) throw new UsageError(`line ${number}: the JSON nests deeper than ${MAX_NESTING} levels`, {code: 'INPUT_INVALID'})
  if (!parsed || typeof parsed !== 'object' || !('value' in parsed)) {
    throw new UsageError(`line ${number}: expected an object with a "value" (null for a tombstone)`, {code: 'INPUT_INVALID'})
  }

  let headers: Headers
  let key: Buffer | null
  try {
    headers = headersFromJson(parsed.headers)
    key = keyFromJson(parsed.key)
  } catch (error) {
    throw new UsageError(`line ${number}: ${(error as Error).message}`, {code: 'INPUT_INVALID'})
  }

  const timestamp = parsed.timestamp === undefined ? undefined : typeof parsed.timestamp === 'number' ? parsed.timestamp : Date.parse(parsed.timestamp)
  if (timestamp !== undefined && Number.isNaN(timestamp)) throw new UsageError(`line ${number}: cannot read timestamp ${JSON.stringify(parsed.timestamp)}`, {code: 'INPUT_INVALID'})
  return {
    headers,
    key,
    partition: parsed.partition,
    timestamp,
    topic,
    value: parsed.value === null ? null : parsed.valueEncoding === 'base64' ? exactBytes(parsed.value, number) : encoder.encode(parsed.value, number),
  }
}

/**
 * A value `topic tail --json` printed as base64 (bytes that are not text): fed back, the same bytes
 * are sent, not encoded with a schema, so `tail --json | produce` keeps every byte.
 */
function exactBytes(value: unknown, line: number): Buffer {
  try {
    return bytesFromBase64Json({base64: value})!
  } catch (error) {
    throw new UsageError(`line ${line}: "valueEncoding": "base64" needs the value as standard padded base64, not ${JSON.stringify(value)?.slice(0, 40)}`, {cause: error, code: 'INPUT_INVALID'})
  }
}

function keyFromJson(key: unknown): Buffer | null {
  if (key === undefined || key === null) return null
  if (typeof key === 'string') return Buffer.from(key, 'utf8')
  return bytesFromBase64Json(key) ?? Buffer.from(JSON.stringify(key), 'utf8')
}
