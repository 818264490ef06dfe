import {EventEmitter} from 'node:events'

import type {RebuildProgress} from '../lib/views/rebuild-view.js'
import {loadInk, useInteractiveOutput} from './output.js'

/**
 * Runs `work` with an ink progress bar on stderr when it is a terminal (and not --json), labelled
 * `label`; with nothing otherwise (the command's summary line follows). At most ten updates a
 * second reach the bar, the latest never dropped.
 */
export async function withProgressBar<T>(label: string, json: boolean, work: (onProgress?: (progress: RebuildProgress) => void) => Promise<T>): Promise<T> {
  if (!useInteractiveOutput(json, process.stderr)) return work()
  const {createElement, render, view: {RebuildProgressBar, throttleProgress}} = await loadInk<typeof import('../ui/rebuild-progress.js')>('rebuild-progress.js')
  const events = new EventEmitter()
  const app = render(createElement(RebuildProgressBar, {events, view: label}), {exitOnCtrlC: false, stdout: process.stderr})
  const progress = throttleProgress((latest) => events.emit('progress', latest))
  try {
    return await work(progress.report)
  } finally {
    progress.flush()
    events.emit('done')
    await app.waitUntilExit()
  }
}
