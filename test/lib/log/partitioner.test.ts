import {describe, expect, it} from 'vitest'

import {murmur2, partitionForKey} from '../../../src/lib/log/partitioner.js'

describe('Kafka default partitioner', () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils).
  const vectors: [string, number][] = [
    ['21', -973_932_308],
    ['foobar', -790_332_482],
    ['a-little-bit-long-string', -985_981_536],
    ['a-little-bit-longer-string', -1_486_304_829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58_897_971],
    ['abc', 479_470_107],
  ]

  it.each(vectors)('murmur2(%j) = %d as in Kafka', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected)
  })

  it('maps a key to (murmur2 & 0x7fffffff) mod partitions, always in range', () => {
    expect(partitionForKey(Buffer.from('foobar'), 6)).toBe((-790_332_482 & 0x7f_ff_ff_ff) % 6)
    for (let i = 0; i < 500; i++) {
      const partition = partitionForKey(Buffer.from(`key-${i}`), 7)
      expect(partition).toBeGreaterThanOrEqual(0)
      expect(partition).toBeLessThan(7)
    }
  })

  it('agrees with kafkajs, whose default partitioner follows the Java client', async () => {
    const {Partitioners} = (await import('kafkajs')).default
    const kafkajsPartitioner = Partitioners.DefaultPartitioner()
    for (let i = 0; i < 200; i++) {
      const key = Buffer.from(`order-${i * 7919}`)
      const partitionMetadata = Array.from({length: 6}, (_, partitionId) => ({isr: [1], leader: 1, partitionErrorCode: 0, partitionId, replicas: [1]}))
      const expected = kafkajsPartitioner({message: {key, value: null}, partitionMetadata, topic: 't'})
      expect(partitionForKey(key, 6)).toBe(expected)
    }
  })
})
