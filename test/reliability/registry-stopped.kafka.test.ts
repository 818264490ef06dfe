import avsc from 'avsc'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'

import type {Backend} from '../../src/lib/backend.js'
import {encodeWire} from '../../src/lib/codec/wire-format.js'
import {expectNoStackTrace, openKafka, type Running, startEvt} from './kafka-faults.js'

const {brokers} = inject('kafka')

const PAYMENT = {fields: [{name: 'id', type: 'string'}, {name: 'amount', type: 'double'}], name: 'Payment', namespace: 'reliability', type: 'record'}
const REFUND = {fields: [{name: 'id', type: 'string'}, {name: 'reason', type: 'string'}], name: 'Refund', namespace: 'reliability', type: 'record'}

/**
 * A registry that goes away under a running tail: the tail keeps going. Records whose schema it
 * already fetched still decode; the others are shown raw (never dropped) with one warning per
 * schema id, however many records carry it. The registry is `evt registry serve` on an embedded
 * EVT_HOME, serving as the registry of the real Kafka cluster, and is killed mid-tail.
 */
describe('registry stopped mid-tail', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'evt-registry-stopped-'))
  const running: Running[] = []
  afterAll(() => {
    for (const {child} of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(dir, {force: true, recursive: true})
  })

  it('cached schemas still decode, others are shown raw with one warning per schema id; Ctrl-C exits 130', async () => {
    const serve = startEvt(['registry', 'serve', '--port', '0'], {cwd: dir, env: {EVT_HOME: path.join(dir, 'home')}})
    running.push(serve)
    await serve.waitFor('the URL it serves on', (out) => out.includes('\n'))
    const registry = serve.stdout().split('\n')[0]
    expect(registry).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const topic = `registry-stopped-${randomUUID().slice(0, 8)}`
    const register = async (subject: string, schema: object): Promise<number> => {
      const response = await fetch(`${registry}/subjects/${subject}/versions`, {
        body: JSON.stringify({schema: JSON.stringify(schema)}),
        headers: {'Content-Type': 'application/vnd.schemaregistry.v1+json'},
        method: 'POST',
      })
      expect(response.status).toBe(200)
      return ((await response.json()) as {id: number}).id
    }

    const paymentId = await register(`${topic}-value`, PAYMENT)
    const refundId = await register(`${topic}-reliability.Refund`, REFUND)
    expect(refundId).not.toBe(paymentId)
    const payment = avsc.Type.forSchema(PAYMENT as avsc.Schema)
    const refund = avsc.Type.forSchema(REFUND as avsc.Schema)
    const sent = new Map<number, {bytes: Buffer; value: object; wire: number}>()
    let backend: Backend | undefined
    const produce = async (wire: number, values: object[]) => {
      const type = wire === paymentId ? payment : refund
      const records = values.map((value) => ({bytes: encodeWire(wire, type.toBuffer(value)), value, wire}))
      const produced = await backend!.log.produce(records.map(({bytes}, i) => ({headers: [], key: Buffer.from(`k${i}`), partition: 0, topic, value: bytes})))
      for (const [i, {offset}] of produced.entries()) sent.set(offset, records[i])
    }

    const cwd = path.join(dir, 'project')
    mkdirSync(cwd)
    try {
      backend = await openKafka({brokers, registry})
      await backend.log.createTopic(topic, {partitions: 1, retainForever: true})
      await produce(paymentId, [{amount: 10.5, id: 'p0'}, {amount: 11, id: 'p1'}, {amount: 12.25, id: 'p2'}])

      const tail = startEvt(['topic', 'tail', topic, '--follow', '--from', 'beginning', '--json', '--brokers', brokers, '--registry', registry], {cwd})
      running.push(tail)
      const lines = (count: number) => tail.waitFor(`${count} records`, (out) => out.split('\n').filter(Boolean).length >= count)
      await lines(3)

      serve.child.kill('SIGKILL')
      await serve.done
      await produce(paymentId, [{amount: 13, id: 'p3'}, {amount: 14, id: 'p4'}])
      await produce(refundId, [{id: 'r5', reason: 'damaged'}])
      await lines(6)
      // Later records of the same unknown schema, in other fetches: no second warning.
      await produce(refundId, [{id: 'r6', reason: 'late'}, {id: 'r7', reason: 'lost'}])
      await produce(paymentId, [{amount: 18, id: 'p8'}])
      await lines(9)
      tail.child.kill('SIGINT')
      const result = await tail.done

      expect(result.code, result.stderr).toBe(130)
      expectNoStackTrace(result.stderr)
      const printed = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
      expect(printed.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
      for (const record of printed) {
        const {bytes, value, wire} = sent.get(record.offset)!
        if (wire === paymentId) {
          // Fetched before the registry went away: decoded from the cache.
          expect(record, `offset ${record.offset}`).toMatchObject({schema: {id: paymentId, subject: `${topic}-value`, version: 1}, type: 'Payment', value, valueEncoding: 'avro'})
        } else {
          // Never fetched: the exact bytes, shown raw, with the schema id they name.
          expect(record, `offset ${record.offset}`).toMatchObject({schema: {id: refundId}, value: bytes.toString('base64'), valueEncoding: 'base64'})
        }
      }

      // One warning, one line, for the schema that could not be fetched; nothing else on stderr.
      const stderrLines = result.stderr.split('\n').filter(Boolean)
      expect(stderrLines, result.stderr).toHaveLength(1)
      expect(stderrLines[0]).toMatch(new RegExp(`^Warning: schema ${refundId} could not be fetched: cannot reach the schema registry at ${registry.replaceAll('.', String.raw`\.`)}.*; its records are shown raw$`))
    } finally {
      await backend?.close()
    }
  })
})
