import {describe, expect, it} from 'vitest'

import {resolveConfig} from '../../../src/lib/config/resolve.js'
import {UsageError} from '../../../src/lib/errors.js'
import type {LogRecord} from '../../../src/lib/log/event-log.js'
import {explainEmptyRead} from '../../../src/lib/read/read-summary.js'
import {checkRange, parseStartPosition, parseUntil} from '../../../src/lib/read/start-position.js'
import {compileWhere} from '../../../src/lib/read/where-filter.js'

const MS = 1_767_600_000_000

describe('--from and --until: epoch milliseconds', () => {
  it('reads kcat s@<ms> and a bare 13-digit number as times, a shorter number as an offset', () => {
    expect(parseStartPosition(`s@${MS}`)).toEqual({kind: 'time', timestamp: MS})
    expect(parseStartPosition(String(MS))).toEqual({kind: 'time', timestamp: MS})
    expect(parseStartPosition('123456789012')).toEqual({kind: 'offset', offset: 123_456_789_012})
    expect(() => parseStartPosition(`e@${MS}`)).toThrow(/e@ marks an end/)
  })

  it('reads --until as e@<ms>, a 13-digit number or a time, and refuses s@ and garbage', () => {
    expect(parseUntil(`e@${MS}`)).toBe(MS)
    expect(parseUntil(String(MS))).toBe(MS)
    expect(parseUntil('2026-01-05T09:00:00Z')).toBe(Date.parse('2026-01-05T09:00:00Z'))
    expect(() => parseUntil(`s@${MS}`)).toThrow(UsageError)
    expect(() => parseUntil('soon')).toThrow(/cannot read --until 'soon'/)
  })

  it('refuses a --from time at or after --until, and leaves offsets to the read', () => {
    expect(() => checkRange({kind: 'time', timestamp: MS + 1}, MS)).toThrow(/--from .* is not before --until/)
    expect(() => checkRange({kind: 'time', timestamp: MS}, MS)).toThrow(UsageError)
    expect(() => checkRange({kind: 'time', timestamp: MS - 1}, MS)).not.toThrow()
    expect(() => checkRange({kind: 'offset', offset: 5}, MS)).not.toThrow()
  })
})

describe('--where sees what --json prints', () => {
  const record: LogRecord = {headers: [['ce_type', Buffer.from('OrderRejected')]], key: null, offset: 0, partition: 0, timestamp: MS, topic: 't', value: Buffer.from('{}')}

  it('filters on type from the ce_type header without decoding, else from the schema record name', async () => {
    let decodes = 0
    const decodeValue = () => {
      decodes++
      return {encoding: 'avro' as const, schema: {id: 1, subject: 't-value', version: 1}, type: 'shop.OrderPlaced', value: {}}
    }

    expect(await (await compileWhere("type = 'OrderRejected'"))([{decodeKey: () => null, decodeValue, record}])).toEqual([true])
    expect(decodes).toBe(0)
    const bare = {...record, headers: []}
    expect(await (await compileWhere("type = 'OrderPlaced' and valueEncoding = 'avro' and schema.subject = 't-value'"))([{decodeKey: () => null, decodeValue, record: bare}])).toEqual([true])
    expect(await (await compileWhere("type = 'OrderRejected'"))([{decodeKey: () => null, decodeValue, record: bare}])).toEqual([false])
  })
})

describe('an empty answer explains itself', () => {
  const base = {data: {newest: MS + 86_400_000, oldest: MS}, from: {kind: 'beginning'} as const, partitions: 6, scannedSpan: null, topics: ['orders'], total: 1_642_859, where: true}

  it('says how many records --where saw, and the span of the data', () => {
    expect(explainEmptyRead({...base, scanned: 1_642_859, scannedSpan: base.data})).toBe(
      '0 of 1,642,859 records in orders (6 partitions) matched --where; the data spans 2026-01-05T08:00:00.000Z … 2026-01-06T08:00:00.000Z',
    )
  })

  it('says which bound lies outside the data, or that the topic is empty', () => {
    expect(explainEmptyRead({...base, from: {kind: 'time', timestamp: MS + 2 * 86_400_000}, scanned: 0, where: false})).toMatch(/^0 of 1,642,859 records in orders \(6 partitions\) are in the range read: --from 2026-01-07T08:00:00.000Z is after the newest record; the data spans/)
    expect(explainEmptyRead({...base, scanned: 0, until: MS - 1, where: false})).toMatch(/--until .* is at or before the oldest record/)
    expect(explainEmptyRead({...base, data: null, partitions: 1, scanned: 0, total: 0})).toBe('0 records matched: orders (1 partition) is empty')
  })
})

describe('choosing a cluster twice', () => {
  it('is a usage error on the command line and in the environment, not a silent preference', () => {
    const cwd = process.cwd()
    expect(() => resolveConfig({cwd, env: {}, overrides: {brokers: '127.0.0.1:9092', cluster: 'local'}})).toThrow(/--cluster local conflicts with --brokers 127.0.0.1:9092/)
    expect(() => resolveConfig({cwd, env: {EVT_BROKERS: '127.0.0.1:9092', EVT_CLUSTER: 'local'}, overrides: {}})).toThrow(UsageError)
    // A flag decides over the environment: that is layering, not a conflict.
    expect(resolveConfig({cwd, env: {EVT_CLUSTER: 'nope'}, overrides: {brokers: '127.0.0.1:9092'}}).cluster.kind).toBe('kafka')
  })
})
