import {randomUUID} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Backend} from '../../src/lib/backend.js'
import {NotFoundError} from '../../src/lib/errors.js'
import type {Headers, LogRecord} from '../../src/lib/log/event-log.js'
import {partitionForKey} from '../../src/lib/log/partitioner.js'

async function collect(iterable: AsyncIterable<LogRecord[]>): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  for await (const batch of iterable) out.push(...batch)
  return out
}

/** The behaviour every EventLog must have, whichever backend is behind it (design §2). */
export function eventLogContract(name: string, open: () => Promise<Backend>): void {
  describe(`EventLog contract: ${name}`, () => {
    let backend: Backend
    const topicName = () => `contract-${randomUUID().slice(0, 8)}`

    beforeAll(async () => {
      backend = await open()
    })
    afterAll(async () => {
      await backend?.close()
    })

    it('creates topics with their partition count and refuses a duplicate', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 3})
      expect(await backend.log.listTopics()).toContainEqual({name: topic, partitions: 3})
      await expect(backend.log.createTopic(topic, {partitions: 3})).rejects.toThrow(/already exists/)
    })

    it('lists topics in code-unit order, as Kafka\'s tools do: punctuation, digits, capitals, lowercase', async () => {
      const stem = topicName()
      // A locale's order (localeCompare) puts `${stem}a` before `${stem}A`.
      const names = [`${stem}a`, `${stem}.a`, `${stem}A`, `${stem}0`, `${stem}-a`]
      for (const name of names) await backend.log.createTopic(name, {partitions: 1})
      const listed = (await backend.log.listTopics()).map((topic) => topic.name).filter((name) => name.startsWith(stem))
      expect(listed).toEqual([`${stem}-a`, `${stem}.a`, `${stem}0`, `${stem}A`, `${stem}a`])
    })

    it('gives dense offsets from 0 per partition and reports watermarks', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 2})
      const produced = await backend.log.produce(
        [0, 1, 0, 0, 1].map((partition, i) => ({key: null, partition, topic, value: Buffer.from(`v${i}`)})),
      )
      expect(produced.map((p) => [p.partition, p.offset])).toEqual([
        [0, 0],
        [1, 0],
        [0, 1],
        [0, 2],
        [1, 1],
      ])
      expect(await backend.log.watermarks(topic)).toEqual([
        {high: 3, low: 0, partition: 0},
        {high: 2, low: 0, partition: 1},
      ])
    })

    it('keeps key, value bytes, headers, timestamp and tombstones through a read of a range', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 1})
      const binary = Buffer.from([0, 255, 1, 254, 10])
      await backend.log.produce([
        {headers: [['ce_type', Buffer.from('A')], ['raw', binary]], key: Buffer.from('k1'), partition: 0, timestamp: 1_700_000_000_001, topic, value: binary},
        {key: Buffer.from('k1'), partition: 0, timestamp: 1_700_000_000_002, topic, value: null},
        {key: null, partition: 0, timestamp: 1_700_000_000_003, topic, value: Buffer.from('three')},
        {key: Buffer.from('k4'), partition: 0, timestamp: 1_700_000_000_004, topic, value: Buffer.from('four')},
      ])

      const all = await collect(backend.log.read({from: 0, partition: 0, to: 4, topic}))
      expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3])
      expect(all[0]).toMatchObject({key: Buffer.from('k1'), partition: 0, timestamp: 1_700_000_000_001, topic, value: binary})
      expect(all[0].headers).toEqual([['ce_type', Buffer.from('A')], ['raw', binary]])
      expect(all[1].value).toBeNull()
      expect(all[2].key).toBeNull()

      const middle = await collect(backend.log.read({from: 1, partition: 0, to: 3, topic}))
      expect(middle.map((r) => r.offset)).toEqual([1, 2])
    })

    it('keeps a repeated header name with its values in order, and empty values', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 1})
      const headers: Headers = [['a', Buffer.from('1')], ['a', Buffer.from('2')], ['a', Buffer.alloc(0)], ['b', Buffer.from([0xff, 0x00])]]
      await backend.log.produce([{headers, key: null, partition: 0, topic, value: Buffer.from('v')}])
      const [record] = await collect(backend.log.read({from: 0, partition: 0, to: 1, topic}))
      expect(record.headers).toEqual(headers)
    })

    it('keeps a null header value apart from an empty one, and the order of interleaved names', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 1})
      const headers: Headers = [['n', null], ['e', Buffer.alloc(0)], ['a', Buffer.from('1')], ['n', Buffer.from('2')]]
      await backend.log.produce([{headers, key: null, partition: 0, topic, value: Buffer.from('v')}])
      const [record] = await collect(backend.log.read({from: 0, partition: 0, to: 1, topic}))
      expect(record.headers).toEqual(headers)
      expect(record.headers[0][1]).toBeNull()
    })

    it('partitions keyed records like Kafka\'s default partitioner', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 6})
      const keys = Array.from({length: 40}, (_, i) => `order-${1000 + i}`)
      const produced = await backend.log.produce(keys.map((key) => ({key: Buffer.from(key), topic, value: Buffer.from('x')})))
      expect(produced.map((p) => p.partition)).toEqual(keys.map((key) => partitionForKey(Buffer.from(key), 6)))
    })

    it('finds the earliest offset at or after a time, and the high watermark past the end', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 1})
      const base = 1_750_000_000_000
      await backend.log.produce([0, 10, 20, 30].map((delta) => ({key: null, partition: 0, timestamp: base + delta, topic, value: Buffer.from(String(delta))})))
      expect(await backend.log.offsetsForTime(topic, base + 15)).toEqual([{offset: 2, partition: 0}])
      expect(await backend.log.offsetsForTime(topic, base)).toEqual([{offset: 0, partition: 0}])
      expect(await backend.log.offsetsForTime(topic, base + 1000)).toEqual([{offset: 4, partition: 0}])
    })

    it('follows a partition live until aborted', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 1})
      await backend.log.produce([{key: null, partition: 0, topic, value: Buffer.from('before')}])
      const controller = new AbortController()
      const seen: string[] = []
      const reading = (async () => {
        for await (const batch of backend.log.read({from: 1, partition: 0, signal: controller.signal, topic})) {
          seen.push(...batch.map((r) => r.value!.toString()))
          if (seen.length >= 2) controller.abort()
        }
      })()
      await new Promise((resolve) => setTimeout(resolve, 300))
      await backend.log.produce([
        {key: null, partition: 0, topic, value: Buffer.from('after-1')},
        {key: null, partition: 0, topic, value: Buffer.from('after-2')},
      ])
      await reading
      expect(seen).toEqual(['after-1', 'after-2'])
    })

    it('reports consumer group offsets of several topics at once, by group, topic and partition', async () => {
      const [topic, other] = [topicName(), topicName()].sort()
      const [group, second] = [`group-${randomUUID().slice(0, 8)}`, `group-${randomUUID().slice(0, 8)}`].sort()
      for (const name of [topic, other]) {
        await backend.log.createTopic(name, {partitions: 2})
        await backend.log.produce([0, 0, 0, 1].map((partition) => ({key: null, partition, topic: name, value: Buffer.from('x')})))
      }

      await backend.log.commitGroupOffsets(second, [{offset: 3, partition: 1, topic: other}])
      await backend.log.commitGroupOffsets(group, [
        {offset: 1, partition: 1, topic: other},
        {offset: 2, partition: 0, topic},
        {offset: 1, partition: 1, topic},
      ])
      const ours = (offsets: {group: string}[]) => offsets.filter((o) => o.group === group || o.group === second)
      expect(ours(await backend.log.groupOffsets([other, topic]))).toEqual([
        {group, offset: 2, partition: 0, topic},
        {group, offset: 1, partition: 1, topic},
        {group, offset: 1, partition: 1, topic: other},
        {group: second, offset: 3, partition: 1, topic: other},
      ])
      expect(ours(await backend.log.groupOffsets([topic]))).toEqual([
        {group, offset: 2, partition: 0, topic},
        {group, offset: 1, partition: 1, topic},
      ])
    })

    it('names the existing topics when a topic is unknown', async () => {
      const topic = topicName()
      await backend.log.createTopic(topic, {partitions: 1})
      const error = await backend.log.watermarks('no-such-topic-here').catch((error_) => error_)
      expect(error).toBeInstanceOf(NotFoundError)
      expect((error as NotFoundError).available).toContain(topic)
    })
  })
}
