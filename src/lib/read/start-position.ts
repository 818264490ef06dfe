import {UsageError} from '../errors.js'
import {isoTimeText} from '../util/time.js'

/** Where a read starts in each partition (`--from`). */
export type StartPosition =
  | {kind: 'beginning'}
  | {kind: 'end'}
  | {kind: 'offset'; offset: number}
  | {count: number; kind: 'last'}
  | {kind: 'time'; timestamp: number}

export const START_POSITION_FORMS =
  'beginning, end, -N (the last N of each partition), an OFFSET, or a TIME (ISO-8601, a date, -15m / -2h / -1d ago, or epoch milliseconds as s@1767600000000 or a bare 13-digit number)'

/** What `--until` accepts. */
export const UNTIL_FORMS = 'a TIME: ISO-8601, YYYY-MM-DD, now, -15m / -2h / -1d ago, or epoch milliseconds as e@1767600000000 or a bare 13-digit number'

/**
 * Epoch milliseconds: kcat's `s@<ms>` (a start) or `e@<ms>` (an end), or a bare 13-digit number.
 * 13 digits cover 2001-09-09 to 2286; no partition reaches an offset that large, so a bare number of
 * that length is a time and a shorter one an offset.
 */
const EPOCH_MS = /^\d{13}$/
const KCAT_MS = /^([se])@(\d+)$/

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = {d: 86_400_000, h: 3_600_000, m: 60_000, ms: 1, s: 1000, w: 604_800_000}

/** Parses `--from`; `now` is injected so tests can fix the clock. */
export function parseStartPosition(text: string, now: number = Date.now()): StartPosition {
  const value = text.trim()
  if (value === 'beginning' || value === 'earliest' || value === 'oldest') return {kind: 'beginning'}
  if (value === 'end' || value === 'latest' || value === 'newest') return {kind: 'end'}
  if (/^-\d+$/.test(value)) return {count: Number(value.slice(1)), kind: 'last'}
  const kcat = KCAT_MS.exec(value)
  if (kcat?.[1] === 'e') throw new UsageError(`cannot read --from '${text}': e@ marks an end`, {hint: `start at that time with --from s@${kcat[2]}, or stop there with --until e@${kcat[2]}`})
  if (kcat) return {kind: 'time', timestamp: Number(kcat[2])}
  if (EPOCH_MS.test(value)) return {kind: 'time', timestamp: Number(value)}
  if (/^\d+$/.test(value)) return {kind: 'offset', offset: Number(value)}
  const timestamp = parseTime(value, now)
  if (timestamp !== undefined) return {kind: 'time', timestamp}
  throw new UsageError(`cannot read --from '${text}': expected ${START_POSITION_FORMS}`)
}

/** Parses `--until`: a time, kcat's `e@<ms>`, or a bare 13-digit epoch-milliseconds number. */
export function parseUntil(text: string, now: number = Date.now()): number {
  const value = text.trim()
  const kcat = KCAT_MS.exec(value)
  if (kcat?.[1] === 's') throw new UsageError(`cannot read --until '${text}': s@ marks a start`, {hint: `stop at that time with --until e@${kcat[2]}, or start there with --from s@${kcat[2]}`})
  if (kcat) return Number(kcat[2])
  if (EPOCH_MS.test(value)) return Number(value)
  const time = parseTime(value, now)
  if (time === undefined) throw new UsageError(`cannot read --until '${text}': expected ${UNTIL_FORMS}`)
  return time
}

/**
 * A range that cannot hold a record: `--from` at or after `--until`. Only a start given as a time
 * can be compared; an offset or -N is checked against the data by the read itself.
 */
export function checkRange(from: StartPosition | undefined, until: number | undefined): void {
  if (from?.kind !== 'time' || until === undefined || from.timestamp < until) return
  throw new UsageError(`--from ${isoTimeText(from.timestamp)} is not before --until ${isoTimeText(until)}: the range holds no record`, {
    hint: 'give a --from earlier than --until',
  })
}

/** A point in time: ISO-8601, a date (YYYY-MM-DD), `now`, or relative to now (`-15m`, `-2h`, `-1d`). */
export function parseTime(text: string, now: number = Date.now()): number | undefined {
  const value = text.trim()
  if (value === 'now') return now
  const ago = value.startsWith('-') ? parseDuration(value.slice(1)) : undefined
  if (ago !== undefined) return now - ago
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const parsed = Date.parse(value)
    if (!Number.isNaN(parsed)) return parsed
  }

  return undefined
}

/** A duration such as `500ms`, `15m`, `2h`, `1d` or `1w`, in milliseconds; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  return match ? Number(match[1]) * UNIT_MS[match[2]] : undefined
}
