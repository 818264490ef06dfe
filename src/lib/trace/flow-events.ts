import {headersToJson, type HeadersJson} from '../codec/json-shape.js'
import type {DecodedPayload} from '../codec/record-decoder.js'
import type {FlowConfig} from '../config/types.js'
import {type GroupOffset, lastHeader, type LogRecord} from '../log/event-log.js'
import {eventTypeOf} from '../util/event-type.js'

/** One step of a flow, as the narrative shows it. */
export interface FlowEvent {
  consumedBy: string[]
  decodeError?: string
  /** As `topic tail --json` shows them. */
  headers: HeadersJson
  offset: number
  partition: number
  pendingFor: string[]
  source: string
  summary: string
  timestamp: number
  topic: string
  type: string
  value: unknown
}

/** Turns a matched record into a flow event: who, what, and which groups have read it. */
export function toFlowEvent(record: LogRecord, decoded: DecodedPayload | null, flow: FlowConfig, groups: GroupOffset[], idPath?: string): FlowEvent {
  const type = eventTypeOf(record.headers, decoded?.type) ?? (record.value === null ? 'tombstone' : 'event')
  const source = flow.owners[record.topic] ?? lastHeader(record.headers, 'ce_source')?.toString('utf8') ?? 'unknown'
  const consumedBy: string[] = []
  const pendingFor: string[] = []
  for (const group of new Set(groups.map((g) => g.group))) {
    const committed = groups.find((g) => g.group === group && g.partition === record.partition)
    if (committed && committed.offset > record.offset) consumedBy.push(group)
    else pendingFor.push(group)
  }

  return {
    consumedBy,
    decodeError: decoded?.error,
    headers: headersToJson(record.headers),
    offset: record.offset,
    partition: record.partition,
    pendingFor,
    source,
    summary: record.value === null ? 'deleted (tombstone)' : summarize(decoded?.value, idPath),
    timestamp: record.timestamp,
    topic: record.topic,
    type,
    value: decoded?.value ?? null,
  }
}

/** A one-line summary of a payload: its scalar fields (not the flow id), arrays as counts. */
export function summarize(value: unknown, idPath?: string): string {
  if (value === null || value === undefined) return ''
  if (typeof value !== 'object') return String(value).slice(0, 80)
  const idField = idPath?.startsWith('$.') && !idPath.slice(2).includes('.') ? idPath.slice(2) : 'orderId'
  const parts: string[] = []
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (key === idField) continue
    if (Array.isArray(field)) parts.push(`${key}=${field.length} item${field.length === 1 ? '' : 's'}`)
    else if (field === null || typeof field !== 'object') parts.push(`${key}=${field}`)
    if (parts.length === 5) break
  }

  const text = parts.join(' ')
  return text.length > 100 ? `${text.slice(0, 99)}…` : text
}
