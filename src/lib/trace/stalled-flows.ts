import {RecordDecoder} from '../codec/record-decoder.js'
import type {DecodeBytes} from '../codec/record-key.js'
import type {FlowConfig} from '../config/types.js'
import {type EventLog, lastHeader, type LogRecord} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readMerged} from '../read/merged-read.js'
import {planRead} from '../read/read-plan.js'
import type {StartPosition} from '../read/start-position.js'
import {eventTypeOf} from '../util/event-type.js'
import {compareText} from '../util/text-order.js'
import {isoTime, unrepresentableTimeWarning} from '../util/time.js'
import {maybeYield} from '../util/yield.js'
import type {FlowIndex} from './flow-index.js'
import {existingFlowTopics} from './flow-topics.js'
import {flowIdOf, idReadsValue} from './id-matcher.js'
import {formatDuration} from './verdict.js'

export interface StalledFlow {
  id: string
  /** ISO-8601; the number (ms) when no date can hold it. */
  lastAt: number | string
  lastEvent: string
  stalledFor: string
  stalledForMs: number
}

/** `trace FLOW --stalled --json`. */
export interface StalledResult {
  flow: string
  scanned: number
  stalled: StalledFlow[]
}

/**
 * Every id of a flow that has no end event and whose last event is older than `olderThanMs`:
 * the list on-call engineers want first. Values are decoded only where the id or the event type
 * needs it (a value-path id, or no ce_type header).
 */
export async function findStalledFlows(options: {
  flow: FlowConfig
  log: EventLog
  now?: number
  olderThanMs: number
  registry: SchemaRegistry
  /** Where the scan starts in each partition (--from, alias --since); default: the beginning. */
  from?: StartPosition
  flowName: string
  /** The flow's index: caught up, then asked instead of scanning (a whole-log list only: no --from or --until). */
  index?: FlowIndex
  signal?: AbortSignal
  until?: number
  warn?: (message: string) => void
}): Promise<{scanned: number; stalled: StalledFlow[]}> {
  const {flow, log, signal} = options
  const now = options.now ?? Date.now()
  const decoder = new RecordDecoder(options.registry, options.warn)
  const decode: DecodeBytes = (bytes, topic) => decoder.decode(bytes, topic)
  const ids = new Map<string, {ended: boolean; lastAt: number; lastEvent: string}>()
  const warnTime = unrepresentableTimeWarning(options.warn)
  let scanned = 0
  const topics = await existingFlowTopics(log, flow, options.flowName, options.warn)
  if (options.index && options.from === undefined && options.until === undefined) {
    await options.index.catchUp({log, registry: options.registry, signal, topics, warn: options.warn})
    if (signal?.aborted) return {scanned, stalled: []}
    return {scanned: options.index.span(topics).records, stalled: stalledOf(options.index.openFlows(), now, options.olderThanMs)}
  }

  for (const topic of topics) {
    const locator = flow.topics[topic].id
    const ranges = await planRead({follow: false, from: options.from ?? {kind: 'beginning'}, log, topics: [topic], until: options.until})
    for await (const batch of readMerged({log, ranges, signal})) {
      scanned += batch.length
      // The ce_type header names the event without decoding the value.
      const readsValue = (record: LogRecord) => idReadsValue(locator) || !lastHeader(record.headers, 'ce_type')
      // Keys too: a key written with a schema is decoded before it is compared.
      await decoder.prepareRecords(locator.kind === 'key' ? batch : batch.filter((record) => readsValue(record)))
      for (const record of batch) {
        await maybeYield()
        const decoded = readsValue(record) ? decoder.decode(record.value, topic) : null
        const id = flowIdOf(locator, record, decoded, decode)
        if (id === undefined) continue
        const type = eventTypeOf(record.headers, decoded?.type) ?? (record.value === null ? 'tombstone' : 'event')
        const state = ids.get(id) ?? {ended: false, lastAt: 0, lastEvent: ''}
        if (flow.ends.includes(type)) state.ended = true
        if (record.timestamp >= state.lastAt) {
          warnTime(record)
          state.lastAt = record.timestamp
          state.lastEvent = type
        }

        ids.set(id, state)
      }
    }
  }

  if (signal?.aborted) return {scanned, stalled: []}
  return {scanned, stalled: stalledOf(ids, now, options.olderThanMs)}
}

/** The ids without an end event whose last event is at least `olderThanMs` old, the longest stalled first. */
function stalledOf(ids: Map<string, {ended: boolean; lastAt: number; lastEvent: string}>, now: number, olderThanMs: number): StalledFlow[] {
  return [...ids]
    .filter(([, state]) => !state.ended && now - state.lastAt >= olderThanMs)
    .map(([id, state]) => ({id, lastAt: isoTime(state.lastAt), lastEvent: state.lastEvent, stalledFor: formatDuration(now - state.lastAt), stalledForMs: now - state.lastAt}))
    .sort((a, b) => b.stalledForMs - a.stalledForMs || compareText(a.id, b.id))
}
