import {RecordDecoder} from '../codec/record-decoder.js'
import type {FlowConfig} from '../config/types.js'
import {CheckFailedError} from '../errors.js'
import type {EventLog} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readMerged} from '../tail/merged-read.js'
import {planRead} from '../tail/read-plan.js'
import {type FlowEvent, toFlowEvent} from './flow-events.js'
import {idLocatorMatcher} from './id-matcher.js'
import {findAnomalies, judgeFlow, type Verdict} from './verdict.js'
import {maybeYield} from '../util/yield.js'

export interface TraceResult {
  anomalies: string[]
  events: FlowEvent[]
  flow: string
  id: string
  scanned: {from: null | string; records: number; to: null | string; topics: string[]}
  verdict: Verdict
}

export interface TraceOptions {
  flow: FlowConfig
  flowName: string
  id: string
  log: EventLog
  now?: number
  registry: SchemaRegistry
  signal?: AbortSignal
  since?: number
  until?: number
  warn?: (message: string) => void
}

/**
 * Every record of one flow id across the flow's topics, in time order, with who wrote it, which
 * consumer groups have read it, a verdict and anomalies. Scans are bounded by the watermarks at
 * start and by --since/--until (through offsets for times).
 */
export async function traceFlow(options: TraceOptions): Promise<TraceResult> {
  const {flow, id, log, signal} = options
  const decoder = new RecordDecoder(options.registry, options.warn)
  const existing = new Set((await log.listTopics()).map((t) => t.name))
  const topics = Object.keys(flow.topics).filter((topic) => {
    if (existing.has(topic)) return true
    options.warn?.(`topic '${topic}' of flow '${options.flowName}' does not exist; the trace goes on without it`)
    return false
  })

  const events: FlowEvent[] = []
  let scanned = 0
  let first: number | undefined
  let last: number | undefined
  for (const topic of topics) {
    const locator = flow.topics[topic].id
    const matcher = idLocatorMatcher(locator, id)
    const groups = await log.groupOffsets(topic)
    const ranges = await planRead({follow: false, from: options.since === undefined ? {kind: 'beginning'} : {kind: 'time', timestamp: options.since}, log, topics: [topic], until: options.until})
    for await (const batch of readMerged({log, ranges, signal})) {
      scanned += batch.length
      first = Math.min(first ?? batch[0].timestamp, batch[0].timestamp)
      last = Math.max(last ?? 0, batch.at(-1)!.timestamp)
      const candidates = batch.filter((record) => matcher.candidate(record))
      if (candidates.length === 0) continue
      await decoder.prepare(candidates.map((r) => r.value))
      for (const record of candidates) {
        await maybeYield()
        const decoded = decoder.decode(record.value, topic)
        if (matcher.needsValue && !matcher.matchesValue(decoded?.value)) continue
        events.push(toFlowEvent(record, decoded, flow, groups, locator.startsWith('$.') ? locator : undefined))
      }
    }
  }

  if (events.length === 0) {
    const between = first === undefined ? 'in empty topics' : `between ${new Date(first).toISOString()} and ${new Date(last!).toISOString()}`
    throw new CheckFailedError(`no events for ${options.flowName} ${id} in ${topics.join(', ')} (scanned ${scanned} records ${between})`)
  }

  events.sort((a, b) => a.timestamp - b.timestamp || a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset)
  return {
    anomalies: findAnomalies(events),
    events,
    flow: options.flowName,
    id,
    scanned: {from: first === undefined ? null : new Date(first).toISOString(), records: scanned, to: last === undefined ? null : new Date(last).toISOString(), topics},
    verdict: judgeFlow(events, flow, options.now ?? Date.now()),
  }
}

