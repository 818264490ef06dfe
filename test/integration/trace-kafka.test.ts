import {randomUUID} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {type Backend, openBackend} from '../../src/lib/backend.js'
import type {OutgoingRecord} from '../../src/lib/log/event-log.js'
import {partitionForKey} from '../../src/lib/log/partitioner.js'
import {runCli} from '../helpers/run-cli.js'

const {brokers, registry} = inject('kafka')

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('evt trace on the real broker', () => {
  let backend: Backend
  const tag = randomUUID().slice(0, 8)
  const orders = `orders-${tag}`
  const payments = `payments-${tag}`
  const event = (topic: string, key: string, type: string, value: object, timestamp: number): OutgoingRecord => ({
    headers: [['ce_source', Buffer.from(`${topic.split('-')[0]}-service`)], ['ce_type', Buffer.from(type)]],
    key: Buffer.from(key),
    timestamp,
    topic,
    value: Buffer.from(JSON.stringify(value)),
  })

  beforeAll(async () => {
    backend = await openBackend({brokers: [brokers], kind: 'kafka', name: 'test', registry: {url: registry}})
    await backend.log.createTopic(orders, {partitions: 2, retainForever: true})
    await backend.log.createTopic(payments, {partitions: 2, retainForever: true})
    const t0 = Date.parse('2026-02-01T10:00:00Z')
    await backend.log.produce([
      event(orders, '7', 'OrderRequested', {orderId: '7', total: 10}, t0),
      event(payments, 'P-7', 'PaymentProcessed', {amount: 10, orderId: '7'}, t0 + 2000),
      event(orders, '7', 'OrderConfirmed', {orderId: '7'}, t0 + 3000),
      event(orders, '8', 'OrderRequested', {orderId: '8', total: 5}, t0 + 4000),
    ])
  })
  afterAll(async () => {
    await backend?.close()
  })

  it('names the consumer groups that have and have not read each event, from committed offsets', async () => {
    const marks = await backend.log.watermarks(orders)
    const keyed = marks.find((m) => m.partition === partitionForKey(Buffer.from('7'), 2))!
    // 'shipping' has read the first record of that partition only; 'audit' has read all of it.
    await backend.log.commitGroupOffsets(`shipping-${tag}`, [{offset: 1, partition: keyed.partition, topic: orders}])
    await backend.log.commitGroupOffsets(`audit-${tag}`, [{offset: keyed.high, partition: keyed.partition, topic: orders}])

    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-trace-kafka-'))
    writeFileSync(
      path.join(cwd, 'evt.yaml'),
      `clusters:\n  test: { brokers: [${brokers}], registry: ${registry} }\ndefault: test\nflows:\n  order:\n    topics:\n      ${orders}: { id: key }\n      ${payments}: { id: $.orderId }\n    ends: [OrderConfirmed]\n`,
    )
    const result = await runCli(['trace', 'order', '7', '--json'], {cwd})
    expect(result.stderr).toBe('')
    const trace = JSON.parse(result.stdout)
    expect(trace.verdict).toMatchObject({status: 'completed'})
    expect(trace.events.map((e: {type: string}) => e.type)).toEqual(['OrderRequested', 'PaymentProcessed', 'OrderConfirmed'])
    const [requested, , confirmed] = trace.events
    expect(requested.consumedBy).toEqual([`audit-${tag}`, `shipping-${tag}`].sort())
    expect(confirmed.consumedBy).toEqual([`audit-${tag}`])
    expect(confirmed.pendingFor).toEqual([`shipping-${tag}`])
    expect(trace.events[1]).toMatchObject({consumedBy: [], pendingFor: [], source: 'payments-service', topic: payments})

    // That answer came from the flow index (one Fetch per event); a scan of every record agrees, for every kind of id.
    const expectSameAnswers = async (ids: string[]) => {
      for (const id of ids) {
        const [indexed, scanned] = [await runCli(['trace', 'order', id, '--json'], {cwd}), await runCli(['trace', 'order', id, '--json', '--no-index'], {cwd})]
        expect({code: indexed.code, id, stderr: indexed.stderr, stdout: indexed.stdout}).toEqual({code: scanned.code, id, stderr: scanned.stderr, stdout: scanned.stdout})
      }
    }

    await expectSameAnswers(['7', '8', '9'])

    // The topic deleted and created again, shorter: the index notices and reads it again.
    const admin = new Kafka({brokers: [brokers], logLevel: logLevel.NOTHING}).admin()
    await admin.connect()
    try {
      await admin.deleteTopics({topics: [orders]})
      await until(async () => !(await admin.listTopics()).includes(orders))
    } finally {
      await admin.disconnect()
    }

    await backend.log.createTopic(orders, {partitions: 2, retainForever: true})
    await backend.log.produce([event(orders, '9', 'OrderRequested', {orderId: '9', total: 1}, Date.parse('2026-02-02T10:00:00Z'))])
    await expectSameAnswers(['7', '9'])
    expect(JSON.parse((await runCli(['trace', 'order', '9', '--json'], {cwd})).stdout).events.map((e: {type: string}) => e.type)).toEqual(['OrderRequested'])
    // --stalled from the index's summaries, recomputed without the old topic's records: 7 lost its
    // OrderConfirmed, 8 is gone, 9 is new — as a scan sees it.
    const stalled = async (...args: string[]) => JSON.parse((await runCli(['trace', 'order', '--stalled', '--json', ...args], {cwd})).stdout).stalled.map((s: {id: string; lastEvent: string}) => `${s.id}:${s.lastEvent}`)
    expect(await stalled()).toEqual(['7:PaymentProcessed', '9:OrderRequested'])
    expect(await stalled()).toEqual(await stalled('--no-index'))
  })
})
