import {UsageError} from '../errors.js'

/** Where a read starts in each partition (`--from`). */
export type StartPosition =
  | {kind: 'beginning'}
  | {kind: 'end'}
  | {kind: 'offset'; offset: number}
  | {count: number; kind: 'last'}
  | {kind: 'time'; timestamp: number}

export const START_POSITION_FORMS = 'beginning, end, -N (the last N of each partition), an OFFSET, or a TIME (ISO-8601, a date, or -15m / -2h / -1d ago)'

const DURATION = /^(\d+)(ms|s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = {d: 86_400_000, h: 3_600_000, m: 60_000, ms: 1, s: 1000, w: 604_800_000}

/** Parses `--from`; `now` is injected so tests can fix the clock. */
export function parseStartPosition(text: string, now: number = Date.now()): StartPosition {
  const value = text.trim()
  if (value === 'beginning' || value === 'earliest' || value === 'oldest') return {kind: 'beginning'}
  if (value === 'end' || value === 'latest' || value === 'newest') return {kind: 'end'}
  if (/^-\d+$/.test(value)) return {count: Number(value.slice(1)), kind: 'last'}
  if (/^\d+$/.test(value)) return {kind: 'offset', offset: Number(value)}
  const timestamp = parseTime(value, now)
  if (timestamp !== undefined) return {kind: 'time', timestamp}
  throw new UsageError(`cannot read --from '${text}': expected ${START_POSITION_FORMS}`)
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
