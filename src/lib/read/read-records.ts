import {type DecodedPayload, RecordDecoder} from '../codec/record-decoder.js'
import {NotFoundError, UsageError} from '../errors.js'
import {watermarksInOrder, type EventLog, type LogRecord} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readLive, readMerged} from './merged-read.js'
import {planRead} from './read-plan.js'
import {type EmptyReadSummary, ScanTally, summarizeEmptyRead} from './read-summary.js'
import type {StartPosition} from './start-position.js'
import {unrepresentableTimeWarning} from '../util/time.js'
import type {WhereFilter, WhereInput} from './where-filter.js'

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
  /** Once the registry has answered, show records raw (one warning per schema id) if it goes away, instead of failing. */
  rawWhenRegistryGoesAway?: boolean
  /** Following: called about once a second with the records not yet read (sum over partitions of high watermark − position). */
  onLag?: (lag: number) => void
  /** Keeps only the records it accepts (see where-filter.ts); values are decoded only if it looks at them. */
  where?: WhereFilter
  /** A bounded read (not `follow`) that selected nothing and was not stopped: what it went through, to explain the empty answer. */
  onEmpty?: (summary: EmptyReadSummary) => void
}

/** A record a read selected, with its key and value if --where decoded them already. */
export interface SelectedRecord {
  key?: DecodedPayload | null
  record: LogRecord
  value?: DecodedPayload | null
}

/**
 * The records of one or more topics, decoded, in timestamp order up to the high watermarks
 * captured at start; with `follow`, then every new record as it arrives.
 */
export async function* tailRecords(options: TailOptions): AsyncIterable<DecodedRecord[]> {
  const decoder = new RecordDecoder(options.registry, options.warn, {rawWhenRegistryGoesAway: options.rawWhenRegistryGoesAway})
  for await (const batch of readRecords(options, decoder)) {
    yield batch.map(({key, record, value}) => ({
      key: key === undefined ? decoder.decode(record.key, record.topic) : key,
      record,
      value: value === undefined ? decoder.decode(record.value, record.topic) : value,
    }))
  }
}

/**
 * The one read every reader builds on (tail, export, replay): plans the partition ranges, merges
 * them in timestamp order, keeps what --where accepts, stops at --limit, and when a bounded read
 * selected nothing, tells `onEmpty` what it went through. Values are decoded only for --where
 * (with `decoder`, or one of its own); `tailRecords` decodes the rest.
 */
export async function* readRecords(options: TailOptions, decoder?: RecordDecoder): AsyncIterable<SelectedRecord[]> {
  const {log, signal} = options
  await requireTopics(log, options.topics)
  const {where} = options
  const whereDecoder = where ? (decoder ?? new RecordDecoder(options.registry, options.warn, {rawWhenRegistryGoesAway: options.rawWhenRegistryGoesAway})) : undefined
  // Schemas are fetched once per fetched batch, for whoever decodes: --where, or the caller.
  const preparing = whereDecoder ?? decoder
  const onBatch = preparing ? (records: LogRecord[]) => preparing.prepareRecords(records) : undefined
  const select = async (records: LogRecord[]): Promise<SelectedRecord[]> => {
    if (!where || !whereDecoder) return records.map((record) => ({record}))
    // Each record keeps the key and value --where decoded, so they are not decoded twice.
    const inputs = records.map((record) => {
      const input: SelectedRecord & WhereInput = {
        decodeKey: () => (input.key === undefined ? (input.key = whereDecoder.decode(record.key, record.topic)) : input.key),
        decodeValue: () => (input.value === undefined ? (input.value = whereDecoder.decode(record.value, record.topic)) : input.value),
        record,
      }
      return input
    })
    const passes = await where(inputs, signal)
    return inputs.filter((_, index) => passes[index]).map(({key, record, value}) => ({key, record, value}))
  }

  let remaining = options.limit ?? Number.POSITIVE_INFINITY
  const ranges = await planRead({...options, follow: false})
  const warnTime = unrepresentableTimeWarning(options.warn)
  const emit = async (records: LogRecord[]): Promise<SelectedRecord[]> => {
    // Without --where, records past --limit are never looked at (a first fetch can hold thousands).
    const selected = await select(!where && records.length > remaining ? records.slice(0, remaining) : records)
    const taken = selected.length > remaining ? selected.slice(0, remaining) : selected
    remaining -= taken.length
    for (const {record} of taken) warnTime(record)
    return taken
  }

  const tally = new ScanTally()
  let emitted = 0
  for await (const batch of readMerged({log, onBatch, ranges, signal})) {
    tally.count(batch)
    const taken = await emit(batch)
    emitted += taken.length
    if (taken.length > 0) yield taken
    if (remaining <= 0) return
  }

  if (emitted === 0 && !options.follow && !signal?.aborted && options.onEmpty) {
    const {from, topics, until} = options
    options.onEmpty(await summarizeEmptyRead({from, log, ranges, signal, tally, topics, until, where: where !== undefined}))
  }

  if (!options.follow || options.until !== undefined || signal?.aborted) return
  const liveRanges = ranges.map((range) => ({...range, from: Math.max(range.from, range.to ?? 0), to: undefined}))
  const positions = new Map(liveRanges.map((range) => [`${range.topic}/${range.partition}`, range.from]))
  const reportLag = async () => {
    let lag = 0
    for await (const [topic, marks] of watermarksInOrder(log, [...new Set(liveRanges.map((range) => range.topic))])) {
      for (const {high, partition} of marks) {
        const position = positions.get(`${topic}/${partition}`)
        if (position !== undefined) lag += Math.max(high - position, 0)
      }
    }

    options.onLag?.(lag)
  }

  const timer = options.onLag ? setInterval(() => void reportLag().catch(() => {}), 1000) : undefined
  try {
    for await (const batch of readLive({log, onBatch, ranges: liveRanges, signal})) {
      for (const record of batch) positions.set(`${record.topic}/${record.partition}`, record.offset + 1)
      const taken = await emit(batch)
      if (taken.length > 0) yield taken
      if (remaining <= 0) return
    }
  } finally {
    clearInterval(timer)
  }
}

export async function requireTopics(log: EventLog, topics: string[]): Promise<void> {
  const existing = (await log.listTopics()).map((topic) => topic.name)
  const missing = topics.filter((topic) => !existing.includes(topic))
  if (missing.length > 0) {
    throw new NotFoundError('TOPIC_NOT_FOUND', `unknown topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t}'`).join(', ')}`, {available: existing})
  }
}

/** The topics named on the command line plus those matching --pattern; at least one. */
export async function topicsToRead(log: EventLog, named: string[], pattern?: string): Promise<string[]> {
  if (pattern === undefined) {
    if (named.length === 0) throw new UsageError('name at least one topic, or give --pattern REGEX')
    return named
  }

  let regex: RegExp
  try {
    regex = new RegExp(pattern)
  } catch (error) {
    throw new UsageError(`cannot read --pattern '${pattern}': ${(error as Error).message}`)
  }

  const matching = (await log.listTopics()).map((t) => t.name).filter((name) => regex.test(name))
  const topics = [...new Set([...named, ...matching])]
  if (topics.length === 0) throw new NotFoundError('TOPIC_NOT_FOUND', `no topic matches --pattern '${pattern}'`, {available: (await log.listTopics()).map((t) => t.name)})
  return topics
}
