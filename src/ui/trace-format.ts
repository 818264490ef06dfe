import {positionOf} from '../lib/log/event-log.js'
import type {StalledFlow} from '../lib/trace/stalled-flows.js'
import type {FlowEvent} from '../lib/trace/flow-events.js'
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
      position: positionOf(event),
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
  const out = [paint(verdictLine(trace), 'bold', VERDICT_STYLE[trace.verdict.status]), '', ...eventRows(trace, () => true, paint)]
  if (trace.anomalies.length > 0) out.push('', paint('anomalies:', 'magenta'), ...trace.anomalies.map((a) => `  - ${paint(a, 'magenta')}`))
  out.push('', paint(`scanned ${trace.scanned.records} records in ${trace.scanned.topics.join(', ')}`, 'dim'))
  return out.join('\n')
}

/**
 * What `trace --follow` prints when the story changes: at first the narrative so far (or that
 * there is nothing yet), then the rows of the events that arrived, the anomalies they brought and
 * the verdict when it changed.
 */
export function formatFollowUpdate(shown: TraceResult | undefined, trace: TraceResult, options: {color?: boolean} = {}): string {
  const paint = painter(options.color)
  if (!shown) {
    if (trace.events.length > 0) return `${formatNarrative(trace, options)}\n`
    return paint(`no events for ${trace.flow} ${trace.id} yet in ${trace.scanned.topics.join(', ')} (scanned ${trace.scanned.records} records); waiting for them`, 'dim')
  }

  const seen = new Set(shown.events.map((event) => positionOf(event)))
  const out = eventRows(trace, (event) => !seen.has(positionOf(event)), paint)
  const known = new Set(shown.anomalies)
  out.push(...trace.anomalies.filter((a) => !known.has(a)).map((a) => `  - ${paint(a, 'magenta')}`))
  if (verdictLine(trace) !== verdictLine(shown) || shown.events.length === 0) out.push('', paint(verdictLine(trace), 'bold', VERDICT_STYLE[trace.verdict.status]), '')
  return out.join('\n')
}

/** Aligned narrative rows (and their consumer groups) of the events `include` picks; widths from the whole trace. */
function eventRows(trace: TraceResult, include: (event: FlowEvent) => boolean, paint: ReturnType<typeof painter>): string[] {
  const lines = narrativeLines(trace)
  const width = (pick: (line: NarrativeLine) => string) => Math.max(...lines.map((line) => pick(line).length))
  const [deltaWidth, sourceWidth, typeWidth, positionWidth] = [width((l) => l.delta), width((l) => l.source), width((l) => l.type), width((l) => l.position)]
  const out: string[] = []
  for (const [index, line] of lines.entries()) {
    if (!include(trace.events[index])) continue
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

  return out
}

/**
 * A Mermaid sequence diagram: each event is an arrow from the service that wrote it to the consumer
 * groups of its topic (solid: consumed; dotted: not yet), or to the topic when no group reads it,
 * labelled with its time, type and topic.
 */
export function formatMermaid(trace: TraceResult): string {
  const participants = new Map<string, string>()
  const participant = (name: string) => {
    if (!participants.has(name)) participants.set(name, `p${participants.size + 1}`)
    return participants.get(name)!
  }

  const arrows: string[] = []
  for (const event of trace.events) {
    const from = participant(event.source)
    const label = mermaidText(`${prettyTime(event.timestamp).slice(0, 19)} ${event.type} (${event.topic})`)
    if (event.consumedBy.length + event.pendingFor.length === 0) arrows.push(`  ${from}->>${participant(`${event.topic} (topic)`)}: ${label}`)
    for (const group of event.consumedBy) arrows.push(`  ${from}->>${participant(group)}: ${label}`)
    for (const group of event.pendingFor) arrows.push(`  ${from}-->>${participant(group)}: ${label}, not yet read`)
  }

  const out = ['sequenceDiagram', `  title ${mermaidText(`${trace.flow} ${trace.id}: ${trace.verdict.status} (${trace.verdict.detail})`)}`]
  for (const [name, id] of participants) out.push(`  participant ${id} as ${mermaidText(name)}`)
  out.push(...arrows)
  const first = participants.values().next().value
  if (trace.anomalies.length > 0 && first) out.push(`  note over ${first}: ${trace.anomalies.length} anomal${trace.anomalies.length === 1 ? 'y' : 'ies'}`)
  return out.join('\n')
}

/** Text Mermaid shows as written: `;` ends a statement and `#` starts an entity, so both are entities. */
function mermaidText(text: string): string {
  return text.replaceAll(/[#;]/g, (character) => (character === '#' ? '#35;' : '#59;')).replaceAll(/[\r\n]+/g, ' ')
}

export function formatStalled(flow: string, stalled: StalledFlow[], scanned: number): string {
  if (stalled.length === 0) return `no stalled ${flow} flows (scanned ${scanned} records)`
  return [
    `${stalled.length} stalled ${flow} flow${stalled.length === 1 ? '' : 's'} (scanned ${scanned} records):`,
    ...stalled.map((s) => `  ${s.id}  stalled after ${s.lastEvent} for ${s.stalledFor} (since ${s.lastAt})`),
  ].join('\n')
}
