import {bytesFromBase64Json, headersFromJson} from '../codec/json-shape.js'
import {buildSchemaCodec, type SchemaCodec} from '../codec/schema-codec.js'
import {subjectName} from '../codec/subject-names.js'
import {MAX_NESTING, nestsTooDeep} from '../codec/raw.js'
import {encodeWire} from '../codec/wire-format.js'
import {ConfigError, EvtError, NotFoundError, UsageError} from '../errors.js'
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
 * Yields what each batch was assigned; a bad line stops with its line number and field (earlier
 * batches have been produced, the lines of its own batch have not).
 */
export async function* produceJsonLines(options: ProduceOptions): AsyncIterable<ProducedRecord[]> {
  const {log, topic} = options
  const encoder = await valueEncoder(options)
  let batch: OutgoingRecord[] = []
  let batchLines: number[] = []
  const send = () => log.produce(batch, {compression: options.compression}).catch((error) => nameLineOfPartition(error, log, topic, batch, batchLines))
  let lineNumber = 0
  for await (const line of options.lines) {
    lineNumber++
    if (line.trim() === '') continue
    batch.push(parseLine(line, lineNumber, topic, encoder))
    batchLines.push(lineNumber)
    if (batch.length >= (options.batchSize ?? 500)) {
      yield await send()
      batch = []
      batchLines = []
    }
  }

  if (batch.length > 0) yield await send()
}

/**
 * The log refuses a batch naming a partition the topic does not have, but not which line asked
 * for it: the topic's partition count (looked up only then) finds the first such line.
 */
async function nameLineOfPartition(error: unknown, log: EventLog, topic: string, batch: OutgoingRecord[], lines: number[]): Promise<never> {
  if (!(error instanceof EvtError) || error.code !== 'PARTITION_NOT_FOUND') throw error
  const partitions = (await log.listTopics()).find((each) => each.name === topic)?.partitions
  const index = partitions === undefined ? -1 : batch.findIndex((record) => record.partition !== undefined && record.partition >= partitions)
  if (index === -1) throw error
  throw new UsageError(`line ${lines[index]}: topic '${topic}' has no partition ${batch[index].partition} (it has ${partitions}: 0-${partitions! - 1})`, {
    code: 'PARTITION_NOT_FOUND',
    data: {field: 'partition', line: lines[index], partitions},
    hint: 'leave "partition" out to let the key choose it, or give one the topic has',
  })
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
  let parsed: {headers?: unknown; key?: unknown; partition?: unknown; timestamp?: unknown; value?: unknown; valueEncoding?: unknown}
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
    const {data, hint} = error as EvtError
    throw new UsageError(`line ${number}: ${(error as Error).message}`, {code: 'INPUT_INVALID', data: {...data, line: number}, hint})
  }

  // A string is refused rather than read as a number: tail --json prints a number, and "1 " or "01" would be guesses.
  const {partition} = parsed
  if (partition !== undefined && (!Number.isSafeInteger(partition) || (partition as number) < 0)) {
    throw new UsageError(`line ${number}: "partition" is a whole number ≥ 0, not ${JSON.stringify(partition)}`, {
      code: 'INPUT_INVALID',
      data: {field: 'partition', line: number},
      hint: typeof partition === 'string' ? `write "partition": ${partition.trim()} (a number, without quotes)` : 'write e.g. "partition": 0, or leave it out to let the key choose',
    })
  }

  return {
    headers,
    key,
    partition: partition as number | undefined,
    timestamp: timestampFromJson(parsed.timestamp, number),
    topic,
    value: parsed.value === null ? null : parsed.valueEncoding === 'base64' ? exactBytes(parsed.value, number) : encoder.encode(parsed.value, number),
  }
}

/**
 * Milliseconds since the epoch, or a date text as `tail --json` prints it. Kafka's producers refuse
 * negative timestamps; fractions and numbers past 2^53 cannot be stored exactly.
 */
function timestampFromJson(timestamp: unknown, line: number): number | undefined {
  if (timestamp === undefined) return undefined
  const millis = typeof timestamp === 'string' ? Date.parse(timestamp) : timestamp
  if (Number.isSafeInteger(millis) && (millis as number) >= 0) return millis as number
  throw new UsageError(`line ${line}: cannot use ${JSON.stringify(timestamp)} as "timestamp"`, {
    code: 'INPUT_INVALID',
    data: {field: 'timestamp', line},
    hint: 'give whole milliseconds since 1970 (≥ 0) or a date text such as "2024-05-01T12:00:00Z"',
  })
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
