import {positionOf, type RecordPosition} from '../log/event-log.js'

/**
 * Kafka timestamps are any int64; a JavaScript Date holds only ±8.64e15 ms (about ±275,000 years),
 * and `toISOString()` throws "Invalid time value" beyond. Every time evt shows goes through here,
 * so one record with such a timestamp cannot stop a read.
 */
const MAX_DATE_MS = 8.64e15
// One Date for every call: a rebuild formats one time per row.
const clock = new Date(0)

export function isRepresentableTime(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS
}

const DAY_MS = 86_400_000
/** The day isoTime formatted last, and its text up to the time ("2026-01-05T"). */
let cachedDay = Number.NaN
let cachedDate = ''

const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n))

/** ISO-8601 for a time a Date can hold; else the number itself (what a JSON field carries). */
export function isoTime(ms: number): number | string {
  if (!isRepresentableTime(ms)) return ms
  if (!Number.isInteger(ms)) {
    clock.setTime(ms)
    return clock.toISOString()
  }

  // A read goes through records in time order, most on the same day as the one before: the date
  // is formatted once per day, the time by arithmetic (toISOString was a tenth of a tail's time).
  const day = Math.floor(ms / DAY_MS)
  if (day !== cachedDay) {
    clock.setTime(day * DAY_MS)
    cachedDate = clock.toISOString().slice(0, -13)
    cachedDay = day
  }

  const inDay = ms - day * DAY_MS
  const millis = inDay % 1000
  const seconds = Math.floor(inDay / 1000)
  return `${cachedDate}${twoDigits(Math.floor(seconds / 3600))}:${twoDigits(Math.floor(seconds / 60) % 60)}:${twoDigits(seconds % 60)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
}

/** ISO-8601 for a time a Date can hold; else its digits (what a line of text shows). */
export function isoTimeText(ms: number): string {
  return String(isoTime(ms))
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for the pretty formats; else the digits. */
export function prettyTime(ms: number): string {
  const iso = isoTime(ms)
  return typeof iso === 'string' ? iso.replace('T', ' ').replace('Z', '') : String(iso)
}

type TimedPosition = RecordPosition & {timestamp: number}

/**
 * One warning per read, naming the first record whose timestamp no date can show: a log full of
 * them is reported once, not once per record.
 */
export function unrepresentableTimeWarning(warn: ((message: string) => void) | undefined): (record: TimedPosition) => void {
  let warned = false
  return (record) => {
    if (warned || isRepresentableTime(record.timestamp)) return
    warned = true
    warn?.(
      `${positionOf(record)} has timestamp ${record.timestamp}, beyond the dates a JavaScript Date can hold: ` +
        'given as the number of milliseconds instead (so are any further such records)',
    )
  }
}
