import {describe, expect, it} from 'vitest'

import {RecordDecoder} from '../../../src/lib/codec/record-decoder.js'
import {seedDemo} from '../../../src/lib/demo/seed-demo.js'
import {RETAIL_TOPICS} from '../../../src/lib/demo/retail-schemas.js'
import {type EventLog, lastHeader} from '../../../src/lib/log/event-log.js'
import {partitionForKey} from '../../../src/lib/log/partitioner.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'
import {readAll} from '../../helpers/read-all.js'

const START = Date.parse('2026-01-05T09:00:00Z')

async function dumpLog(log: EventLog): Promise<string[]> {
  const lines: string[] = []
  for (const topic of RETAIL_TOPICS) {
    for (const r of await readAll(log, topic)) {
      const headers = r.headers.map(([k, v]) => `${k}=${v?.toString('hex') ?? 'null'}`)
      lines.push([r.topic, r.partition, r.offset, r.timestamp, r.key?.toString('hex'), r.value?.toString('hex') ?? 'null', ...headers].join('|'))
    }
  }

  return lines
}

describe('evt demo generator', () => {
  const openBackend = useEmbeddedBackend()

  it('writes a byte-identical log for the same seed, and a different one for another seed', async () => {
    const a = await openBackend()
    const b = await openBackend()
    const c = await openBackend()
    await seedDemo({...a, orders: 300, seed: 7, start: START})
    await seedDemo({...b, orders: 300, seed: 7, start: START})
    await seedDemo({...c, orders: 300, seed: 8, start: START})
    const dumpA = await dumpLog(a.log)
    expect(dumpA.length).toBeGreaterThan(1500)
    expect(await dumpLog(b.log)).toEqual(dumpA)
    expect(await dumpLog(c.log)).not.toEqual(dumpA)
  })

  it('produces the promised mix of outcomes, decodable values with orderId, headers and keyed orders', async () => {
    const backend = await openBackend()
    const result = await seedDemo({...backend, orders: 2000, seed: 42, start: START})
    const share = (n: number) => n / 2000
    expect(share(result.outcomes.stalled)).toBeGreaterThan(0.03)
    expect(share(result.outcomes.stalled)).toBeLessThan(0.08)
    expect(share(result.outcomes['rejected-stock'])).toBeGreaterThan(0.03)
    expect(share(result.outcomes['rejected-stock'])).toBeLessThan(0.08)
    expect(result.tombstones).toBeGreaterThan(0)
    expect(result.subjects).toHaveLength(10)
    expect(result.topics.every((t) => t.partitions > 1)).toBe(true)

    const decoder = new RecordDecoder(backend.registry)
    let duplicates = 0
    for (const topic of RETAIL_TOPICS) {
      const records = await readAll(backend.log, topic)
      await decoder.prepare(records.map((r) => r.value))
      const seen = new Set<string>()
      for (const record of records) {
        expect(lastHeader(record.headers, 'ce_source')?.toString()).toMatch(/-service$/)
        if (record.value === null) {
          expect(topic).toBe('orders')
          continue
        }

        const decoded = decoder.decode(record.value, topic)!
        expect(decoded.encoding).toBe('avro')
        expect(decoded.schema?.subject).toBe(`${topic}-retail.${lastHeader(record.headers, 'ce_type')}`)
        const value = decoded.value as {orderId: string}
        expect(value.orderId).toMatch(/^\d+$/)
        if (topic === 'orders') {
          expect(record.key!.toString()).toBe(value.orderId)
          expect(record.partition).toBe(partitionForKey(record.key!, result.topics[0].partitions))
        }

        const identity = `${lastHeader(record.headers, 'ce_type')}:${JSON.stringify(value)}`
        if (seen.has(identity)) duplicates++
        seen.add(identity)
      }

      // Produced in time order: within a partition, offsets and timestamps grow together.
      for (let i = 1; i < records.length; i++) {
        if (records[i].partition === records[i - 1].partition) expect(records[i].timestamp).toBeGreaterThanOrEqual(records[i - 1].timestamp)
      }
    }

    expect(duplicates).toBeGreaterThan(5)
    expect(duplicates).toBeLessThan(60)
  })

  it('leaves topics that already hold records alone', async () => {
    const backend = await openBackend()
    const first = await seedDemo({...backend, orders: 50, seed: 1, start: START})
    const second = await seedDemo({...backend, orders: 50, seed: 1, start: START})
    expect(second.alreadySeeded).toEqual({records: first.events})
    expect(second.events).toBe(0)
  })
})
