import {describe, expect, it} from 'vitest'

import {NotFoundError, UsageError} from '../../../src/lib/errors.js'
import type {Backend} from '../../../src/lib/backend.js'
import {parseStartPosition, parseTime} from '../../../src/lib/tail/start-position.js'
import {type DecodedRecord, tailRecords, type TailOptions, topicsToRead} from '../../../src/lib/tail/tail-records.js'
import {compileWhere} from '../../../src/lib/tail/where-filter.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')

async function collect(iterable: AsyncIterable<DecodedRecord[]>): Promise<string[]> {
  const out: string[] = []
  for await (const batch of iterable) out.push(...batch.map((r) => `${r.record.topic}/${r.record.partition}@${r.record.offset}:${r.value?.value}`))
  return out
}

/** Two topics whose records interleave in time across partitions. */
async function seedTwoTopics(backend: Backend): Promise<void> {
  await backend.log.createTopic('a', {partitions: 2})
  await backend.log.createTopic('b', {partitions: 1})
  const at = (topic: string, partition: number, second: number) => ({key: null, partition, timestamp: T0 + second * 1000, topic, value: Buffer.from(`${topic}${second}`)})
  await backend.log.produce([at('a', 0, 1), at('a', 0, 4), at('a', 0, 7), at('a', 1, 2), at('a', 1, 5), at('b', 0, 3), at('b', 0, 6), at('b', 0, 8)])
}

describe('tailRecords', () => {
  const openBackend = useEmbeddedBackend()
  const tail = async (options: Partial<TailOptions>) => {
    const backend = await openBackend()
    await seedTwoTopics(backend)
    return collect(tailRecords({follow: false, from: {kind: 'beginning'}, ...backend, topics: ['a', 'b'], ...options}))
  }

  it('merges several topics and partitions into timestamp order', async () => {
    expect(await tail({})).toEqual(['a/0@0:a1', 'a/1@0:a2', 'b/0@0:b3', 'a/0@1:a4', 'a/1@1:a5', 'b/0@1:b6', 'a/0@2:a7', 'b/0@2:b8'])
  })

  it('honours --limit, --partition and --from -N (the last N of each partition)', async () => {
    expect(await tail({limit: 3})).toEqual(['a/0@0:a1', 'a/1@0:a2', 'b/0@0:b3'])
    expect(await tail({partitions: [1], topics: ['a']})).toEqual(['a/1@0:a2', 'a/1@1:a5'])
    expect(await tail({from: {count: 1, kind: 'last'}})).toEqual(['a/1@1:a5', 'a/0@2:a7', 'b/0@2:b8'])
  })

  it('starts at an offset, at a time, or at the end, and stops at --until', async () => {
    expect(await tail({from: {kind: 'offset', offset: 2}})).toEqual(['a/0@2:a7', 'b/0@2:b8'])
    expect(await tail({from: {kind: 'time', timestamp: T0 + 5500}})).toEqual(['b/0@1:b6', 'a/0@2:a7', 'b/0@2:b8'])
    expect(await tail({from: {kind: 'end'}})).toEqual([])
    expect(await tail({until: T0 + 3000})).toEqual(['a/0@0:a1', 'a/1@0:a2'])
    expect(await tail({from: {kind: 'time', timestamp: T0 + 86_400_000}})).toEqual([])
  })

  it('stops at the watermarks captured at start, and with --follow also shows what arrives later', async () => {
    const backend = await openBackend()
    await seedTwoTopics(backend)
    const controller = new AbortController()
    const seen: string[] = []
    const reading = (async () => {
      for await (const batch of tailRecords({...backend, follow: true, from: {kind: 'last', count: 1}, signal: controller.signal, topics: ['b']})) {
        seen.push(...batch.map((r) => String(r.value?.value)))
        if (seen.length === 2) controller.abort()
      }
    })()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await backend.log.produce([{key: null, partition: 0, topic: 'b', value: Buffer.from('live')}])
    await reading
    expect(seen).toEqual(['b8', 'live'])
  })

  it('names the existing topics when one is unknown, and a missing partition', async () => {
    await expect(tail({topics: ['a', 'nope']})).rejects.toThrow(NotFoundError)
    await expect(tail({topics: ['a', 'nope']})).rejects.toMatchObject({available: ['a', 'b']})
    await expect(tail({partitions: [5], topics: ['a']})).rejects.toThrow(/topic 'a' has no partition 5/)
  })
})

describe('--where and --pattern', () => {
  const openBackend = useEmbeddedBackend()

  it('filters on key, value fields, headers, partition, offset and timestamp (JSONata)', async () => {
    const backend = await openBackend()
    await backend.log.createTopic('w', {partitions: 2})
    await backend.log.produce([
      {headers: {ce_type: Buffer.from('A')}, key: Buffer.from('k1'), partition: 0, timestamp: T0, topic: 'w', value: Buffer.from('{"total":50}')},
      {headers: {ce_type: Buffer.from('B')}, key: Buffer.from('k2'), partition: 1, timestamp: T0 + 1, topic: 'w', value: Buffer.from('{"total":150}')},
      {headers: {ce_type: Buffer.from('A')}, key: Buffer.from('k3'), partition: 1, timestamp: T0 + 2, topic: 'w', value: Buffer.from('{"total":250}')},
    ])
    const keys = async (expression: string) => {
      const out: string[] = []
      for await (const batch of tailRecords({...backend, follow: false, from: {kind: 'beginning'}, topics: ['w'], where: await compileWhere(expression)})) {
        out.push(...batch.map((r) => String(r.key?.value)))
      }

      return out
    }

    expect(await keys('value.total > 100')).toEqual(['k2', 'k3'])
    expect(await keys("headers.ce_type = 'A' and partition = 1")).toEqual(['k3'])
    expect(await keys("key = 'k1' or offset = 1")).toEqual(['k1', 'k3'])
    expect(await keys(`timestamp >= ${T0 + 1}`)).toEqual(['k2', 'k3'])
  })

  it('never decodes a value for an expression on headers alone', async () => {
    const where = await compileWhere("headers.ce_type = 'A'")
    let decodes = 0
    const record = {headers: {ce_type: Buffer.from('A')}, key: null, offset: 0, partition: 0, timestamp: T0, topic: 't', value: Buffer.from('x')}
    const decodeValue = () => {
      decodes++
      return null
    }

    expect(await where({decodeKey: () => null, decodeValue, record})).toBe(true)
    expect(decodes).toBe(0)
    expect(await (await compileWhere('value = null'))({decodeKey: () => null, decodeValue, record})).toBe(true)
    expect(decodes).toBe(1)
  })

  it('refuses an expression that does not parse, with the position', async () => {
    await expect(compileWhere('value.total >> 3')).rejects.toThrow(/cannot parse --where at character 14 \(near '>'\)/)
  })

  it('adds the topics matching --pattern', async () => {
    const backend = await openBackend()
    await seedTwoTopics(backend)
    expect(await topicsToRead(backend.log, [], '^(a|b)$')).toEqual(['a', 'b'])
    expect(await topicsToRead(backend.log, ['a'], '^b')).toEqual(['a', 'b'])
    await expect(topicsToRead(backend.log, [], '^zzz')).rejects.toThrow(/no topic matches --pattern/)
    await expect(topicsToRead(backend.log, [], '(')).rejects.toThrow(/cannot read --pattern/)
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
