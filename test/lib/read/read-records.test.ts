import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/lib/errors.js'
import type {LogRecord} from '../../../src/lib/log/event-log.js'
import {parseStartPosition, parseTime} from '../../../src/lib/read/start-position.js'
import {compileWhere} from '../../../src/lib/read/where-filter.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')

describe('--where', () => {
  it('never decodes a value for an expression on headers alone', async () => {
    const where = await compileWhere("headers.ce_type = 'A'")
    let decodes = 0
    const record: LogRecord = {headers: [['ce_type', Buffer.from('A')]], key: null, offset: 0, partition: 0, timestamp: T0, topic: 't', value: Buffer.from('x')}
    const decodeValue = () => {
      decodes++
      return null
    }

    expect(await where([{decodeKey: () => null, decodeValue, record}])).toEqual([true])
    expect(decodes).toBe(0)
    expect(await (await compileWhere('value = null'))([{decodeKey: () => null, decodeValue, record}])).toEqual([true])
    expect(decodes).toBe(1)
  })

  it('sees headers and keys in the shape tail --json prints: repeats as arrays, null, {base64} for bytes', async () => {
    const record: LogRecord = {
      headers: [
        ['ce_type', Buffer.from('A')],
        ['trace', Buffer.from('t1')],
        ['ce_type', Buffer.from('B')],
        ['gone', null],
        ['raw', Buffer.from([0xff, 0xfe])],
        ['empty', Buffer.alloc(0)],
      ],
      key: Buffer.from([0xff, 0xfe]),
      offset: 0,
      partition: 0,
      timestamp: T0,
      topic: 't',
      value: null,
    }
    const binaryKey = {encoding: 'base64' as const, schema: null, value: '//4='}
    const matches = async (expression: string) => (await (await compileWhere(expression))([{decodeKey: () => binaryKey, decodeValue: () => null, record}]))[0]
    expect(await matches("headers.ce_type = ['A', 'B']")).toBe(true)
    expect(await matches("'B' in headers.ce_type")).toBe(true)
    expect(await matches("headers.ce_type[-1] = 'B'")).toBe(true)
    expect(await matches("headers.trace = 't1'")).toBe(true)
    expect(await matches('headers.gone = null')).toBe(true)
    expect(await matches("$exists(headers.missing)")).toBe(false)
    expect(await matches("headers.raw.base64 = '//4='")).toBe(true)
    expect(await matches("headers.empty = ''")).toBe(true)
    expect(await matches("key.base64 = '//4='")).toBe(true)
    expect(await matches("key = '//4='")).toBe(false)
  })

  it('refuses an expression that does not parse, with the position', async () => {
    await expect(compileWhere('value.total >> 3')).rejects.toThrow(/cannot parse --where at character 14 \(near '>'\)/)
  })
})

describe('--from and --until parsing', () => {
  const now = Date.parse('2026-03-01T12:00:00Z')

  it.each([
    ['beginning', {kind: 'beginning'}],
    ['end', {kind: 'end'}],
    ['-10', {count: 10, kind: 'last'}],
    ['42', {kind: 'offset', offset: 42}],
    ['2026-03-01T11:00:00Z', {kind: 'time', timestamp: now - 3_600_000}],
    ['2026-03-01', {kind: 'time', timestamp: Date.parse('2026-03-01')}],
    ['-15m', {kind: 'time', timestamp: now - 900_000}],
    ['-2h', {kind: 'time', timestamp: now - 7_200_000}],
    ['-1d', {kind: 'time', timestamp: now - 86_400_000}],
  ])('reads %s', (text, expected) => {
    expect(parseStartPosition(text, now)).toEqual(expected)
  })

  it('rejects anything else, listing the accepted forms', () => {
    expect(() => parseStartPosition('yesterday', now)).toThrow(UsageError)
    expect(() => parseStartPosition('yesterday', now)).toThrow(/beginning, end, -N .*OFFSET.*TIME/)
    expect(parseTime('now', now)).toBe(now)
    expect(parseTime('2026-13-45', now)).toBeUndefined()
  })
})
