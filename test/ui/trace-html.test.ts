import {describe, expect, it} from 'vitest'

import type {TraceResult} from '../../src/lib/trace/trace-flow.js'
import {formatTraceHtml} from '../../src/ui/trace-html.js'

describe('formatTraceHtml', () => {
  it('escapes what records say: a value, a header, a type or an id cannot add markup', () => {
    const hostile = '</pre><script>alert(1)</script><img src=x onerror=alert(2)>'
    const trace: TraceResult = {
      anomalies: [`duplicate ${hostile}`],
      events: [
        {consumedBy: [], headers: {ce_type: hostile}, offset: 0, partition: 0, pendingFor: [], source: hostile, summary: hostile, timestamp: Date.parse('2026-01-05T09:00:00Z'), topic: 'orders', type: hostile, value: {note: hostile}},
      ],
      flow: 'order',
      id: `1"'<b>`,
      scanned: {from: null, records: 1, to: null, topics: ['orders']},
      verdict: {detail: hostile, status: 'stalled'},
    }
    const html = formatTraceHtml(trace)
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('<h1>order 1&quot;&#39;&lt;b&gt;: &lt;/pre&gt;')
  })
})
