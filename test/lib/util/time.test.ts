import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {isoTime, isoTimeText, prettyTime, unrepresentableTimeWarning} from '../../../src/lib/util/time.js'

const LIMIT = 8_640_000_000_000_000

describe('times that a Date may not hold', () => {
  it('any whole-number timestamp gives ISO text that parses back to it, or the number itself; never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer({max: LIMIT + 10, min: LIMIT - 10}), fc.integer({max: -LIMIT + 10, min: -LIMIT - 10})), (ms) => {
        const iso = isoTime(ms)
        if (Math.abs(ms) <= LIMIT) {
          expect(typeof iso).toBe('string')
          expect(Date.parse(iso as string)).toBe(ms)
        } else {
          expect(iso).toBe(ms)
          expect(isoTimeText(ms)).toBe(String(ms))
          expect(prettyTime(ms)).toBe(String(ms))
        }
      }),
      {seed: 15},
    )
  })

  it('shows the edges and the pretty form', () => {
    expect(isoTime(LIMIT)).toBe('+275760-09-13T00:00:00.000Z')
    expect(isoTime(LIMIT + 1)).toBe(LIMIT + 1)
    expect(isoTime(-5)).toBe('1969-12-31T23:59:59.995Z')
    expect(prettyTime(0)).toBe('1970-01-01 00:00:00.000')
    expect(isoTime(Number.NaN)).toBeNaN()
  })

  it('warns once per read, naming the first such record', () => {
    const warnings: string[] = []
    const warn = unrepresentableTimeWarning((message) => warnings.push(message))
    warn({offset: 0, partition: 0, timestamp: 1, topic: 't'})
    warn({offset: 7, partition: 2, timestamp: LIMIT + 1, topic: 't'})
    warn({offset: 8, partition: 2, timestamp: -LIMIT - 1, topic: 't'})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^t\[2\]@7 has timestamp 8640000000000001, /)
  })
})

describe('isoTime formats the date once per second', () => {
  it('gives what toISOString gives, in order and out of order, before 1970, at the ends of a Date and at the edges of a second', () => {
    const base = Date.parse('2026-01-05T09:00:11.000Z')
    const times = [base, base + 1, base + 9, base + 10, base + 99, base + 100, base + 999, base + 1000, base - 1, -1, -999, -1000, -1001, 0, 8.64e15, -8.64e15, 253_402_300_800_000, -62_198_755_200_001]
    for (let i = 0; i < 10_000; i++) times.push(Math.floor((Math.random() - 0.5) * 1.7e16))
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString())
  })
})
