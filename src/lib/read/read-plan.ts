import {UsageError} from '../errors.js'
import {watermarksInOrder, type EventLog} from '../log/event-log.js'
import {checkRange, type StartPosition} from './start-position.js'

/** One partition's slice of a read: [from, to), `to` absent when following. */
export interface PartitionRange {
  from: number
  /** The partition's high watermark when the read was planned (set by planRead). */
  high?: number
  /** The partition's low watermark when the read was planned (set by planRead). */
  low?: number
  partition: number
  to?: number
  topic: string
}

/**
 * Turns topics + a start position into per-partition ranges. High watermarks are captured once,
 * here, so a bounded read stops exactly where the log was when the command started.
 */
export async function planRead(options: {
  follow: boolean
  from: StartPosition
  log: EventLog
  partitions?: number[]
  topics: string[]
  until?: number
}): Promise<PartitionRange[]> {
  checkRange(options.from, options.until)
  const ranges: PartitionRange[] = []
  for await (const [topic, marks] of watermarksInOrder(options.log, options.topics)) {
    const selected = options.partitions ? marks.filter((mark) => options.partitions!.includes(mark.partition)) : marks
    for (const wanted of options.partitions ?? []) {
      if (!marks.some((mark) => mark.partition === wanted)) {
        throw new UsageError(`topic '${topic}' has no partition ${wanted} (it has ${marks.length}: 0-${marks.length - 1})`, {code: 'PARTITION_NOT_FOUND'})
      }
    }

    const byTime =
      options.from.kind === 'time' ? new Map((await options.log.offsetsForTime(topic, options.from.timestamp)).map((o) => [o.partition, o.offset])) : undefined
    const untilOffsets =
      options.until === undefined ? undefined : new Map((await options.log.offsetsForTime(topic, options.until)).map((o) => [o.partition, o.offset]))

    for (const {high, low, partition} of selected) {
      const from = startOffset(options.from, {high, low}, byTime?.get(partition))
      const to = untilOffsets ? untilOffsets.get(partition)! : options.follow ? undefined : high
      ranges.push({from, high, low, partition, to, topic})
    }
  }

  return ranges
}

function startOffset(position: StartPosition, {high, low}: {high: number; low: number}, atTime: number | undefined): number {
  switch (position.kind) {
    case 'beginning': {
      return low
    }

    case 'end': {
      return high
    }

    case 'last': {
      return Math.max(low, high - position.count)
    }

    case 'offset': {
      return Math.min(Math.max(position.offset, low), high)
    }

    case 'time': {
      return atTime ?? high
    }
  }
}
