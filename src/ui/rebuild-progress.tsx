import {Text, useApp} from 'ink'
import type {EventEmitter} from 'node:events'
import React, {useEffect, useRef, useState} from 'react'

import type {RebuildProgress} from '../lib/views/rebuild-view.js'
import {progressBar, progressParts} from './view-format.js'

export interface RebuildProgressProps {
  /** Emits 'progress' (RebuildProgress) while building and 'done' at the end. */
  events: EventEmitter
  view: string
}

/** How often the bar is redrawn: the rate and ETA move even between reports. */
export const REDRAW_MS = 250

/**
 * Passes progress reports on at most every `intervalMs` without ever dropping the latest one: a
 * report that comes too soon is held and passed on when the interval is over (the read loops yield
 * at least every 50 ms, so the timer runs). The first report and the last (records = total) go at
 * once. `flush` passes on what is held and stops the timer.
 */
export function throttleProgress(
  emit: (progress: RebuildProgress) => void,
  intervalMs = 100,
  now: () => number = Date.now,
): {flush: () => void; report: (progress: RebuildProgress) => void} {
  let last: number | undefined
  let held: RebuildProgress | undefined
  let timer: NodeJS.Timeout | undefined
  const send = () => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (!held) return
    last = now()
    const progress = held
    held = undefined
    emit(progress)
  }

  return {
    flush: send,
    report(progress) {
      held = progress
      const wait = last === undefined || progress.records >= progress.total ? 0 : last + intervalMs - now()
      if (wait <= 0) send()
      else timer ??= setTimeout(send, wait)
    },
  }
}

/**
 * A progress bar on stderr: percent of the watermarks captured at start, records/s and ETA, redrawn
 * every REDRAW_MS. No bar before the first report (nothing is known yet) nor when there is nothing
 * to read: never a false "100% 0/0".
 */
export function RebuildProgressBar({events, view}: RebuildProgressProps): React.JSX.Element {
  const {exit} = useApp()
  const started = useRef(Date.now())
  // Nothing is known before the first report (the watermarks): no bar, rather than a false "100% 0/0".
  const [progress, setProgress] = useState<RebuildProgress | undefined>()
  const [done, setDone] = useState(false)

  useEffect(() => {
    const finish = () => setDone(true)
    events.on('progress', setProgress)
    events.once('done', finish)
    return () => {
      events.off('progress', setProgress)
      events.off('done', finish)
    }
  }, [events])

  useEffect(() => {
    if (done) exit()
  }, [done])

  // Redraws with the time elapsed, so rate and ETA stay current while a slow batch is projected.
  const [, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), REDRAW_MS)
    return () => clearInterval(timer)
  }, [])

  if (!progress) return <Text>{view} …</Text>
  if (progress.total === 0) return <Text>{view}: no new records to read</Text>
  const {eta, percent, rate} = progressParts(progress, Date.now() - started.current)
  return (
    <Text>
      {view} <Text color="cyan">{progressBar(percent, 30)}</Text> {percent}% {progress.records}/{progress.total} records · {rate}/s · ETA {eta}
    </Text>
  )
}
