import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import avro from 'avsc'
import Database from 'better-sqlite3'
import {describe, expect, it} from 'vitest'

import {encodeWire} from '../../../src/lib/codec/wire-format.js'
import {parseColumnLocator, parseIdLocator} from '../../../src/lib/config/locator.js'
import type {ViewConfig} from '../../../src/lib/config/types.js'
import {CheckFailedError, ConfigError} from '../../../src/lib/errors.js'
import {SqliteTarget} from '../../../src/lib/views/sqlite/sqlite-target.js'
import {followView, rebuildView} from '../../../src/lib/views/rebuild-view.js'
import {compileView} from '../../../src/lib/views/view-definition.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'
import {useTempDir} from '../../helpers/temp-dir.js'

const T0 = Date.parse('2026-05-01T10:00:00Z')

const rows = (file: string, sql: string) => {
  const db = new Database(file, {readonly: true})
  try {
    return db.prepare(sql).all()
  } finally {
    db.close()
  }
}

const columnsOf = (file: string, table: string) => {
  const db = new Database(file, {readonly: true})
  try {
    return (db.pragma(`table_info(${table})`) as {name: string; type: string}[]).map((c) => `${c.name} ${c.type}`)
  } finally {
    db.close()
  }
}

describe('rebuildView', () => {
  const openBackend = useEmbeddedBackend()
  const tempDir = useTempDir()
  // Written as in evt.yaml; parsed as reading evt.yaml parses it.
  const view = async (config: Partial<Omit<ViewConfig, 'columns' | 'key'>> & {columns?: Record<string, string>; key?: string}) =>
    compileView(
      'v',
      {
        from: ['items'],
        table: 't',
        ...config,
        columns: Object.fromEntries(Object.entries(config.columns ?? {}).map(([column, text]) => [column, parseColumnLocator(text)])),
        key: parseIdLocator(config.key ?? 'key'),
      },
      tempDir(),
      undefined,
    )
  const json = (value: object) => Buffer.from(JSON.stringify(value))

  it('turns a new optional Avro field into a new nullable column; older rows hold NULL there', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    const v1 = {fields: [{name: 'sku', type: 'string'}, {name: 'price', type: 'double'}], name: 'Item', type: 'record'}
    const v2 = {...v1, fields: [...v1.fields, {default: null, name: 'coupon', type: ['null', 'string']}]}
    const first = await registry.register('items-value', {references: [], schema: JSON.stringify(v1), schemaType: 'AVRO'})
    const second = await registry.register('items-value', {references: [], schema: JSON.stringify(v2), schemaType: 'AVRO'})
    const encode = (id: number, schema: object, value: object) => encodeWire(id, avro.Type.forSchema(schema as avro.Schema).toBuffer(value))
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0, topic: 'items', value: encode(first.id, v1, {price: 1.5, sku: 'a'})},
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: encode(second.id, v2, {coupon: 'SPRING', price: 2, sku: 'b'})},
    ])
    const file = path.join(tempDir(), 'items.db')
    const result = await rebuildView({log, target: new SqliteTarget(file), registry, view: await view({columns: {'*': '$', at: '$timestamp', type: '$type'}})})
    expect(result.typeMismatches).toEqual([])
    expect(columnsOf(file, 't')).toEqual(['key TEXT', 'at TEXT', 'type TEXT', 'sku TEXT', 'price REAL', 'coupon TEXT'])
    expect(rows(file, 'SELECT key, sku, price, coupon, type FROM t ORDER BY key')).toEqual([
      {coupon: null, key: 'a', price: 1.5, sku: 'a', type: 'Item'},
      {coupon: 'SPRING', key: 'b', price: 2, sku: 'b', type: 'Item'},
    ])
  })

  it('types a column from the JSON Schema before it holds a value, so --resume equals a full rebuild; a join view too', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.createTopic('prices', {partitions: 1})
    const register = async (subject: string, properties: object) =>
      (await registry.register(subject, {references: [], schema: JSON.stringify({properties, type: 'object'}), schemaType: 'JSON'})).id
    const items = await register('items-value', {count: {type: 'integer'}, note: {type: ['string', 'null']}, total: {type: 'number'}})
    const prices = await register('prices-value', {item: {type: 'string'}, price: {type: 'number'}})
    const json = (id: number, value: object) => encodeWire(id, Buffer.from(JSON.stringify(value)))
    await log.produce([{key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json(items, {note: null})}])
    const mapped = await view({columns: {count: '$.count', note: '$.note', total: '$.total'}})
    const joined = await compileView(
      'j',
      {
        columns: {},
        from: ['items', 'prices'],
        join: {
          items: {columns: {total: parseColumnLocator('$.total')}, key: parseIdLocator('key')},
          prices: {columns: {price: parseColumnLocator('$.price')}, key: parseIdLocator('$.item')},
        },
        key: parseIdLocator('key'),
        table: 'j',
      },
      tempDir(),
      undefined,
    )
    const [resumed, full, joinFile] = [path.join(tempDir(), 'resumed.db'), path.join(tempDir(), 'full.db'), path.join(tempDir(), 'join.db')]
    await rebuildView({log, registry, target: new SqliteTarget(resumed), view: mapped})
    await rebuildView({log, registry, target: new SqliteTarget(joinFile), view: joined})
    // No record has had a count, a note or a total yet: the schema types them all the same.
    expect(columnsOf(resumed, 't')).toEqual(['key TEXT', 'count INTEGER', 'note TEXT', 'total REAL'])
    // No prices record yet: no schema has said what a price is.
    expect(columnsOf(joinFile, 'j')).toEqual(['key TEXT', 'total REAL', 'price '])

    await log.produce([
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json(items, {count: 2, note: 'x', total: 12})},
      {key: Buffer.from('p'), timestamp: T0 + 2, topic: 'prices', value: json(prices, {item: 'b', price: 3})},
    ])
    await rebuildView({log, registry, resume: true, target: new SqliteTarget(resumed), view: mapped})
    await rebuildView({log, registry, target: new SqliteTarget(full), view: mapped})
    await rebuildView({log, registry, resume: true, target: new SqliteTarget(joinFile), view: joined})
    expect(columnsOf(resumed, 't')).toEqual(columnsOf(full, 't'))
    expect(rows(resumed, 'SELECT * FROM t ORDER BY key')).toEqual(rows(full, 'SELECT * FROM t ORDER BY key'))
    expect(rows(full, 'SELECT key, count, total, typeof(total) AS kind FROM t ORDER BY key')).toEqual([
      {count: null, key: 'a', kind: 'null', total: null},
      {count: 2, key: 'b', kind: 'real', total: 12},
    ])
    expect(columnsOf(joinFile, 'j')).toEqual(['key TEXT', 'total REAL', 'price REAL'])
    expect(rows(joinFile, 'SELECT * FROM j ORDER BY key')).toEqual([
      {key: 'a', price: null, total: null},
      {key: 'b', price: 3, total: 12},
    ])
  })

  it('reports a value whose type no longer matches its column instead of coercing it; --strict keeps the old file', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 2})
    await log.produce([
      {key: Buffer.from('a'), partition: 0, timestamp: T0, topic: 'items', value: json({qty: 3})},
      {key: Buffer.from('b'), partition: 1, timestamp: T0 + 1, topic: 'items', value: json({qty: '12'})},
    ])
    const file = path.join(tempDir(), 'items.db')
    const mapped = await view({columns: {qty: '$.qty'}})
    const result = await rebuildView({log, target: new SqliteTarget(file), registry, view: mapped})
    expect(result.typeMismatches).toEqual([{column: 'qty', count: 1, expected: 'INTEGER', first: ['items[1]@0'], got: 'TEXT'}])
    expect(rows(file, 'SELECT key, qty, typeof(qty) AS type FROM t ORDER BY key')).toEqual([
      {key: 'a', qty: 3, type: 'integer'},
      {key: 'b', qty: null, type: 'null'},
    ])

    const before = readFileSync(file)
    await log.produce([{key: Buffer.from('c'), partition: 0, timestamp: T0 + 2, topic: 'items', value: json({qty: 'many'})}])
    await expect(rebuildView({log, target: new SqliteTarget(file), registry, strict: true, view: mapped})).rejects.toThrow(CheckFailedError)
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('takes the metadata columns and header values a user maps', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([{headers: [['ce_type', Buffer.from('ItemAdded')], ['who', Buffer.from('shop')]], key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({n: {deep: [1, 2]}})}])
    const file = path.join(tempDir(), 'items.db')
    await rebuildView({log, target: new SqliteTarget(file), registry, view: await view({columns: {at: '$timestamp', deep: '$.n.deep', first: '$.n.deep[0]', offset: '$offset', partition: '$partition', topic: '$topic', type: '$type', who: 'header:who'}})})
    expect(rows(file, 'SELECT * FROM t')).toEqual([{at: new Date(T0).toISOString(), deep: '[1,2]', first: 1, key: 'a', offset: 0, partition: 0, topic: 'items', type: 'ItemAdded', who: 'shop'}])
  })

  it('--follow applies records produced after the rebuild, each batch with its offsets', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([{key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({qty: 1})}])
    const file = path.join(tempDir(), 'items.db')
    const mapped = await view({columns: {qty: '$.qty'}})
    await rebuildView({log, target: new SqliteTarget(file), registry, view: mapped})
    const stop = new AbortController()
    let applied = 0
    const following = followView({log, target: new SqliteTarget(file), onApplied: (records) => (applied = records), registry, signal: stop.signal, view: mapped})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0 + 1, topic: 'items', value: null},
      {key: Buffer.from('b'), timestamp: T0 + 2, topic: 'items', value: json({qty: 2})},
    ])
    await expect.poll(() => applied, {timeout: 5000}).toBe(2)
    stop.abort()
    expect(await following).toBe(2)
    expect(rows(file, 'SELECT key, qty FROM t')).toEqual([{key: 'b', qty: 2}])
    expect(rows(file, 'SELECT partition, next_offset FROM _evt_offsets')).toEqual([{next_offset: 3, partition: 0}])
  })

  it('loads a TypeScript projection module that returns rows, deletes and skips', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({qty: 1})},
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json({qty: 0})},
      {key: Buffer.from('c'), timestamp: T0 + 2, topic: 'items', value: json({qty: 5})},
      {key: Buffer.from('c'), timestamp: T0 + 3, topic: 'items', value: json({internal: true})},
    ])
    writeFileSync(
      path.join(tempDir(), 'project.ts'),
      [
        'interface Input { key: string; value: {qty?: number; internal?: boolean} | null }',
        "export function project(record: Input): 'delete' | null | {double: number} {",
        '  if (record.value?.internal) return null',
        "  if (record.value?.qty === 0) return 'delete'",
        '  return {double: (record.value?.qty ?? 0) * 2}',
        '}',
      ].join('\n'),
    )
    const file = path.join(tempDir(), 'items.db')
    await rebuildView({log, target: new SqliteTarget(file), registry, view: await view({module: './project.ts'})})
    expect(rows(file, 'SELECT key, double FROM t ORDER BY key')).toEqual([
      {double: 2, key: 'a'},
      {double: 10, key: 'c'},
    ])
  })

  it("names the record a projection module threw on, as the module's error, and writes nothing", async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({qty: 1})},
      {key: Buffer.from('a'), timestamp: T0 + 1, topic: 'items', value: null},
    ])
    writeFileSync(path.join(tempDir(), 'careless.mjs'), 'export function project(record) { return {qty: record.value.qty} }\n')
    const file = path.join(tempDir(), 'items.db')
    const rebuild = rebuildView({log, target: new SqliteTarget(file), registry, view: await view({module: './careless.mjs'})})
    await expect(rebuild).rejects.toThrow(ConfigError)
    await expect(rebuild).rejects.toThrow(/project\(\) threw on items\[0\]@1 \(a tombstone: its value is null\): Cannot read properties of null/)
    expect(existsSync(file)).toBe(false)
  })

  it('rejects a mapping it cannot read, naming the view and the column', async () => {
    await expect(view({columns: {at: '$time'}})).rejects.toThrow(ConfigError)
    await expect(view({columns: {at: '$time'}})).rejects.toThrow(/'\$time' is not a value path \(\$\.field, \$\.a\.b\[0\], \$\.items\[\*\]\.sku\), \$ for the whole value, header:NAME, or one of \$key, \$offset/)
    await expect(view({columns: {key: '$.id'}})).rejects.toThrow(/column name 'key' is not allowed/)
    await expect(view({columns: {a: '$.a'}, module: './x.js'})).rejects.toThrow(/either columns or a module/)
    await expect(view({columns: {a: '$.a'}, table: 'drop table'})).rejects.toThrow(/not a plain SQL name/)
  })
})
