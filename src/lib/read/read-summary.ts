import type {EventLog, LogRecord} from '../log/event-log.js'
import type {PartitionRange} from './read-plan.js'
import {isoTimeText} from '../util/time.js'
import type {StartPosition} from './start-position.js'

/** Counts the records a read went through, and the span of their timestamps. */
export class ScanTally {
  newest?: number
  oldest?: number
  scanned = 0

  count(records: LogRecord[]): void {
    this.scanned += records.length
    for (const {timestamp} of records) {
      if (this.oldest === undefined || timestamp < this.oldest) this.oldest = timestamp
      if (this.newest === undefined || timestamp > this.newest) this.newest = timestamp
    }
  }
}

export interface TimeSpan {
  newest: number
  oldest: number
}

/** What a bounded read that found nothing went through, so that the empty answer can explain itself. */
export interface EmptyReadSummary {
  /** The span of the selected partitions' data (their first and last records); null when they are empty. */
  data: null | TimeSpan
  from: StartPosition
  partitions: number
  /** Records the range read held (between --from and --until), before --where. */
  scanned: number
  /** The span of the records read; null when none was. */
  scannedSpan: null | TimeSpan
  topics: string[]
  /** Records in the selected partitions, low to high watermark at start. */
  total: number
  until?: number
  where: boolean
}

/**
 * The summary of a read that matched nothing. The data's span comes from the first and last record
 * of each selected partition (two short reads each), so it is only asked for when the answer is empty.
 */
export async function summarizeEmptyRead(options: {
  from: StartPosition
  log: EventLog
  ranges: PartitionRange[]
  signal?: AbortSignal
  tally: ScanTally
  topics: string[]
  until?: number
  where: boolean
}): Promise<EmptyReadSummary> {
  const {log, ranges, signal, tally} = options
  const data = new ScanTally()
  let total = 0
  for (const {high, low, partition, topic} of ranges) {
    if (low === undefined || high === undefined || high <= low) continue
    total += high - low
    for (const at of new Set([low, high - 1])) {
      for await (const batch of log.read({from: at, partition, signal, to: at + 1, topic})) data.count(batch)
    }
  }

  const span = (t: ScanTally): null | TimeSpan => (t.oldest === undefined ? null : {newest: t.newest!, oldest: t.oldest})
  return {
    data: span(data),
    from: options.from,
    partitions: ranges.length,
    scanned: tally.scanned,
    scannedSpan: span(tally),
    topics: options.topics,
    total,
    until: options.until,
    where: options.where,
  }
}

const count = (n: number) => n.toLocaleString('en-US')
const time = isoTimeText
const spans = (span: TimeSpan) => `${time(span.oldest)} … ${time(span.newest)}`

/** One line saying why a bounded read printed nothing: what was scanned, and the time range of the data. */
export function explainEmptyRead(summary: EmptyReadSummary): string {
  const {data, from, scanned, scannedSpan, total, until} = summary
  const where = `${summary.topics.join(', ')} (${summary.partitions} partition${summary.partitions === 1 ? '' : 's'})`
  if (total === 0 || data === null) return `0 records matched: ${where} ${summary.topics.length === 1 && summary.partitions === 1 ? 'is' : 'are'} empty`
  if (scanned > 0) {
    const read = scanned === total ? `0 of ${count(scanned)} records in ${where} matched` : `0 of ${count(scanned)} records read (of ${count(total)} in ${where}) matched`
    return `${read}${summary.where ? ' --where' : ''}; ${scanned === total || !scannedSpan ? '' : `those read span ${spans(scannedSpan)}, `}the data spans ${spans(data)}`
  }

  let why = 'the range read holds none of them'
  if (from.kind === 'end') why = '--from end starts after the newest record (add --follow to wait for new ones)'
  else if (from.kind === 'time' && from.timestamp > data.newest) why = `--from ${time(from.timestamp)} is after the newest record`
  else if (until !== undefined && until <= data.oldest) why = `--until ${time(until)} is at or before the oldest record`
  else if (from.kind === 'offset') why = `--from offset ${from.offset} is at or after the end of every partition read`
  return `0 of ${count(total)} records in ${where} are in the range read: ${why}; the data spans ${spans(data)}`
}
