import {describe, expect, it} from 'vitest'

import {NotFoundError, UsageError} from '../../../src/lib/errors.js'
import type {Backend} from '../../../src/lib/backend.js'
import {parseStartPosition, parseTime} from '../../../src/lib/tail/start-position.js'
import {type DecodedRecord, tailRecords, type TailOptions} from '../../../src/lib/tail/tail-records.js'
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
