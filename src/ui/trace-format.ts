import type {StalledFlow} from '../lib/trace/stalled-flows.js'
import type {TraceResult} from '../lib/trace/trace-flow.js'
import {formatDuration} from '../lib/trace/verdict.js'

export interface NarrativeLine {
  delta: string
  groups: string
  position: string
  source: string
  summary: string
  time: string
  type: string
}

/** The rows of a narrative, shared by the plain formatter and the ink view. */
export function narrativeLines(trace: TraceResult): NarrativeLine[] {
  return trace.events.map((event, index) => {
    const previous = trace.events[index - 1]
    const groups = [
      event.consumedBy.length > 0 ? `consumed by ${event.consumedBy.join(', ')}` : '',
      event.pendingFor.length > 0 ? `not yet by ${event.pendingFor.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ')
    return {
      delta: previous ? `+${formatDuration(event.timestamp - previous.timestamp)}` : '',
      groups,
      position: `${event.topic}[${event.partition}]@${event.offset}`,
      source: event.source,
      summary: event.summary,
      time: new Date(event.timestamp).toISOString().replace('T', ' ').replace('Z', ''),
      type: event.type,
    }
  })
}

export function verdictLine(trace: TraceResult): string {
  const {detail, status} = trace.verdict
  return `${trace.flow} ${trace.id}: ${status === 'stalled' ? detail : `${status} (${detail})`}`
}

export function formatNarrative(trace: TraceResult): string {
  const lines = narrativeLines(trace)
  const width = (pick: (line: NarrativeLine) => string) => Math.max(...lines.map((line) => pick(line).length))
  const [deltaWidth, sourceWidth, typeWidth, positionWidth] = [width((l) => l.delta), width((l) => l.source), width((l) => l.type), width((l) => l.position)]
  const out = [verdictLine(trace), '']
  for (const line of lines) {
    out.push(`  ${line.time}  ${line.delta.padStart(deltaWidth)}  ${line.source.padEnd(sourceWidth)}  ${line.type.padEnd(typeWidth)}  → ${line.position.padEnd(positionWidth)}  ${line.summary}`)
    if (line.groups) out.push(`  ${' '.repeat(23 + deltaWidth + 2)}${line.groups}`)
  }

  if (trace.anomalies.length > 0) out.push('', 'anomalies:', ...trace.anomalies.map((a) => `  - ${a}`))
  out.push('', `scanned ${trace.scanned.records} records in ${trace.scanned.topics.join(', ')}`)
  return out.join('\n')
}

/** A Mermaid sequence diagram: services are participants, each event an arrow labelled with its type and topic. */
export function formatMermaid(trace: TraceResult): string {
  const participantId = (name: string) => name.replaceAll(/[^\w]/g, '_')
  const services = [...new Set(trace.events.map((e) => e.source))]
  const out = ['sequenceDiagram', `  title ${trace.flow} ${trace.id}: ${trace.verdict.status} (${trace.verdict.detail.replaceAll(/[:;#]/g, ' ')})`]
  for (const service of services) out.push(`  participant ${participantId(service)} as ${service}`)
  trace.events.forEach((event, index) => {
    // The arrow points at the next service that acts, as the one reacting to this event.
    const next = trace.events.slice(index + 1).find((e) => e.source !== event.source)
    const label = `${event.type} (${event.topic})`.replaceAll(/[:;#]/g, ' ')
    out.push(`  ${participantId(event.source)}->>${participantId(next?.source ?? event.source)}: ${label}`)
  })
  if (trace.anomalies.length > 0) out.push(`  note over ${participantId(services[0])}: ${trace.anomalies.length} anomal${trace.anomalies.length === 1 ? 'y' : 'ies'}`)
  return out.join('\n')
}

export function formatStalled(flow: string, stalled: StalledFlow[], scanned: number): string {
  if (stalled.length === 0) return `no stalled ${flow} flows (scanned ${scanned} records)`
  return [
    `${stalled.length} stalled ${flow} flow${stalled.length === 1 ? '' : 's'} (scanned ${scanned} records):`,
    ...stalled.map((s) => `  ${s.id}  stalled after ${s.lastEvent} for ${s.stalledFor} (since ${s.lastAt})`),
  ].join('\n')
}
