import {setTimeout as sleep} from 'node:timers/promises'

import {NotFoundError, UsageError} from '../errors.js'
import type {EventLog, LogRecord, OutgoingRecord} from '../log/event-log.js'
import type {CompressionName} from '../log/kafka/compression.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import type {EmptyReadSummary} from '../read/read-summary.js'
import type {StartPosition} from '../read/start-position.js'
import {type DecodedRecord, readRecords, requireTopics, type SelectedRecord, tailRecords} from '../read/read-records.js'
import type {WhereFilter} from '../read/where-filter.js'

export interface ReplayOptions {
  compression?: CompressionName
  dryRun: boolean
  from: StartPosition
  /** Send each record to the partition it came from (the target needs at least as many). */
  keepPartition: boolean
  /** Keep the original timestamps; by default the target stamps records when they arrive. */
  keepTimestamp: boolean
  limit?: number
  log: EventLog
  /** Nothing was selected: what the read went through, to explain the empty answer (see read-records.ts). */
  onEmpty?: (summary: EmptyReadSummary) => void
  /** With dryRun: called with each batch, decoded, instead of sending it; awaited, so a slow reader slows the replay. */
  onDryRun?: (records: DecodedRecord[]) => Promise<void> | void
  partitions?: number[]
  /** Records per second at most. */
  rate?: number
  registry: SchemaRegistry
  signal?: AbortSignal
  source: string
  target: string
  until?: number
  warn?: (message: string) => void
  where?: WhereFilter
}

export interface ReplayResult {
  dryRun: boolean
  from: string
  /** Records sent (or, with dryRun, that would be sent) per source partition. */
  partitions: Record<string, number>
  records: number
  seconds: number
  to: string
}

const SEND_BATCH = 1000

/**
 * Re-publishes a range of one topic into another, keeping key, value bytes (so schema ids stay
 * valid on the same cluster), headers and, optionally, partition and timestamp. At-least-once: a
 * replay stopped mid-way and run again sends the first records twice.
 */
export async function replayRecords(options: ReplayOptions): Promise<ReplayResult> {
  const {log, signal, source, target} = options
  await requireTopics(log, [source])
  const targetInfo = (await log.listTopics()).find((topic) => topic.name === target)
  if (!targetInfo) throw new NotFoundError('TOPIC_NOT_FOUND', `unknown target topic '${target}'`, {hint: `create it first: evt topic create ${target} --partitions N`})
  if (options.keepPartition) await requireEnoughPartitions(log, source, targetInfo.partitions, options.partitions)

  const started = Date.now()
  const perPartition: Record<string, number> = {}
  let sent = 0
  const chunkSize = options.rate ? Math.max(1, Math.min(SEND_BATCH, Math.floor(options.rate / 10))) : SEND_BATCH
  const toTarget = (record: LogRecord): OutgoingRecord => ({
    headers: record.headers,
    key: record.key,
    partition: options.keepPartition ? record.partition : undefined,
    timestamp: options.keepTimestamp ? record.timestamp : undefined,
    topic: target,
    value: record.value,
  })
  const read = {follow: false, from: options.from, limit: options.limit, log, onEmpty: options.onEmpty, partitions: options.partitions, registry: options.registry, signal, topics: [source], until: options.until, warn: options.warn, where: options.where}
  // Only a dry run shows records; a replay copies bytes, so it decodes nothing (--where aside) and
  // needs no schema registry.
  const selected: AsyncIterable<SelectedRecord[]> = options.dryRun ? tailRecords(read) : readRecords(read)
  for await (const batch of selected) {
    for (let start = 0; start < batch.length && !signal?.aborted; start += chunkSize) {
      const chunk = batch.slice(start, start + chunkSize)
      if (options.rate) await waitForRate(started, sent, options.rate, signal)
      if (options.dryRun) await options.onDryRun?.(chunk as DecodedRecord[])
      else await log.produce(chunk.map(({record}) => toTarget(record)), {compression: options.compression})
      for (const {record} of chunk) perPartition[record.partition] = (perPartition[record.partition] ?? 0) + 1
      sent += chunk.length
    }
  }

  return {dryRun: options.dryRun, from: source, partitions: perPartition, records: sent, seconds: (Date.now() - started) / 1000, to: target}
}

async function requireEnoughPartitions(log: EventLog, source: string, targetPartitions: number, selected?: number[]): Promise<void> {
  const sourcePartitions = selected ?? (await log.watermarks(source)).map((mark) => mark.partition)
  const highest = Math.max(...sourcePartitions)
  if (highest >= targetPartitions) {
    throw new UsageError(`--keep-partition needs partition ${highest} in the target, which has ${targetPartitions}`, {
      hint: 'replay without --keep-partition (records are partitioned by key), or create the target with as many partitions as the source',
    })
  }
}

async function waitForRate(started: number, sent: number, rate: number, signal?: AbortSignal): Promise<void> {
  const due = started + (sent / rate) * 1000
  const wait = due - Date.now()
  if (wait > 0) await sleep(wait, undefined, {signal}).catch(() => {})
}
