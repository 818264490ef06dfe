import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Backend, openBackend} from '../../../src/lib/backend.js'
import {RecordDecoder} from '../../../src/lib/codec/record-decoder.js'
import type {FlowConfig} from '../../../src/lib/config/types.js'
import {seedDemo} from '../../../src/lib/demo/seed-demo.js'
import {RETAIL_TOPICS} from '../../../src/lib/demo/retail-schemas.js'
import {CheckFailedError} from '../../../src/lib/errors.js'
import {lastHeader} from '../../../src/lib/log/event-log.js'
import {findStalledFlows} from '../../../src/lib/trace/stalled-flows.js'
import {traceFlow} from '../../../src/lib/trace/trace-flow.js'
import {parseIdLocator} from '../../../src/lib/config/locator.js'
import {formatMermaid, formatNarrative} from '../../../src/ui/trace-format.js'
import {readAll} from '../../helpers/read-all.js'

const flow: FlowConfig = {
  ends: ['OrderConfirmed', 'OrderRejected', 'ShipmentDelivered'],
  owners: {orders: 'orders-service', payments: 'payment-service', shipments: 'shipping-service', stock: 'stock-service'},
  topics: {orders: {id: parseIdLocator('key')}, payments: {id: parseIdLocator('$.orderId')}, shipments: {id: parseIdLocator('$.orderId')}, stock: {id: parseIdLocator('$.orderId')}},
}
const END_TYPES = new Set(flow.ends)

interface RawEvent {
  at: string
  orderId: string
  timestamp: number
  type: string
}

describe('evt trace on demo data', () => {
  let backend: Backend
  let dir: string
  let raw: RawEvent[]
  let stalledOutcomes: number

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'evt-trace-'))
    backend = await openBackend({kind: 'embedded', name: 'trace', path: path.join(dir, 'evt.db')}, {create: true})
    stalledOutcomes = (await seedDemo({...backend, orders: 400, seed: 3, start: Date.parse('2026-01-05T09:00:00Z')})).outcomes.stalled
    // The expected events, derived independently: every record, decoded, attributed by key or orderId.
    const decoder = new RecordDecoder(backend.registry)
    raw = []
    for (const topic of RETAIL_TOPICS) {
      const records = await readAll(backend.log, topic)
      await decoder.prepare(records.map((r) => r.value))
      for (const r of records) {
        const value = decoder.decode(r.value, topic)?.value as {orderId?: string} | undefined
        const orderId = topic === 'orders' ? r.key!.toString() : value!.orderId!
        raw.push({at: `${topic}[${r.partition}]@${r.offset}`, orderId, timestamp: r.timestamp, type: lastHeader(r.headers, 'ce_type')?.toString() ?? 'tombstone'})
      }
    }
  }, 60_000)
  afterAll(async () => {
    await backend.close()
    rmSync(dir, {force: true, recursive: true})
  })

  const expectedFor = (id: string) => raw.filter((e) => e.orderId === id).sort((a, b) => a.timestamp - b.timestamp || a.at.localeCompare(b.at))
  const idWhere = (predicate: (types: string[]) => boolean) => {
    const ids = [...new Set(raw.map((e) => e.orderId))].sort()
    return ids.find((id) => predicate(expectedFor(id).map((e) => e.type)))!
  }

  it.each([
    ['completed', (types: string[]) => types.includes('ShipmentDelivered') && !types.includes('tombstone'), /ShipmentDelivered/],
    ['rejected', (types: string[]) => types.includes('StockShortage'), /OrderRejected: stock shortage: SKU-/],
    ['stalled', (types: string[]) => !types.some((t) => END_TYPES.has(t)), /stalled after OrderValidated for 1d 2h/],
  ] as const)('gives a %s order the right verdict and every event in time order', async (status, predicate, detail) => {
    const id = idWhere(predicate)
    const expected = expectedFor(id)
    const now = expected.at(-1)!.timestamp + 26 * 3_600_000
    const trace = await traceFlow({flow, flowName: 'order', id, log: backend.log, now, registry: backend.registry})
    expect(trace.verdict.status).toBe(status)
    expect(trace.verdict.detail).toMatch(detail)
    expect(trace.events.map((e) => `${e.topic}[${e.partition}]@${e.offset}`)).toEqual(expected.map((e) => e.at))
    expect(trace.events.map((e) => e.type)).toEqual(expected.map((e) => e.type))
    expect(trace.events[0]).toMatchObject({source: 'orders-service', type: 'OrderRequested'})
    expect(formatNarrative(trace)).toContain(`order ${id}: ${status}`)
  })

  it('writes Mermaid that Mermaid itself parses, for every verdict', async () => {
    // Mermaid's parser needs a DOM (DOMPurify) even to parse: jsdom provides one.
    const {JSDOM} = await import('jsdom')
    const dom = new JSDOM('<!doctype html><html><body></body></html>')
    Object.assign(globalThis, {document: dom.window.document, window: dom.window})
    const {default: mermaid} = await import('mermaid')
    const withDuplicate = idWhere((types) => new Set(types).size < types.length)
    for (const predicate of [
      (types: string[]) => types.includes('ShipmentDelivered'),
      (types: string[]) => types.includes('OrderRejected'),
      (types: string[]) => !types.some((t) => END_TYPES.has(t)),
    ]) {
      for (const id of [idWhere(predicate), withDuplicate]) {
        const trace = await traceFlow({flow, flowName: 'order', id, log: backend.log, registry: backend.registry})
        const diagram = formatMermaid(trace)
        await expect(mermaid.parse(diagram)).resolves.toMatchObject({diagramType: 'sequence'})
        // Each event goes from its writer to every consumer group of its topic, with its time, colons kept.
        const names = new Map([...diagram.matchAll(/^ {2}participant (\w+) as (.+)$/gm)].map(([, alias, name]) => [alias, name]))
        const arrows = [...diagram.matchAll(/^ {2}(\w+)(->>|-->>)(\w+): (.+)$/gm)].map(([, from, arrow, to, label]) => `${names.get(from)} ${arrow} ${names.get(to)}: ${label}`)
        const expected = trace.events.flatMap((event) => {
          const label = `${new Date(event.timestamp).toISOString().slice(0, 19).replace('T', ' ')} ${event.type} (${event.topic})`
          if (event.consumedBy.length + event.pendingFor.length === 0) return [`${event.source} ->> ${event.topic} (topic): ${label}`]
          return [...event.consumedBy.map((group) => `${event.source} ->> ${group}: ${label}`), ...event.pendingFor.map((group) => `${event.source} -->> ${group}: ${label}, not yet read`)]
        })
        expect(arrows).toEqual(expected)
      }
    }

    await expect(mermaid.parse('sequenceDiagram\n  a->>: broken')).rejects.toThrow(/Parse error/)
  })

  it('reports a duplicated event as an anomaly', async () => {
    const id = idWhere((types) => new Set(types).size < types.length && !types.includes('tombstone'))
    const trace = await traceFlow({flow, flowName: 'order', id, log: backend.log, registry: backend.registry})
    expect(trace.anomalies.some((a) => a.startsWith('duplicate '))).toBe(true)
  })

  it('lists exactly the stalled orders with --stalled', async () => {
    const expected = [...new Set(raw.map((e) => e.orderId))].filter((id) => !expectedFor(id).some((e) => END_TYPES.has(e.type))).sort()
    expect(expected).toHaveLength(stalledOutcomes)
    const {stalled} = await findStalledFlows({flow, flowName: 'order', log: backend.log, olderThanMs: 0, registry: backend.registry})
    expect(stalled.map((s) => s.id).sort()).toEqual(expected)
    expect(stalled.every((s) => s.lastEvent === 'OrderValidated')).toBe(true)
    const far = await findStalledFlows({flow, flowName: 'order', log: backend.log, now: Date.parse('2026-01-05T09:00:00Z'), olderThanMs: 60_000, registry: backend.registry})
    expect(far.stalled).toEqual([])
  })

  it('bounds the scan with --since and says what it scanned when nothing matches', async () => {
    const error = await traceFlow({flow, flowName: 'order', id: '999999', log: backend.log, registry: backend.registry}).catch((e) => e)
    expect(error).toBeInstanceOf(CheckFailedError)
    expect(error.message).toMatch(/^no events for order 999999 in orders, payments, shipments, stock \(scanned \d+ records between 2026-01-05T/)
    const since = Date.parse('2026-01-05T12:00:00Z')
    const ids = [...new Set(raw.map((e) => e.orderId))]
    const before = ids.find((id) => expectedFor(id).at(-1)!.timestamp < since)!
    expect(await traceFlow({flow, flowName: 'order', id: before, from: {kind: 'time', timestamp: since}, log: backend.log, registry: backend.registry}).catch((e) => e)).toBeInstanceOf(CheckFailedError)
    const across = ids.find((id) => expectedFor(id)[0].timestamp < since && expectedFor(id).at(-1)!.timestamp >= since)!
    const bounded = await traceFlow({flow, flowName: 'order', from: {kind: 'time', timestamp: since}, id: across, log: backend.log, registry: backend.registry})
    expect(bounded.events.every((e) => e.timestamp >= since)).toBe(true)
    expect(bounded.events.length).toBe(expectedFor(across).filter((e) => e.timestamp >= since).length)
  })

  it('shows which consumer groups have read each event and which have not', async () => {
    const id = idWhere((types) => types.includes('PaymentProcessed'))
    const payment = expectedFor(id).find((e) => e.type === 'PaymentProcessed')!
    const [, partition, offset] = /payments\[(\d+)\]@(\d+)/.exec(payment.at)!.map(Number)
    await backend.log.commitGroupOffsets('billing', [{offset: offset + 1, partition, topic: 'payments'}])
    await backend.log.commitGroupOffsets('audit', [{offset, partition, topic: 'payments'}])
    const trace = await traceFlow({flow, flowName: 'order', id, log: backend.log, registry: backend.registry})
    const event = trace.events.find((e) => e.type === 'PaymentProcessed')!
    expect(event.consumedBy).toEqual(['billing'])
    expect(event.pendingFor).toEqual(['audit'])
    expect(formatMermaid(trace)).toMatch(/^sequenceDiagram\n {2}title order \d+/)
    const diagram = formatMermaid(trace)
    const alias = (name: string) => new RegExp(`^ {2}participant (\\w+) as ${name}$`, 'm').exec(diagram)![1]
    const label = `${new Date(event.timestamp).toISOString().slice(0, 19).replace('T', ' ')} PaymentProcessed (payments)`
    expect(diagram).toContain(`  ${alias('payment-service')}->>${alias('billing')}: ${label}\n`)
    expect(diagram).toContain(`  ${alias('payment-service')}-->>${alias('audit')}: ${label}, not yet read\n`)
  })
})
