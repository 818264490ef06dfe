import path from 'node:path'
import avro from 'avsc'
import Database from 'better-sqlite3'
import {describe, expect, it} from 'vitest'

import {encodeWire} from '../../../src/lib/codec/wire-format.js'
import {parseColumnLocator, parseIdLocator} from '../../../src/lib/config/locator.js'
import type {FlowConfig} from '../../../src/lib/config/types.js'
import {findStalledFlows} from '../../../src/lib/trace/stalled-flows.js'
import {traceFlow} from '../../../src/lib/trace/trace-flow.js'
import {SqliteTarget} from '../../../src/lib/views/sqlite/sqlite-target.js'
import {rebuildView} from '../../../src/lib/views/rebuild-view.js'
import {compileView} from '../../../src/lib/views/view-definition.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'
import {useTempDir} from '../../helpers/temp-dir.js'

/*
 * `key` in evt.yaml means the record key as text wherever it appears: a plain-text key as it is,
 * a key written with a schema (Avro here) or as JSON decoded first. Trace once compared raw bytes
 * and missed every Avro-keyed record that a view keyed the same way found.
 */
describe('the key locator', () => {
  const openBackend = useEmbeddedBackend()
  const tempDir = useTempDir()
  const T0 = Date.parse('2026-03-01T10:00:00Z')

  const seed = async () => {
    const backend = await openBackend()
    await backend.log.createTopic('orders', {partitions: 2})
    const keySchema = {type: 'string'}
    const valueSchema = {fields: [{name: 'status', type: 'string'}], name: 'OrderPlaced', type: 'record'}
    const {id: keyId} = await backend.registry.register('orders-key', {references: [], schema: JSON.stringify(keySchema), schemaType: 'AVRO'})
    const {id: valueId} = await backend.registry.register('orders-value', {references: [], schema: JSON.stringify(valueSchema), schemaType: 'AVRO'})
    const avroKey = (id: string) => encodeWire(keyId, avro.Type.forSchema(keySchema as avro.Schema).toBuffer(id))
    const value = (status: string) => encodeWire(valueId, avro.Type.forSchema(valueSchema as avro.Schema).toBuffer({status}))
    await backend.log.produce([
      {key: avroKey('1042'), timestamp: T0, topic: 'orders', value: value('placed')},
      {key: Buffer.from('1042'), timestamp: T0 + 1000, topic: 'orders', value: value('paid')},
      {key: Buffer.from('{"order":7}'), timestamp: T0 + 2000, topic: 'orders', value: value('placed')},
      {key: avroKey('1043'), timestamp: T0 + 3000, topic: 'orders', value: value('placed')},
    ])
    return backend
  }

  const flow: FlowConfig = {ends: ['Shipped'], owners: {}, topics: {orders: {id: parseIdLocator('key')}}}

  it('finds records whose key a schema wrote, as well as plain-text ones', async () => {
    const {log, registry} = await seed()
    const trace = await traceFlow({flow, flowName: 'order', id: '1042', log, registry})
    expect(trace.events.map((event) => event.timestamp)).toEqual([T0, T0 + 1000])
    const json = await traceFlow({flow, flowName: 'order', id: '{"order":7}', log, registry})
    expect(json.events).toHaveLength(1)
  })

  it('gives --stalled the same ids a view keyed by key gets', async () => {
    const {log, registry} = await seed()
    const {stalled} = await findStalledFlows({flow, flowName: 'order', log, now: T0 + 60_000, olderThanMs: 0, registry})
    expect(stalled.map((s) => s.id).sort()).toEqual(['1042', '1043', '{"order":7}'])

    const file = path.join(tempDir(), 'orders.db')
    const view = await compileView('orders', {columns: {status: parseColumnLocator('$.status')}, from: ['orders'], key: parseIdLocator('key'), table: 'orders'}, tempDir(), undefined)
    await rebuildView({log, target: new SqliteTarget(file), registry, view})
    const db = new Database(file, {readonly: true})
    try {
      expect(db.prepare('SELECT key FROM orders ORDER BY key').all()).toEqual([{key: '1042'}, {key: '1043'}, {key: '{"order":7}'}])
    } finally {
      db.close()
    }
  })
})
