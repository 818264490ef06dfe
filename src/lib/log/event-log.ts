/**
 * The log seam (design §2): the embedded SQLite log and Kafka (kafkajs) both implement it and
 * pass one contract suite (test/contract). Offsets are plain numbers: 2^53 is far beyond any log.
 */
import type {CompressionName} from './kafka/compression.js'
import {compareText} from '../util/text-order.js'

/**
 * One record header. Kafka allows a name more than once (in order) and a null value (length -1),
 * distinct from an empty one: a record's headers are a list, kept exactly as written.
 */
export type Header = [name: string, value: Buffer | null]
export type Headers = Header[]

/**
 * The value of the last header called `name` (Java's `Headers.lastHeader`): undefined when there
 * is none, null when its value is null. Every read of a header by name goes through here.
 */
export function lastHeader(headers: Headers, name: string): Buffer | null | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i][0] === name) return headers[i][1]
  return undefined
}

export interface LogRecord {
  headers: Headers
  key: Buffer | null
  offset: number
  partition: number
  /** Milliseconds since the epoch. */
  timestamp: number
  topic: string
  /** null is a tombstone. */
  value: Buffer | null
}

/** Where a record sits in the log: what is kept of it for a report once it is handled. */
export type RecordPosition = Pick<LogRecord, 'offset' | 'partition' | 'topic'>

/** Where a record sits, as evt prints it everywhere: `orders[3]@1207`. */
export function positionOf(record: RecordPosition): string {
  return `${record.topic}[${record.partition}]@${record.offset}`
}

export interface OutgoingRecord {
  headers?: Headers
  key: Buffer | null
  /** Chosen by the default partitioner from the key when absent. */
  partition?: number
  timestamp?: number
  topic: string
  value: Buffer | null
}

export interface TopicInfo {
  name: string
  partitions: number
}

export interface PartitionWatermarks {
  /** One past the last offset: the offset the next record will get. */
  high: number
  low: number
  partition: number
}

export interface ProduceOptions {
  compression?: CompressionName
}

export interface ProducedRecord {
  offset: number
  partition: number
  topic: string
}

export interface GroupOffset {
  group: string
  /** The next offset the group will read (Kafka's committed offset). */
  offset: number
  partition: number
  topic: string
}

/** Group offsets in the order every backend returns them: by group, topic (code units), partition. */
export function sortGroupOffsets(offsets: GroupOffset[]): GroupOffset[] {
  return offsets.sort((a, b) => compareText(a.group, b.group) || compareText(a.topic, b.topic) || a.partition - b.partition)
}

export interface ReadRange {
  /** First offset to read. */
  from: number
  partition: number
  signal?: AbortSignal
  /** Stop before this offset; absent = keep following new records until aborted. */
  to?: number
  topic: string
}

export interface EventLog {
  /**
   * Whether the broker compacts `topic` (its cleanup.policy includes compact); undefined where the
   * backend has no such setting (the embedded log keeps every record and never compacts).
   */
  compacts(topic: string): Promise<boolean | undefined>
  close(): Promise<void>
  /** Commits a group's offsets; used by tools and tests that play a consumer. */
  commitGroupOffsets(group: string, offsets: Omit<GroupOffset, 'group'>[]): Promise<void>
  /** `retainForever` turns off time-based retention where the backend has it (Kafka's retention.ms). */
  createTopic(name: string, options: {partitions: number; retainForever?: boolean}): Promise<void>
  /**
   * Committed offsets of every consumer group that has any on `topics`, by group, topic and
   * partition: one look-up for several topics (on Kafka, one list of the groups and one request per group).
   */
  groupOffsets(topics: string[]): Promise<GroupOffset[]>
  listTopics(): Promise<TopicInfo[]>
  /** Per partition, the earliest offset whose timestamp is ≥ `timestamp` (the high watermark when none). */
  offsetsForTime(topic: string, timestamp: number): Promise<{offset: number; partition: number}[]>
  /** `compression` applies to Kafka's record batches; the embedded log stores batches uncompressed. */
  produce(records: OutgoingRecord[], options?: ProduceOptions): Promise<ProducedRecord[]>
  /** Reads a partition in batches, in offset order. */
  read(range: ReadRange): AsyncIterable<LogRecord[]>
  /** Asked for several topics in one turn of the event loop, Kafka answers them together (see watermarksInOrder). */
  watermarks(topic: string): Promise<PartitionWatermarks[]>
}

/**
 * Each of `topics` with its watermarks, in order: all asked for at once (Kafka answers them in
 * three round trips, not three per topic), so the first topic's error is the one thrown.
 */
export async function* watermarksInOrder(log: EventLog, topics: readonly string[]): AsyncIterable<[string, PartitionWatermarks[]]> {
  const asked = topics.map((topic) => log.watermarks(topic))
  for (const answer of asked) answer.catch(() => {})
  for (const [at, topic] of topics.entries()) yield [topic, await asked[at]]
}
