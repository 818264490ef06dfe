import type {StalledFlow} from '../lib/trace/stalled-flows.js'
import type {TraceResult} from '../lib/trace/trace-flow.js'
import {formatDuration} from '../lib/trace/verdict.js'
import {prettyTime} from '../lib/util/time.js'
import {painter} from './ansi.js'

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
      time: prettyTime(event.timestamp),
      type: event.type,
    }
  })
}

export function verdictLine(trace: TraceResult): string {
  const {detail, status} = trace.verdict
  return `${trace.flow} ${trace.id}: ${status === 'stalled' ? detail : `${status} (${detail})`}`
}

const VERDICT_STYLE = {completed: 'green', rejected: 'red', stalled: 'yellow', unknown: 'gray'} as const

/**
 * The narrative: verdict, one aligned row per event (and its consumer groups), anomalies and what
 * was scanned. The same text in a pipe and on a terminal; with `color` (a terminal) the cells are
 * coloured after padding, so the columns line up the same way.
 */
export function formatNarrative(trace: TraceResult, options: {color?: boolean} = {}): string {
  const paint = painter(options.color)
  const lines = narrativeLines(trace)
  const width = (pick: (line: NarrativeLine) => string) => Math.max(...lines.map((line) => pick(line).length))
  const [deltaWidth, sourceWidth, typeWidth, positionWidth] = [width((l) => l.delta), width((l) => l.source), width((l) => l.type), width((l) => l.position)]
  const out = [paint(verdictLine(trace), 'bold', VERDICT_STYLE[trace.verdict.status]), '']
  for (const line of lines) {
    const cells = [
      paint(line.time, 'dim'),
      paint(line.delta.padStart(deltaWidth), 'gray'),
      paint(line.source.padEnd(sourceWidth), 'cyan'),
      paint(line.type.padEnd(typeWidth), 'bold'),
      paint(`→ ${line.position.padEnd(positionWidth)}`, 'blue'),
      line.summary,
    ]
    out.push(`  ${cells.join('  ')}`)
    if (line.groups) out.push(`  ${' '.repeat(23 + deltaWidth + 2)}${paint(line.groups, 'dim')}`)
  }

  if (trace.anomalies.length > 0) out.push('', paint('anomalies:', 'magenta'), ...trace.anomalies.map((a) => `  - ${paint(a, 'magenta')}`))
  out.push('', paint(`scanned ${trace.scanned.records} records in ${trace.scanned.topics.join(', ')}`, 'dim'))
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
