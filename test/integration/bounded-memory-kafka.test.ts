import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {openBackend} from '../../src/lib/backend.js'
import type {OutgoingRecord} from '../../src/lib/log/event-log.js'
import {countOutputLines} from '../helpers/count-lines.js'

const {brokers, registry} = inject('kafka')

/**
 * A merged read of many Kafka partitions holds a bounded window of each (issue 16): 240,000
 * records of ~300 bytes over 24 partitions, tailed with V8's old space capped at 64 MB. Decoded,
 * those records take about 170 MB, so a read that keeps what it fetched crashes here.
 */
const HEAP_MB = 48
const PER_TOPIC = 120_000

describe(`a tail of 240,000 Kafka records in a ${HEAP_MB} MB heap`, () => {
  const tag = randomUUID().slice(0, 8)
  const topics = [`memory-a-${tag}`, `memory-b-${tag}`]
  let cwd: string

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-memory-kafka-'))
    writeFileSync(path.join(cwd, 'evt.yaml'), `clusters:\n  test: { brokers: [${brokers}], registry: ${registry} }\ndefault: test\n`)
    const backend = await openBackend({brokers: [brokers], kind: 'kafka', name: 'test', registry: {url: registry}})
    try {
      const t0 = Date.parse('2026-03-01T00:00:00Z')
      for (const topic of topics) {
        await backend.log.createTopic(topic, {partitions: 12, retainForever: true})
        for (let start = 0; start < PER_TOPIC; start += 10_000) {
          const records: OutgoingRecord[] = Array.from({length: 10_000}, (_, i) => {
            const n = start + i
            return {
              headers: [['ce_type', Buffer.from('OrderRequested')], ['ce_id', Buffer.from(`${tag}-${n}`)]],
              key: Buffer.from(String(n % 50_000)),
              timestamp: t0 + n,
              topic,
              value: Buffer.from(JSON.stringify({n, note: 'x'.repeat(200), orderId: String(n % 50_000)})),
            }
          })
          await backend.log.produce(records)
        }
      }
    } finally {
      await backend.close()
    }
  }, 180_000)
  afterAll(() => rmSync(cwd, {force: true, recursive: true}))

  it('prints every record, in timestamp order across the topics', async () => {
    const result = await countOutputLines(['topic', 'tail', ...topics, '--json'], {cwd, env: {NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`}})
    expect(result.stderr).toBe('')
    expect(result).toMatchObject({code: 0, lines: 2 * PER_TOPIC})
    expect(JSON.parse(result.tail)).toMatchObject({timestamp: new Date(Date.parse('2026-03-01T00:00:00Z') + PER_TOPIC - 1).toISOString()})
  }, 180_000)
})
