import {type DecodedPayload, RecordDecoder} from '../codec/record-decoder.js'
import {NotFoundError, UsageError} from '../errors.js'
import type {EventLog, LogRecord} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readLive, readMerged} from './merged-read.js'
import {planRead} from './read-plan.js'
import type {StartPosition} from './start-position.js'
import type {WhereFilter} from './where-filter.js'
import {maybeYield} from '../util/yield.js'

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
}

/**
 * The records of one or more topics, decoded, in timestamp order up to the high watermarks
 * captured at start; with `follow`, then every new record as it arrives.
 */
export async function* tailRecords(options: TailOptions): AsyncIterable<DecodedRecord[]> {
  const {log, signal} = options
  await requireTopics(log, options.topics)
  const decoder = new RecordDecoder(options.registry, options.warn, {rawWhenRegistryGoesAway: options.rawWhenRegistryGoesAway})
  const onBatch = (records: LogRecord[]) => decoder.prepareRecords(records)
  const decode = async (records: LogRecord[]): Promise<DecodedRecord[]> => {
    if (!options.where) return records.map((record) => ({key: decoder.decode(record.key, record.topic), record, value: decoder.decode(record.value, record.topic)}))
    const kept: DecodedRecord[] = []
    for (const record of records) {
      // A --where over a fetch of thousands of records can take longer than a signal may wait.
      await maybeYield()
      if (signal?.aborted) break
      let key: DecodedPayload | null | undefined
      let value: DecodedPayload | null | undefined
      const decodeKey = () => (key === undefined ? (key = decoder.decode(record.key, record.topic)) : key)
      const decodeValue = () => (value === undefined ? (value = decoder.decode(record.value, record.topic)) : value)
      if (await options.where({decodeKey, decodeValue, record})) kept.push({key: decodeKey(), record, value: decodeValue()})
    }

    return kept
  }

  let remaining = options.limit ?? Number.POSITIVE_INFINITY
  const ranges = await planRead({...options, follow: false})
  const emit = async (records: LogRecord[]): Promise<DecodedRecord[]> => {
    // Without --where, records past --limit are never decoded (a first fetch can hold thousands).
    const decoded = await decode(!options.where && records.length > remaining ? records.slice(0, remaining) : records)
    const taken = decoded.length > remaining ? decoded.slice(0, remaining) : decoded
    remaining -= taken.length
    return taken
  }

  for await (const batch of readMerged({log, onBatch, ranges, signal})) {
    const taken = await emit(batch)
    if (taken.length > 0) yield taken
    if (remaining <= 0) return
  }

  if (!options.follow || options.until !== undefined || signal?.aborted) return
  const liveRanges = ranges.map((range) => ({...range, from: Math.max(range.from, range.to ?? 0), to: undefined}))
  const positions = new Map(liveRanges.map((range) => [`${range.topic}/${range.partition}`, range.from]))
  const reportLag = async () => {
    let lag = 0
    for (const topic of new Set(liveRanges.map((range) => range.topic))) {
      for (const {high, partition} of await log.watermarks(topic)) {
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
    throw new NotFoundError(`unknown topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t}'`).join(', ')}`, {available: existing})
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
  if (topics.length === 0) throw new NotFoundError(`no topic matches --pattern '${pattern}'`, {available: (await log.listTopics()).map((t) => t.name)})
  return topics
}
