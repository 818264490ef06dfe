import {type DecodedPayload, RecordDecoder} from '../codec/record-decoder.js'
import {NotFoundError} from '../errors.js'
import type {EventLog, LogRecord} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readLive, readMerged} from './merged-read.js'
import {planRead} from './read-plan.js'
import type {StartPosition} from './start-position.js'

export interface DecodedRecord {
  key: DecodedPayload | null
  record: LogRecord
  value: DecodedPayload | null
}

export interface TailOptions {
  follow: boolean
  from: StartPosition
  limit?: number
  log: EventLog
  partitions?: number[]
  registry: SchemaRegistry
  signal?: AbortSignal
  topics: string[]
  until?: number
  warn?: (message: string) => void
}

/**
 * The records of one or more topics, decoded, in timestamp order up to the high watermarks
 * captured at start; with `follow`, then every new record as it arrives.
 */
export async function* tailRecords(options: TailOptions): AsyncIterable<DecodedRecord[]> {
  const {log, signal} = options
  await requireTopics(log, options.topics)
  const decoder = new RecordDecoder(options.registry, options.warn)
  const onBatch = (records: LogRecord[]) => decoder.prepare(records.flatMap((r) => [r.key, r.value]))
  const decode = (records: LogRecord[]) =>
    records.map((record) => ({key: decoder.decode(record.key, record.topic), record, value: decoder.decode(record.value, record.topic)}))

  let remaining = options.limit ?? Number.POSITIVE_INFINITY
  const ranges = await planRead({...options, follow: false})
  const emit = function* (records: LogRecord[]) {
    const taken = records.length > remaining ? records.slice(0, remaining) : records
    remaining -= taken.length
    if (taken.length > 0) yield decode(taken)
  }

  for await (const batch of readMerged({log, onBatch, ranges, signal})) {
    yield* emit(batch)
    if (remaining <= 0) return
  }

  if (!options.follow || options.until !== undefined || signal?.aborted) return
  const liveRanges = ranges.map((range) => ({...range, from: Math.max(range.from, range.to ?? 0), to: undefined}))
  for await (const batch of readLive({log, onBatch, ranges: liveRanges, signal})) {
    yield* emit(batch)
    if (remaining <= 0) return
  }
}

export async function requireTopics(log: EventLog, topics: string[]): Promise<void> {
  const existing = (await log.listTopics()).map((topic) => topic.name)
  const missing = topics.filter((topic) => !existing.includes(topic))
  if (missing.length > 0) {
    throw new NotFoundError(`unknown topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t}'`).join(', ')}`, {available: existing})
  }
}
