import {randomUUID} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Backend} from '../../src/lib/backend.js'
import {NotFoundError} from '../../src/lib/errors.js'
import {type DecodedRecord, tailRecords, type TailOptions, topicsToRead} from '../../src/lib/read/read-records.js'
import {compileWhere} from '../../src/lib/read/where-filter.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')

/** Tail behaviour every backend must show: start positions, --until, merge order, --where, --pattern, --follow. */
export function tailContract(name: string, open: () => Promise<Backend>): void {
  describe(`tail contract: ${name}`, () => {
    let backend: Backend
    beforeAll(async () => {
      backend = await open()
    })
    afterAll(async () => {
      await backend?.close()
    })

    /** Two fresh topics `<p>a` (2 partitions) and `<p>b` (1) whose records interleave in time. */
    const seedTwoTopics = async (): Promise<string> => {
      const prefix = `tail${randomUUID().slice(0, 6)}-`
      await backend.log.createTopic(`${prefix}a`, {partitions: 2, retainForever: true})
      await backend.log.createTopic(`${prefix}b`, {partitions: 1, retainForever: true})
      const at = (topic: string, partition: number, second: number) => ({key: null, partition, timestamp: T0 + second * 1000, topic: `${prefix}${topic}`, value: Buffer.from(`${topic}${second}`)})
      await backend.log.produce([at('a', 0, 1), at('a', 0, 4), at('a', 0, 7), at('a', 1, 2), at('a', 1, 5), at('b', 0, 3), at('b', 0, 6), at('b', 0, 8)])
      return prefix
    }

    const collect = async (prefix: string, iterable: AsyncIterable<DecodedRecord[]>) => {
      const out: string[] = []
      for await (const batch of iterable) out.push(...batch.map((r) => `${r.record.topic.slice(prefix.length)}/${r.record.partition}@${r.record.offset}:${r.value?.value}`))
      return out
    }

    const tail = async (options: Partial<TailOptions> & {names?: string[]} = {}) => {
      const prefix = await seedTwoTopics()
      const topics = (options.names ?? ['a', 'b']).map((topic) => `${prefix}${topic}`)
      return collect(prefix, tailRecords({follow: false, from: {kind: 'beginning'}, ...backend, topics, ...options}))
    }

    it('merges several topics and partitions into timestamp order', async () => {
      expect(await tail()).toEqual(['a/0@0:a1', 'a/1@0:a2', 'b/0@0:b3', 'a/0@1:a4', 'a/1@1:a5', 'b/0@1:b6', 'a/0@2:a7', 'b/0@2:b8'])
    })

    it('honours --limit, --partition and --from -N (the last N of each partition)', async () => {
      expect(await tail({limit: 3})).toEqual(['a/0@0:a1', 'a/1@0:a2', 'b/0@0:b3'])
      expect(await tail({names: ['a'], partitions: [1]})).toEqual(['a/1@0:a2', 'a/1@1:a5'])
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
      const prefix = await seedTwoTopics()
      const controller = new AbortController()
      const seen: string[] = []
      const reading = (async () => {
        for await (const batch of tailRecords({...backend, follow: true, from: {count: 1, kind: 'last'}, signal: controller.signal, topics: [`${prefix}b`]})) {
          seen.push(...batch.map((r) => String(r.value?.value)))
          if (seen.length === 2) controller.abort()
        }
      })()
      await new Promise((resolve) => setTimeout(resolve, 500))
      await backend.log.produce([{key: null, partition: 0, topic: `${prefix}b`, value: Buffer.from('live')}])
      await reading
      expect(seen).toEqual(['b8', 'live'])
    })

    it('reports the lag about once a second while following', async () => {
      const prefix = await seedTwoTopics()
      const controller = new AbortController()
      const lags: number[] = []
      const reading = (async () => {
        for await (const _batch of tailRecords({...backend, follow: true, from: {kind: 'end'}, onLag: (lag) => lags.push(lag), signal: controller.signal, topics: [`${prefix}a`]})) {
          // Nothing arrives: only the status matters here.
        }
      })()
      await new Promise((resolve) => setTimeout(resolve, 1600))
      controller.abort()
      await reading
      expect(lags.length).toBeGreaterThan(0)
      expect(lags.at(-1)).toBe(0)
    })

    it('filters with --where on key, value, headers, partition, offset and timestamp', async () => {
      const topic = `where${randomUUID().slice(0, 6)}`
      await backend.log.createTopic(topic, {partitions: 2, retainForever: true})
      await backend.log.produce([
        {headers: [['ce_type', Buffer.from('A')]], key: Buffer.from('k1'), partition: 0, timestamp: T0, topic, value: Buffer.from('{"total":50}')},
        {headers: [['ce_type', Buffer.from('B')]], key: Buffer.from('k2'), partition: 1, timestamp: T0 + 1, topic, value: Buffer.from('{"total":150}')},
        {headers: [['ce_type', Buffer.from('A')]], key: Buffer.from('k3'), partition: 1, timestamp: T0 + 2, topic, value: Buffer.from('{"total":250}')},
      ])
      const keys = async (expression: string) => {
        const out: string[] = []
        for await (const batch of tailRecords({...backend, follow: false, from: {kind: 'beginning'}, topics: [topic], where: await compileWhere(expression)})) {
          out.push(...batch.map((r) => String(r.key?.value)))
        }

        return out
      }

      expect(await keys('value.total > 100')).toEqual(['k2', 'k3'])
      expect(await keys("headers.ce_type = 'A' and partition = 1")).toEqual(['k3'])
      expect(await keys("key = 'k1' or offset = 1")).toEqual(['k1', 'k3'])
      expect(await keys(`timestamp >= ${T0 + 1}`)).toEqual(['k2', 'k3'])
    })

    it('adds the topics matching --pattern and names the topics there are when one is unknown', async () => {
      const prefix = await seedTwoTopics()
      expect(await topicsToRead(backend.log, [], `^${prefix}(a|b)$`)).toEqual([`${prefix}a`, `${prefix}b`])
      await expect(topicsToRead(backend.log, [], `^${prefix}zzz`)).rejects.toThrow(/no topic matches --pattern/)
      const error = await collect(prefix, tailRecords({...backend, follow: false, from: {kind: 'beginning'}, topics: [`${prefix}a`, 'no-such-topic']})).catch((e) => e)
      expect(error).toBeInstanceOf(NotFoundError)
      expect((error as NotFoundError).available).toContain(`${prefix}a`)
      await expect(collect(prefix, tailRecords({...backend, follow: false, from: {kind: 'beginning'}, partitions: [5], topics: [`${prefix}a`]}))).rejects.toThrow(/has no partition 5/)
    })
  })
}
