import {RecordDecoder} from '../codec/record-decoder.js'
import type {DecodeBytes} from '../codec/record-key.js'
import type {FlowConfig} from '../config/types.js'
import {CheckFailedError} from '../errors.js'
import type {EventLog} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readMerged} from '../read/merged-read.js'
import {type PartitionRange, planRead} from '../read/read-plan.js'
import {explainEmptyRead, ScanTally, summarizeEmptyRead} from '../read/read-summary.js'
import type {StartPosition} from '../read/start-position.js'
import {type FlowEvent, toFlowEvent} from './flow-events.js'
import {idLocatorMatcher} from './id-matcher.js'
import {findAnomalies, judgeFlow, type Verdict} from './verdict.js'
import {isoTime, isoTimeText, unrepresentableTimeWarning} from '../util/time.js'
import {maybeYield} from '../util/yield.js'

export interface TraceResult {
  anomalies: string[]
  events: FlowEvent[]
  flow: string
  id: string
  /** ISO-8601 times; numbers (ms) where no date can hold them. */
  scanned: {from: null | number | string; records: number; to: null | number | string; topics: string[]}
  verdict: Verdict
}

/** A trace as `--json` prints it: times as ISO-8601, decode failures left to the anomalies. */
export type TraceJson = Omit<TraceResult, 'events'> & {events: (Omit<FlowEvent, 'decodeError' | 'timestamp'> & {timestamp: number | string})[]}

export function traceJson(trace: TraceResult): TraceJson {
  return {...trace, events: trace.events.map(({decodeError: _ignored, timestamp, ...event}) => ({timestamp: isoTime(timestamp), ...event}))}
}

export interface TraceOptions {
  flow: FlowConfig
  flowName: string
  id: string
  log: EventLog
  now?: number
  registry: SchemaRegistry
  /** Where the scan starts in each partition (--from, alias --since); default: the beginning. */
  from?: StartPosition
  signal?: AbortSignal
  until?: number
  warn?: (message: string) => void
}

/**
 * Every record of one flow id across the flow's topics, in time order, with who wrote it, which
 * consumer groups have read it, a verdict and anomalies. Scans are bounded by the watermarks at
 * start and by --from/--until (through offsets for times).
 */
export async function traceFlow(options: TraceOptions): Promise<TraceResult> {
  const {flow, id, log, signal} = options
  const decoder = new RecordDecoder(options.registry, options.warn)
  const decode: DecodeBytes = (bytes, topic) => decoder.decode(bytes, topic)
  const existing = new Set((await log.listTopics()).map((t) => t.name))
  const topics = Object.keys(flow.topics).filter((topic) => {
    if (existing.has(topic)) return true
    options.warn?.(`topic '${topic}' of flow '${options.flowName}' does not exist; the trace goes on without it`)
    return false
  })

  const events: FlowEvent[] = []
  const from = options.from ?? {kind: 'beginning'}
  const tally = new ScanTally()
  const warnTime = unrepresentableTimeWarning(options.warn)
  const read: PartitionRange[] = []
  for (const topic of topics) {
    const locator = flow.topics[topic].id
    const matcher = idLocatorMatcher(locator, id)
    const groups = await log.groupOffsets(topic)
    const ranges = await planRead({follow: false, from, log, topics: [topic], until: options.until})
    read.push(...ranges)
    for await (const batch of readMerged({log, ranges, signal})) {
      tally.count(batch)
      const candidates = batch.filter((record) => matcher.candidate(record))
      if (candidates.length === 0) continue
      await decoder.prepareRecords(candidates)
      for (const record of candidates) {
        await maybeYield()
        const decoded = decoder.decode(record.value, topic)
        if (!matcher.matches(record, decoded, decode)) continue
        warnTime(record)
        events.push(toFlowEvent(record, decoded, flow, groups, locator.kind === 'path' ? locator.path : undefined))
      }
    }
  }

  const first = tally.oldest
  const last = tally.newest
  const scanned = tally.scanned
  if (events.length === 0 && !signal?.aborted) {
    let why: string
    if (first === undefined) {
      // Nothing was scanned: say whether the topics are empty or the range missed their data.
      const summary = await summarizeEmptyRead({from, log, ranges: read, signal, tally, topics, until: options.until, where: false})
      why = `scanned 0 records; ${explainEmptyRead(summary).replace(/^0 records matched: /, '')}`
    } else {
      why = `scanned ${scanned} records between ${isoTimeText(first)} and ${isoTimeText(last!)}`
    }

    throw new CheckFailedError('NO_EVENTS', `no events for ${options.flowName} ${id} in ${topics.join(', ')} (${why})`)
  }

  events.sort((a, b) => a.timestamp - b.timestamp || a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset)
  return {
    anomalies: findAnomalies(events),
    events,
    flow: options.flowName,
    id,
    scanned: {from: first === undefined ? null : isoTime(first), records: scanned, to: last === undefined ? null : isoTime(last), topics},
    verdict: judgeFlow(events, flow, options.now ?? Date.now()),
  }
}

