import type {FlowConfig} from '../config/types.js'
import {positionOf} from '../log/event-log.js'
import {isoTimeText} from '../util/time.js'
import {compareText} from '../util/text-order.js'
import type {FlowEvent} from './flow-events.js'

export interface Verdict {
  detail: string
  status: 'completed' | 'rejected' | 'stalled' | 'unknown'
}

/** An end event whose name says the flow failed is a rejection; the other ends complete it. */
const REJECTION = /reject|fail|cancel|abort|error|declin/i

/** A flow's end events as a trace judges them: the ones that complete it, and the rejections. */
export function endsByOutcome(ends: string[]): {rejection: string[]; success: string[]} {
  return {rejection: ends.filter((end) => REJECTION.test(end)), success: ends.filter((end) => !REJECTION.test(end))}
}

export function judgeFlow(events: FlowEvent[], flow: FlowConfig, now: number): Verdict {
  if (events.length === 0) return {detail: 'no events', status: 'unknown'}
  const last = events.at(-1)!
  if (flow.ends.length === 0) return {detail: `the flow names no end events (ends: in evt.yaml); last event ${last.type}`, status: 'unknown'}
  const ends = events.filter((event) => flow.ends.includes(event.type))
  const rejection = ends.find((event) => REJECTION.test(event.type))
  if (rejection) {
    const reason = (rejection.value as {reason?: unknown} | null)?.reason
    return {detail: `${rejection.type}${reason ? `: ${reason}` : ''}`, status: 'rejected'}
  }

  if (ends.length > 0) return {detail: `${ends.at(-1)!.type} at ${isoTimeText(ends.at(-1)!.timestamp)}`, status: 'completed'}
  return {detail: `stalled after ${last.type} for ${formatDuration(now - last.timestamp)}`, status: 'stalled'}
}

/** Duplicates (same type and payload twice), timestamps going back within a partition, undecodable values. */
export function findAnomalies(events: FlowEvent[]): string[] {
  const anomalies: string[] = []
  const seen = new Map<string, FlowEvent>()
  const lastInPartition = new Map<string, FlowEvent>()
  for (const event of [...events].sort((a, b) => compareText(a.topic, b.topic) || a.partition - b.partition || a.offset - b.offset)) {
    const identity = `${event.topic}|${event.type}|${JSON.stringify(event.value)}`
    const original = seen.get(identity)
    if (original) anomalies.push(`duplicate ${event.type} at ${positionOf(event)} (same as ${positionOf(original)})`)
    else seen.set(identity, event)
    const partitionKey = `${event.topic}/${event.partition}`
    const previous = lastInPartition.get(partitionKey)
    if (previous && event.timestamp < previous.timestamp) anomalies.push(`out-of-order timestamp: ${positionOf(event)} is earlier than ${positionOf(previous)}`)
    lastInPartition.set(partitionKey, event)
    if (event.decodeError) anomalies.push(`schema error at ${positionOf(event)}: ${event.decodeError}`)
  }

  return anomalies
}

export function formatDuration(ms: number): string {
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(ms)}ms`
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]
  const parts: string[] = []
  let rest = abs
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }

  return `${ms < 0 ? '-' : ''}${parts.join(' ')}`
}
