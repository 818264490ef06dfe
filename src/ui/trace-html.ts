import type {TraceResult} from '../lib/trace/trace-flow.js'
import {narrativeLines, verdictLine} from './trace-format.js'

const VERDICT_COLOR = {completed: '#1a7f37', rejected: '#cf222e', stalled: '#9a6700', unknown: '#57606a'} as const

/**
 * One self-contained page (no script, no request: its policy forbids both) for sharing a trace:
 * the verdict and anomalies on top, a swimlane per service with the events in the order they
 * happened, then every event, each opening to its decoded value and headers.
 */
export function formatTraceHtml(trace: TraceResult): string {
  const lines = narrativeLines(trace)
  const services = [...new Set(trace.events.map((event) => event.source))]
  const lanes = services.map((service) => {
    const cells = trace.events.map((event, index) =>
      event.source === service ? `<td class="step"><a href="#e${index}" title="${text(`${lines[index].time} ${event.type}`)}">${text(event.type)}</a></td>` : '<td></td>',
    )
    return `<tr><th scope="row">${text(service)}</th>${cells.join('')}</tr>`
  })
  const events = trace.events.map((event, index) => {
    const line = lines[index]
    return [
      `<details class="event" id="e${index}"><summary><time>${text(line.time)}</time> <span class="delta">${text(line.delta)}</span> <b>${text(event.type)}</b> by ${text(event.source)} → ${text(line.position)}`,
      line.groups ? ` <span class="groups">${text(line.groups)}</span>` : '',
      line.summary ? `<div class="summary">${text(line.summary)}</div>` : '',
      `</summary><h3>value</h3><pre>${text(JSON.stringify(event.value, null, 2) ?? 'null')}</pre><h3>headers</h3><pre>${text(JSON.stringify(event.headers, null, 2))}</pre></details>`,
    ].join('')
  })
  const anomalies = trace.anomalies.length === 0 ? '' : `<section class="anomalies"><h2>anomalies</h2><ul>${trace.anomalies.map((anomaly) => `<li>${text(anomaly)}</li>`).join('')}</ul></section>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${text(verdictLine(trace))}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1f2328; }
h1 { font-size: 1.4em; color: ${VERDICT_COLOR[trace.verdict.status]}; }
.anomalies { background: #fff8c5; padding: .5em 1em; border-radius: 6px; }
.lanes { overflow-x: auto; margin: 1.5em 0; }
.lanes table { border-collapse: collapse; }
.lanes th { text-align: right; padding-right: 1em; white-space: nowrap; font-weight: 600; }
.lanes td { border-left: 1px dashed #d0d7de; padding: .3em; min-width: 1.5em; }
.lanes td.step a { display: block; padding: .2em .5em; background: #ddf4ff; border-radius: 4px; text-decoration: none; color: inherit; white-space: nowrap; font-size: .85em; }
.event { border-bottom: 1px solid #d0d7de; padding: .4em 0; }
.event summary { cursor: pointer; }
.delta, .groups, .summary { color: #57606a; }
.summary { margin-left: 1.5em; font-size: .9em; }
pre { background: #f6f8fa; padding: .6em; border-radius: 6px; overflow-x: auto; }
footer { margin-top: 2em; color: #57606a; font-size: .85em; }
</style>
</head>
<body>
<h1>${text(verdictLine(trace))}</h1>
${anomalies}
<section class="lanes"><h2>who wrote what, in order</h2><table>${lanes.join('')}</table></section>
<section><h2>${trace.events.length} event${trace.events.length === 1 ? '' : 's'}</h2>${events.join('\n')}</section>
<footer>evt trace ${text(trace.flow)} ${text(trace.id)}: scanned ${trace.scanned.records} records of ${text(trace.scanned.topics.join(', '))}</footer>
</body>
</html>
`
}

/** Text as HTML shows it: the five characters that mean markup escaped. */
function text(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}
