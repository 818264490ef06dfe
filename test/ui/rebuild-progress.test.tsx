import {render} from 'ink-testing-library'
import {EventEmitter} from 'node:events'
import React from 'react'
import {describe, expect, it, vi} from 'vitest'

import type {RebuildProgress} from '../../src/lib/views/rebuild-view.js'
import {RebuildProgressBar, throttleProgress} from '../../src/ui/rebuild-progress.js'
import {progressParts} from '../../src/ui/view-format.js'

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replaceAll(/\u001B\[[0-9;]*m/g, '')

describe('rebuild progress', () => {
  it('shows the percent of the captured watermarks, the records and the ETA', async () => {
    const events = new EventEmitter()
    const {frames} = render(<RebuildProgressBar events={events} view="orders" />)
    events.emit('progress', {records: 250, total: 1000})
    await new Promise((resolve) => setTimeout(resolve, 50))
    events.emit('done')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const output = stripAnsi(frames.join('\n'))
    expect(output).toMatch(/orders █{8}░{22} 25% 250\/1000 records · \d+\/s · ETA (\d+s|\?)/)
  })

  it('never shows 100% for nothing to read: no bar before the first report nor when the total is 0', async () => {
    const events = new EventEmitter()
    const {frames} = render(<RebuildProgressBar events={events} view="orders" />)
    await new Promise((resolve) => setTimeout(resolve, 20))
    events.emit('progress', {records: 0, total: 0})
    await new Promise((resolve) => setTimeout(resolve, 50))
    events.emit('done')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const output = stripAnsi(frames.join('\n'))
    expect(output).toContain('orders: no new records to read')
    expect(output).not.toMatch(/100%|0\/0/)
  })

  it('redraws at least every 250 ms while a batch is being read, rate and ETA moving', async () => {
    const events = new EventEmitter()
    const {frames} = render(<RebuildProgressBar events={events} view="orders" />)
    events.emit('progress', {records: 100, total: 100_000})
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = frames.length
    await new Promise((resolve) => setTimeout(resolve, 700))
    events.emit('done')
    // No report came in 700 ms, yet the line was redrawn (the rate falls as time passes).
    expect(frames.length - before).toBeGreaterThanOrEqual(2)
    expect(new Set(frames.slice(before).map(stripAnsi)).size).toBeGreaterThanOrEqual(2)
  })

  it('passes the first report on at once and never drops the latest one when reports come fast', () => {
    vi.useFakeTimers()
    try {
      const seen: RebuildProgress[] = []
      const progress = throttleProgress((p) => seen.push(p), 100, Date.now)
      progress.report({records: 0, total: 1000})
      expect(seen).toEqual([{records: 0, total: 1000}])
      progress.report({records: 10, total: 1000})
      progress.report({records: 20, total: 1000})
      // Held, not dropped: the latest goes when the interval is over, with no further report.
      expect(seen).toHaveLength(1)
      vi.advanceTimersByTime(100)
      expect(seen).toEqual([
        {records: 0, total: 1000},
        {records: 20, total: 1000},
      ])
      progress.report({records: 30, total: 1000})
      progress.report({records: 1000, total: 1000})
      expect(seen.at(-1)).toEqual({records: 1000, total: 1000})
      vi.advanceTimersByTime(1000)
      expect(seen).toHaveLength(3)
      progress.report({records: 1000, total: 1000})
      progress.flush()
      expect(seen).toHaveLength(4)
    } finally {
      vi.useRealTimers()
    }
  })

  it('computes rate and ETA from the elapsed time', () => {
    expect(progressParts({records: 200_000, total: 1_000_000}, 2000)).toEqual({eta: '8s', percent: 20, rate: 100_000})
    expect(progressParts({records: 0, total: 0}, 0)).toEqual({eta: '?', percent: 100, rate: 0})
  })
})
