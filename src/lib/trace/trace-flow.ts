import {RecordDecoder} from '../codec/record-decoder.js'
import type {DecodeBytes} from '../codec/record-key.js'
import type {FlowConfig} from '../config/types.js'
import {CheckFailedError} from '../errors.js'
import type {EventLog, GroupOffset, LogRecord, RecordPosition} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readLive, readMerged} from '../read/merged-read.js'
import {type PartitionRange, planRead} from '../read/read-plan.js'
import {explainEmptyRead, ScanTally, summarizeEmptyRead} from '../read/read-summary.js'
import type {StartPosition} from '../read/start-position.js'
import {type FlowEvent, toFlowEvent} from './flow-events.js'
import type {FlowIndex, IndexedSpan} from './flow-index.js'
import {existingFlowTopics} from './flow-topics.js'
import {type IdMatcher, idLocatorMatcher} from './id-matcher.js'
import {findAnomalies, judgeFlow, type Verdict} from './verdict.js'
import {compareText} from '../util/text-order.js'
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
  /** The flow's index: caught up, then asked instead of scanning (a whole-log trace only: no --from or --until). */
  index?: FlowIndex
  signal?: AbortSignal
  until?: number
  warn?: (message: string) => void
}

/** What one scan of a flow's topics found, and what it read: the follow goes on from there. */
interface FlowScan {
  decoder: RecordDecoder
  events: FlowEvent[]
  matchers: Map<string, IdMatcher>
  read: PartitionRange[]
  tally: ScanTally
  topics: string[]
}

/**
 * Every record of one flow id across the flow's topics, in time order, with who wrote it, which
 * consumer groups have read it, a verdict and anomalies. Scans are bounded by the watermarks at
 * start and by --from/--until (through offsets for times).
 */
export async function traceFlow(options: TraceOptions): Promise<TraceResult> {
  const scan = await scanFlow(options)
  if (scan.events.length === 0 && !options.signal?.aborted) throw await noEvents(options, scan)
  return traceResult(options, scan)
}

/**
 * `trace --follow`: the story so far (events may be none yet), then the story again each time a
 * new event of the id arrives, read live from where the scan stopped; ends after the story that
 * has an end event (completed or rejected), or when the signal aborts.
 */
export async function* followFlow(options: TraceOptions): AsyncIterable<TraceResult> {
  const scan = await scanFlow(options)
  let trace = traceResult(options, scan)
  yield trace
  if (isOver(trace)) return
  const {decoder, events, matchers, tally} = scan
  const decode: DecodeBytes = (bytes, topic) => decoder.decode(bytes, topic)
  const ranges = scan.read.map((range) => ({...range, from: range.to ?? range.from, to: undefined}))
  for await (const batch of readLive({log: options.log, ranges, signal: options.signal})) {
    tally.count(batch)
    const candidates = batch.filter((record) => matchers.get(record.topic)!.candidate(record))
    if (candidates.length === 0) continue
    await decoder.prepareRecords(candidates)
    let found = false
    for (const record of candidates) {
      const decoded = decoder.decode(record.value, record.topic)
      if (!matchers.get(record.topic)!.matches(record, decoded, decode)) continue
      // Fresh each time: a live event's readers are the news.
      const groups = await options.log.groupOffsets([record.topic])
      events.push(toFlowEvent(record, decoded, options.flow, groups, idPathOf(options.flow, record.topic)))
      found = true
    }

    if (found) {
      trace = traceResult(options, scan)
      yield trace
      if (isOver(trace)) return
    }
  }
}

/** A flow that has an end event has nothing more to tell. */
const isOver = (trace: TraceResult) => trace.verdict.status === 'completed' || trace.verdict.status === 'rejected'

function idPathOf(flow: FlowConfig, topic: string): string | undefined {
  const locator = flow.topics[topic].id
  return locator.kind === 'path' ? locator.path : undefined
}

/** Indexed records read at once: enough to overlap round trips, few enough to bound what is held (an id may have thousands). */
const READS_AT_ONCE = 16

async function scanFlow(options: TraceOptions): Promise<FlowScan> {
  const {flow, id, log, signal} = options
  const decoder = new RecordDecoder(options.registry, options.warn)
  const decode: DecodeBytes = (bytes, topic) => decoder.decode(bytes, topic)
  const topics = await existingFlowTopics(log, flow, options.flowName, options.warn)

  const events: FlowEvent[] = []
  const from = options.from ?? {kind: 'beginning'}
  const tally = new ScanTally()
  const warnTime = unrepresentableTimeWarning(options.warn)
  const read: PartitionRange[] = []
  const matchers = new Map(topics.map((topic) => [topic, idLocatorMatcher(flow.topics[topic].id, id)]))
  if (options.index && options.from === undefined && options.until === undefined) {
    const indexed = await readFromIndex(options.index, topics, {decoder, options, warnTime})
    read.push(...indexed.read)
    // The index counted what a scan would have read.
    Object.assign(tally, {newest: indexed.span.newest, oldest: indexed.span.oldest, scanned: indexed.span.records})
    events.push(...indexed.events)
    return {decoder, events, matchers, read, tally, topics}
  }

  const groups = groupsByTopic(await log.groupOffsets(topics))
  for (const topic of topics) {
    const matcher = matchers.get(topic)!
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
        events.push(toFlowEvent(record, decoded, flow, groups.get(topic) ?? [], idPathOf(flow, topic)))
      }
    }
  }

  return {decoder, events, matchers, read, tally, topics}
}

/** What reads the indexed records of a trace: its decoder and what it was asked. */
interface IndexedReader {
  decoder: RecordDecoder
  options: TraceOptions
  warnTime: (record: LogRecord) => void
}

/**
 * The id's events from the index, caught up first. The records it holds for the id already are
 * read while it catches up (on Kafka, the catch-up's round trips overlap these reads and their
 * schemas): a catch-up only adds positions, unless it starts a partition over (retention, a
 * recreated topic), which the look-up after it shows.
 */
async function readFromIndex(index: FlowIndex, topics: string[], reader: IndexedReader): Promise<{events: FlowEvent[]; read: PartitionRange[]; span: IndexedSpan}> {
  const {id, log, registry, signal, warn} = reader.options
  const known = index.lookup(id, topics)
  const groupsAsked = groupOffsetsOf(log, known)
  // Stopped if the catch-up fails or starts a partition over: those positions may not exist any more.
  const startedOver = new AbortController()
  const early = readIndexed(reader, known, groupsAsked, signal ? AbortSignal.any([signal, startedOver.signal]) : startedOver.signal)
  early.catch(() => {})
  let read: PartitionRange[]
  try {
    // The watermarks the catch-up went to: a scan from the beginning reads up to them.
    ;({read} = await index.catchUp({decoder: reader.decoder, log, registry, signal, topics, warn}))
  } catch (error) {
    startedOver.abort()
    throw error
  }

  const positions = index.lookup(id, topics)
  const where = (position: RecordPosition) => `${position.topic}/${position.partition}/${position.offset}`
  const now = new Set(positions.map((position) => where(position)))
  const kept = known.every((position) => now.has(where(position)))
  if (!kept) {
    startedOver.abort()
    await early.catch(() => {})
  }

  const earlyEvents = kept ? await early : []
  const knownAt = new Set(known.map((position) => where(position)))
  const added = kept ? positions.filter((position) => !knownAt.has(where(position))) : positions
  const knownTopics = new Set(known.map((position) => position.topic))
  const groups = added.every((position) => knownTopics.has(position.topic)) ? groupsAsked : groupOffsetsOf(log, positions)
  const laterEvents = await readIndexed(reader, added, groups, signal)
  return {events: [...earlyEvents, ...laterEvents], read, span: index.span(topics)}
}

/** The consumer groups' offsets of the topics `positions` are in, asked for once. */
function groupOffsetsOf(log: EventLog, positions: RecordPosition[]): Promise<Map<string, GroupOffset[]>> {
  const asked = log.groupOffsets([...new Set(positions.map((position) => position.topic))]).then(groupsByTopic)
  asked.catch(() => {})
  return asked
}

/**
 * The events at `positions`, several read at once: on Kafka each is a Fetch, and their schemas are
 * registry round trips. The caller puts them in order, as a scan's are.
 */
async function readIndexed(
  {decoder, options, warnTime}: IndexedReader,
  positions: RecordPosition[],
  groupsAsked: Promise<Map<string, GroupOffset[]>>,
  signal: AbortSignal | undefined,
): Promise<FlowEvent[]> {
  const {flow, log} = options
  const readOne = async ({offset, partition, topic}: RecordPosition) => {
    const records: LogRecord[] = []
    for await (const piece of log.read({from: offset, partition, signal, to: offset + 1, topic})) records.push(...piece)
    return records
  }

  const events: FlowEvent[] = []
  for (let at = 0; at < positions.length && !signal?.aborted; at += READS_AT_ONCE) {
    const records = (await Promise.all(positions.slice(at, at + READS_AT_ONCE).map((position) => readOne(position)))).flat()
    await decoder.prepareRecords(records)
    const groups = await groupsAsked
    for (const record of records) {
      warnTime(record)
      events.push(toFlowEvent(record, decoder.decode(record.value, record.topic), flow, groups.get(record.topic) ?? [], idPathOf(flow, record.topic)))
    }
  }

  return events
}

function groupsByTopic(offsets: GroupOffset[]): Map<string, GroupOffset[]> {
  const byTopic = new Map<string, GroupOffset[]>()
  for (const offset of offsets) {
    const topic = byTopic.get(offset.topic)
    if (topic) topic.push(offset)
    else byTopic.set(offset.topic, [offset])
  }

  return byTopic
}

/** Why a trace found nothing: which topics, and how many records between which times were scanned. */
async function noEvents(options: TraceOptions, {read, tally, topics}: FlowScan): Promise<CheckFailedError> {
  const first = tally.oldest
  let why: string
  if (first === undefined) {
    // Nothing was scanned: say whether the topics are empty or the range missed their data.
    const from = options.from ?? {kind: 'beginning'}
    const summary = await summarizeEmptyRead({from, log: options.log, ranges: read, signal: options.signal, tally, topics, until: options.until, where: false})
    why = `scanned 0 records; ${explainEmptyRead(summary).replace(/^0 records matched: /, '')}`
  } else {
    why = `scanned ${tally.scanned} records between ${isoTimeText(first)} and ${isoTimeText(tally.newest!)}`
  }

  return new CheckFailedError('NO_EVENTS', `no events for ${options.flowName} ${options.id} in ${topics.join(', ')} (${why})`)
}

function traceResult(options: TraceOptions, {events, tally, topics}: FlowScan): TraceResult {
  const first = tally.oldest
  const last = tally.newest
  events.sort((a, b) => a.timestamp - b.timestamp || compareText(a.topic, b.topic) || a.partition - b.partition || a.offset - b.offset)
  return {
    anomalies: findAnomalies(events),
    // A copy: a follow goes on adding to the scan's list.
    events: [...events],
    flow: options.flowName,
    id: options.id,
    scanned: {from: first === undefined ? null : isoTime(first), records: tally.scanned, to: last === undefined ? null : isoTime(last), topics},
    verdict: judgeFlow(events, options.flow, options.now ?? Date.now()),
  }
}

