import {Text, useApp, useStdout} from 'ink'
import type {EventEmitter} from 'node:events'
import React, {useEffect, useRef, useState} from 'react'

import type {DecodedRecord} from '../lib/read/read-records.js'
import {formatPrettyLine} from './record-format.js'

export interface TailViewProps {
  batches: AsyncIterable<DecodedRecord[]>
  /** Following live: the status line shows the rate. */
  follow?: boolean
  onError: (error: unknown) => void
  /** Emits 'lag' (records not yet read) while following. */
  status?: EventEmitter
  verbose: boolean
}

/**
 * Live, coloured tail for a terminal: records are written above the status line as they come
 * (ink's `write` keeps its own output below them) and then forgotten, so a `--follow` that runs
 * for days holds no more than the batch in hand.
 */
export function TailView({batches, follow = false, onError, status, verbose}: TailViewProps): React.JSX.Element {
  const {exit} = useApp()
  const {stdout, write} = useStdout()
  const [count, setCount] = useState(0)
  const [done, setDone] = useState(false)
  const [rate, setRate] = useState(0)
  const counted = useRef({at: Date.now(), count: 0})
  const [lag, setLag] = useState<number | undefined>()

  useEffect(() => {
    status?.on('lag', setLag)
    return () => {
      status?.off('lag', setLag)
    }
  }, [status])

  // Records per second over the last second, for the live status line.
  useEffect(() => {
    if (!follow) return
    const timer = setInterval(() => {
      setCount((current) => {
        const now = Date.now()
        setRate(Math.round(((current - counted.current.count) * 1000) / Math.max(now - counted.current.at, 1)))
        counted.current = {at: now, count: current}
        return current
      })
    }, 1000)
    return () => clearInterval(timer)
  }, [follow])

  useEffect(() => {
    ;(async () => {
      try {
        for await (const batch of batches) {
          const color = !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0'
          write(batch.map((record) => formatPrettyLine(record, verbose, {color, width: stdout.columns || undefined})).join('\n') + '\n')
          setCount((previous) => previous + batch.length)
        }
      } catch (error) {
        onError(error)
      }

      setDone(true)
    })()
  }, [])

  // Exit only after the last batch has been rendered, or ink would unmount before writing it.
  useEffect(() => {
    if (done) exit()
  }, [done])

  return (
    <>
      {/* One line, cut at the terminal's width: never wrapped into a column of characters on a narrow terminal. */}
      <Text dimColor wrap="truncate-end">
        {follow && !done ? `following — ${count} records, ${rate}/s${lag === undefined ? '' : `, lag ${lag}`} (Ctrl-C to stop)` : `${count} records`}
      </Text>
    </>
  )
}
