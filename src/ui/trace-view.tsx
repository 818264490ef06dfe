import {Box, Text, useApp} from 'ink'
import React, {useEffect} from 'react'

import type {TraceResult} from '../lib/trace/trace-flow.js'
import {narrativeLines, verdictLine} from './trace-format.js'

const VERDICT_COLOR = {completed: 'green', rejected: 'red', stalled: 'yellow', unknown: 'gray'} as const

/** The narrative on a terminal: the same rows as the plain formatter, coloured. */
export function TraceView({trace}: {trace: TraceResult}): React.JSX.Element {
  const {exit} = useApp()
  useEffect(() => exit(), [])
  return (
    <Box flexDirection="column">
      <Text bold color={VERDICT_COLOR[trace.verdict.status]}>
        {verdictLine(trace)}
      </Text>
      {narrativeLines(trace).map((line, index) => (
        <Box flexDirection="column" key={index}>
          <Text>
            <Text dimColor>{line.time}</Text> <Text color="gray">{line.delta.padStart(9)}</Text> <Text color="cyan">{line.source}</Text>{' '}
            <Text bold>{line.type}</Text> <Text color="blue">→ {line.position}</Text> {line.summary}
          </Text>
          {line.groups ? <Text dimColor>{'    '}{line.groups}</Text> : null}
        </Box>
      ))}
      {trace.anomalies.map((anomaly) => (
        <Text color="magenta" key={anomaly}>
          ! {anomaly}
        </Text>
      ))}
    </Box>
  )
}
