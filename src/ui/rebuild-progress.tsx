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

/** A progress bar on stderr: percent of the watermarks captured at start, records/s and ETA. */
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

  if (!progress) return <Text>{view} …</Text>
  const {eta, percent, rate} = progressParts(progress, Date.now() - started.current)
  return (
    <Text>
      {view} <Text color="cyan">{progressBar(percent, 30)}</Text> {percent}% {progress.records}/{progress.total} records · {rate}/s · ETA {eta}
    </Text>
  )
}
