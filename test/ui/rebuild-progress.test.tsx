import {render} from 'ink-testing-library'
import {EventEmitter} from 'node:events'
import React from 'react'
import {describe, expect, it} from 'vitest'

import {RebuildProgressBar} from '../../src/ui/rebuild-progress.js'
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

  it('computes rate and ETA from the elapsed time', () => {
    expect(progressParts({records: 200_000, total: 1_000_000}, 2000)).toEqual({eta: '8s', percent: 20, rate: 100_000})
    expect(progressParts({records: 0, total: 0}, 0)).toEqual({eta: '?', percent: 100, rate: 0})
  })
})
