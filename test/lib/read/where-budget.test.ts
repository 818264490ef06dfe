import fc from 'fast-check'
import jsonata from 'jsonata'
import {describe, expect, it} from 'vitest'

import {EvtError} from '../../../src/lib/errors.js'
import type {LogRecord} from '../../../src/lib/log/event-log.js'
import {compileWhere, type WhereInput} from '../../../src/lib/read/where-filter.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const RECURSION = '($f := function($x){$f($x)}; $f(1))'
const CATASTROPHIC_REGEX = '$contains(value.s, /^(a+)+$/)'
const HUGE_RANGE = '$count([1..10000000]) > 0'
const BUDGET = {recordMs: 300}

function input(offset: number, value: unknown, headers: LogRecord['headers'] = []): WhereInput & {decodes: number} {
  const record: LogRecord = {headers, key: Buffer.from(`k${offset}`), offset, partition: 0, timestamp: T0 + offset, topic: 't', value: Buffer.from(JSON.stringify(value))}
  const counted = {
    decodeKey: () => ({encoding: 'json' as const, schema: null, value: `k${offset}`}),
    decodes: 0,
    decodeValue: () => {
      counted.decodes++
      return {encoding: 'json' as const, schema: null, value}
    },
    record,
  }
  return counted
}

/** Runs `expression` over `inputs` and returns the error it ends with and how long it took. */
async function failureOf(expression: string, inputs: WhereInput[], signal?: AbortSignal): Promise<{error: unknown; ms: number}> {
  const where = await compileWhere(expression, BUDGET)
  const started = performance.now()
  const error = await where(inputs, signal).then(
    () => undefined,
    (error_: unknown) => error_,
  )
  return {error, ms: performance.now() - started}
}

describe('--where budgets', () => {
  const benign = Array.from({length: 5}, (_, offset) => input(offset, {s: 'b', total: offset}))
  const longAs = input(5, {s: `${'a'.repeat(40)}!`})

  it.each([
    ['a recursion that never ends', RECURSION, /took longer than 300 ms/],
    ['a regex that backtracks for ever', CATASTROPHIC_REGEX, /took longer than 300 ms/],
    ['a range of ten million items', HUGE_RANGE, /sequence of 10000000 items/],
    // 10,000 levels take ~100 ms; on a loaded machine the 300 ms budget may stop it first. Either stop is the budget's.
    ['a recursion that grows', '($f := function($x){1 + $f($x)}; $f(1))', /nests deeper than 10000|took longer than 300 ms/],
    ['a string that grows', '$length($pad("", 50000000, "x")) > 0', /string of 50000000 characters/],
  ])('stops %s, naming the expression and the record', async (_, expression, why) => {
    const {error, ms} = await failureOf(expression, [...benign, longAs])
    expect(error).toBeInstanceOf(EvtError)
    const {code, data, message} = error as EvtError
    expect(code).toBe('WHERE_BUDGET_EXCEEDED')
    expect(message).toContain(JSON.stringify(expression))
    expect(message).toMatch(why)
    // The first record it runs on is the one named, except the regex, which only a long string of a's trips.
    const offset = expression === CATASTROPHIC_REGEX ? 5 : 0
    expect(message).toContain(`t[0]@${offset}`)
    expect(data).toMatchObject({expression, offset, partition: 0, topic: 't'})
    expect(ms).toBeLessThan(3000)
  })

  it.each([
    ['on this thread', ''],
    ['in the worker a regex runs in', "$contains(topic, /t/) and "],
  ])('stops on the memory budget when no step limit catches the growth (%s)', async (_, regex) => {
    // Each step builds 900k items (under the limit), and the objects keep them all.
    const where = await compileWhere(`${regex}$count($map([1..40], function($i){ {"items": [1..900000]} })) > 0`, {memoryMb: 64, recordMs: 20_000})
    const error = await where([benign[0]]).catch((error_: unknown) => error_)
    expect(error).toMatchObject({code: 'WHERE_BUDGET_EXCEEDED', message: expect.stringMatching(/on t\[0\]@0: it ran out of its 64 MB of memory/)})
  })

  it.each([
    ['recursion', RECURSION],
    ['regex', CATASTROPHIC_REGEX],
  ])('ends within 1 s of a signal, mid-expression (%s)', async (_, expression) => {
    const where = await compileWhere(expression, {recordMs: 60_000})
    const controller = new AbortController()
    const evaluating = where([longAs], controller.signal)
    // Long enough for the worker to start and be deep in the expression.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const aborted = performance.now()
    controller.abort()
    expect(await evaluating).toEqual([false])
    expect(performance.now() - aborted).toBeLessThan(1000)
  })

  it('still answers after a batch was stopped by a signal', async () => {
    const where = await compileWhere('value.total >= 2')
    const controller = new AbortController()
    controller.abort()
    expect(await where(benign, controller.signal)).toEqual([false, false, false, false, false])
    expect(await where(benign)).toEqual([false, false, true, true, true])
  })

  it('a type error in the expression stays a usage error naming the record', async () => {
    const {error} = await failureOf('value.s + 1', benign)
    expect(error).toMatchObject({code: 'USAGE', message: expect.stringMatching(/^--where failed on t\[0\]@0: /)})
  })
})

// Each test runs on this thread, and in the worker that an expression with a regex runs in.
const IN_WORKER = [[''], ['$contains(topic, /^t$/) and ']]

describe.each(IN_WORKER)('--where (%s) decodes only what it reads', (regex) => {
  it('never decodes a value for headers, offsets and timestamps', async () => {
    const inputs = Array.from({length: 50}, (_, offset) => input(offset, {total: offset}, [['ce_type', Buffer.from(offset % 2 ? 'A' : 'B')]]))
    const where = await compileWhere(`${regex}headers.ce_type = 'A' and offset > 10 and timestamp > 0 and type = 'A'`)
    const passes = await where(inputs)
    expect(passes.filter(Boolean)).toHaveLength(20)
    expect(inputs.map((i) => i.decodes)).toEqual(inputs.map(() => 0))
  })

  it('decodes a value only once an expression reads it', async () => {
    // `or` stops at the header for records 0..9; record 10 is the first whose value is read.
    const inputs = Array.from({length: 20}, (_, offset) => input(offset, {total: offset}, offset < 10 ? [['ce_type', Buffer.from('A')]] : []))
    const where = await compileWhere(`${regex}(headers.ce_type = 'A' or value.total > 15)`)
    expect(await where(inputs)).toEqual(inputs.map((_, offset) => offset < 10 || offset > 15))
    expect(inputs.slice(0, 10).every((i) => i.decodes === 0)).toBe(true)
    expect(inputs.slice(10).every((i) => i.decodes === 1)).toBe(true)
  })

  it('answers as JSONata does on the whole record, for any mix of fields (fast-check)', async () => {
    const comparison = fc.oneof(
      fc.integer({max: 20, min: 0}).map((n) => `offset > ${n}`),
      fc.integer({max: 20, min: 0}).map((n) => `value.total < ${n}`),
      fc.constantFrom("headers.ce_type = 'A'", '$contains(headers.ce_type, /a/i)', "$match(key, /k(\\d)/).groups[0] = '3'", "key = 'k3'", "type = 'B'", 'value = null', '$count($keys($)) = 10', "$contains($string(value), '1')", 'partition = 0'),
    )
    const expression = fc.array(comparison, {maxLength: 4, minLength: 1}).chain((parts) => fc.constantFrom('and', 'or').map((op) => parts.join(` ${op} `)))
    await fc.assert(
      fc.asyncProperty(expression, async (source) => {
        const inputs = Array.from({length: 20}, (_, offset) => input(offset, offset % 7 === 0 ? null : {total: offset}, offset % 3 ? [['ce_type', Buffer.from(offset % 2 ? 'A' : 'B')]] : []))
        const expected = await Promise.all(
          inputs.map(async ({decodeKey, decodeValue, record}) => {
            const value = decodeValue()?.value
            const type = record.headers.length > 0 ? record.headers[0][1]!.toString() : null
            const view = {headers: Object.fromEntries(record.headers.map(([name, bytes]) => [name, bytes!.toString()])), key: decodeKey()?.value, offset: record.offset, partition: 0, schema: null, timestamp: record.timestamp, topic: 't', type, value, valueEncoding: 'json'}
            return Boolean(await jsonata(`${regex}(${source})`).evaluate(view))
          }),
        )
        expect(await (await compileWhere(`${regex}(${source})`))(inputs)).toEqual(expected)
      }),
      {numRuns: 25, seed: 15},
    )
  })
})
