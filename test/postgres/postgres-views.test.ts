import {writeFileSync} from 'node:fs'
import path from 'node:path'

import pg from 'pg'
import {afterEach, describe, expect, inject, it} from 'vitest'

import {parseColumnLocator, parseIdLocator} from '../../src/lib/config/locator.js'
import {followView, rebuildView} from '../../src/lib/views/rebuild-view.js'
import {PostgresTarget} from '../../src/lib/views/postgres/postgres-target.js'
import {compileView} from '../../src/lib/views/view-definition.js'
import {buildSchemaCodec} from '../../src/lib/codec/schema-codec.js'
import {encodeWire} from '../../src/lib/codec/wire-format.js'
import {diffView} from '../../src/lib/views/view-diff.js'
import {postgresTarget} from '../contract/view-targets.js'
import {useEmbeddedBackend} from '../helpers/embedded-backend.js'
import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'

const T0 = Date.parse('2026-05-01T10:00:00Z')
const server = inject('postgres')
const databases = postgresTarget(server)

describe('views in PostgreSQL', () => {
  const openBackend = useEmbeddedBackend()
  const tempDir = useTempDir()
  const targets: PostgresTarget[] = []
  afterEach(async () => {
    for (const target of targets.splice(0)) await target.close()
  })
  const target = (db: string, table = 't') => {
    const opened = new PostgresTarget(db, table)
    targets.push(opened)
    return opened
  }

  const view = (columns: Record<string, string>, key = 'key') =>
    compileView('v', {columns: Object.fromEntries(Object.entries(columns).map(([column, text]) => [column, parseColumnLocator(text)])), from: ['items'], key: parseIdLocator(key), table: 't'}, tempDir(), undefined)
  const json = (value: object) => Buffer.from(JSON.stringify(value))
  const columnTypes = async (db: string) =>
    (await query(db, "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position")).map((c) => `${c.name} ${c.type}`)

  it('--follow applies each batch with its offsets, and moves to the new table when another rebuild swaps it in', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([{key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({qty: 1})}])
    const db = await databases.database(tempDir())
    const mapped = await view({qty: '$.qty'})
    await rebuildView({log, registry, target: target(db), view: mapped})
    const stop = new AbortController()
    let applied = 0
    const warnings: string[] = []
    const following = followView({log, onApplied: (records) => (applied = records), registry, signal: stop.signal, target: target(db), view: mapped, warn: (message) => warnings.push(message)})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0 + 1, topic: 'items', value: null},
      {key: Buffer.from('b'), timestamp: T0 + 2, topic: 'items', value: json({qty: 2})},
    ])
    await expect.poll(() => applied, {timeout: 5000}).toBe(2)
    expect(await query(db, 'SELECT key, qty FROM t')).toEqual([{key: 'b', qty: '2'}])
    expect(await query(db, "SELECT partition, next_offset FROM _evt_offsets WHERE table_name = 't'")).toEqual([{next_offset: '3', partition: 0}])

    // Another rebuild swaps a new table in; records after it must land in the new table, not the dropped one.
    await rebuildView({log, registry, target: target(db), view: mapped})
    await log.produce([{key: Buffer.from('c'), timestamp: T0 + 3, topic: 'items', value: json({qty: 3})}])
    await expect.poll(async () => query(db, 'SELECT key, qty FROM t ORDER BY key'), {timeout: 5000}).toEqual([
      {key: 'b', qty: '2'},
      {key: 'c', qty: '3'},
    ])
    stop.abort()
    await following
    expect(warnings.join('\n')).toMatch(/was replaced by another rebuild of view 'v': following the new build/)
    expect(await query(db, "SELECT next_offset FROM _evt_offsets WHERE table_name = 't'")).toEqual([{next_offset: '4'}])
  })

  it('types columns as SQLite does, and --resume types a column that had no value yet as a full rebuild does', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([{key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({name: 'a'})}])
    const [resumed, full] = [await databases.database(tempDir()), await databases.database(tempDir())]
    const mapped = await view({blob: '$.blob', n: '$.n', name: '$.name', total: '$.total'})
    await rebuildView({log, registry, target: target(resumed), view: mapped})
    // Columns with no value yet exist, untyped (text) until values come.
    expect(await columnTypes(resumed)).toEqual(['key text', 'blob text', 'n text', 'name text', 'total text'])

    await log.produce([
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json({n: 7, name: 'b', total: 12.5})},
      {key: Buffer.from('c'), timestamp: T0 + 2, topic: 'items', value: json({n: 8, name: 'c', total: 'lots'})},
      {key: Buffer.from('d'), timestamp: T0 + 3, topic: 'items', value: json({n: 9, name: 'd', total: 3})},
    ])
    const caughtUp = await rebuildView({log, registry, resume: true, target: target(resumed), view: mapped})
    await rebuildView({log, registry, target: target(full), view: mapped})
    expect(await columnTypes(resumed)).toEqual(await columnTypes(full))
    expect(await columnTypes(full)).toEqual(['key text', 'blob text', 'n bigint', 'name text', 'total double precision'])
    expect(await query(resumed, 'SELECT * FROM t ORDER BY key')).toEqual(await query(full, 'SELECT * FROM t ORDER BY key'))
    expect(await query(full, 'SELECT key, n, total FROM t ORDER BY key')).toEqual([
      {key: 'a', n: null, total: null},
      {key: 'b', n: '7', total: 12.5},
      {key: 'c', n: '8', total: null},
      {key: 'd', n: '9', total: 3},
    ])
    expect(caughtUp.typeMismatches).toEqual([{column: 'total', count: 1, expected: 'REAL', first: ['items[0]@2'], got: 'TEXT'}])
  })

  it('leaves a permanent table with permanent indexes, after a full build and after --resume (builds are UNLOGGED until they finish)', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([{key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({id: 'x', qty: 1})}])
    const db = await databases.database(tempDir())
    const keyedByValue = await view({qty: '$.qty'}, '$.id')
    const persistence = async () => query(db, "SELECT c.relname AS name, c.relpersistence AS persistence FROM pg_class c WHERE c.relname = 't' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 't'::regclass) ORDER BY c.relname")
    await rebuildView({log, registry, target: target(db), view: keyedByValue})
    expect(await persistence()).toEqual([{name: 't', persistence: 'p'}, {name: 't_evt_key_idx', persistence: 'p'}, {name: 't_pkey', persistence: 'p'}])
    await log.produce([{key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json({id: 'y', qty: 2})}])
    await rebuildView({log, registry, resume: true, target: target(db), view: keyedByValue})
    expect(await persistence()).toEqual([{name: 't', persistence: 'p'}, {name: 't_evt_key_idx', persistence: 'p'}, {name: 't_pkey', persistence: 'p'}])
    expect(await query(db, 'SELECT key, qty FROM t ORDER BY key')).toEqual([{key: 'x', qty: '1'}, {key: 'y', qty: '2'}])
  })

  it('widens an integer column when a fraction arrives, stores no NUL text, and agrees with SQLite on every value', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({n: 1, note: 'fine'})},
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json({n: 2 ** 60, note: 'nul \u0000 inside'})},
    ])
    const db = await databases.database(tempDir())
    const mapped = await view({n: '$.n', note: '$.note'})
    await rebuildView({log, registry, target: target(db), view: mapped})
    await log.produce([{key: Buffer.from('c'), timestamp: T0 + 2, topic: 'items', value: json({n: 2.5, note: 'later'})}])
    const resumed = await rebuildView({log, registry, resume: true, target: target(db), view: mapped})
    expect(await columnTypes(db)).toEqual(['key text', 'n double precision', 'note text'])
    expect(await query(db, 'SELECT key, n, note FROM t ORDER BY key')).toEqual([
      {key: 'a', n: 1, note: 'fine'},
      {key: 'b', n: 2 ** 60, note: null},
      {key: 'c', n: 2.5, note: 'later'},
    ])

    // The log as SQLite holds it: the NUL text PostgreSQL cannot hold is the one difference, reported at the rebuild.
    const diff = await diffView({log, registry, target: target(db), view: mapped})
    expect(diff.changed).toEqual([{columns: {note: {local: null, log: 'nul \u0000 inside'}}, key: 'b'}])
    expect(diff.missing.length + diff.extra.length).toBe(0)
    expect((await rebuildView({log, registry, target: target(db), view: mapped})).typeMismatches).toEqual([
      {column: 'note', count: 1, expected: 'TEXT', first: ['items[0]@1'], got: 'TEXT with a NUL character'},
    ])
    expect(resumed.typeMismatches).toEqual([])
  })

  it('keeps the types evt.yaml declares', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({n: 'seven', total: 'lots'})},
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json({n: 7, total: 2})},
    ])
    const db = await databases.database(tempDir())
    const typed = await compileView('v', {columnTypes: {n: 'text', total: 'real'}, columns: {n: parseColumnLocator('$.n'), total: parseColumnLocator('$.total')}, from: ['items'], key: parseIdLocator('key'), table: 't'}, tempDir(), undefined)
    const result = await rebuildView({log, registry, target: target(db), view: typed})
    expect(await columnTypes(db)).toEqual(['key text', 'n text', 'total double precision'])
    expect(await query(db, 'SELECT key, n, total FROM t ORDER BY key')).toEqual([
      {key: 'a', n: 'seven', total: null},
      {key: 'b', n: null, total: 2},
    ])
    expect(result.typeMismatches.map(({column, got}) => `${column}:${got}`).sort()).toEqual(['n:INTEGER', 'total:TEXT'])
  })

  it('types columns from the Avro schema: decimal, timestamps and date as numeric, timestamptz and date, a field that is null so far too', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    const schema = {
      fields: [
        {name: 'total', type: {logicalType: 'decimal', precision: 9, scale: 2, type: 'bytes'}},
        {name: 'placedAt', type: {logicalType: 'timestamp-millis', type: 'long'}},
        {name: 'seenAt', type: {logicalType: 'timestamp-micros', type: 'long'}},
        {name: 'shipBy', type: {logicalType: 'date', type: 'int'}},
        {default: null, name: 'discount', type: ['null', 'double']},
        {name: 'big', type: 'long'},
      ],
      name: 'Item',
      type: 'record',
    }
    const stored = {references: [], schema: JSON.stringify(schema), schemaType: 'AVRO' as const}
    const {id} = await registry.register('items-value', stored)
    // Encoded as `evt topic produce` does: logical values and a long beyond 2^53 as the text evt prints them.
    const codec = await buildSchemaCodec({...stored, id}, registry)
    const item = (value: object) => encodeWire(id, codec.encode(value))
    const a = {big: '7', discount: null, placedAt: '2026-05-01T10:00:01.250Z', seenAt: '2026-05-01T10:00:01.250250Z', shipBy: '2026-05-27', total: '12.50'}
    const b = {big: String(2n ** 60n + 1n), discount: 0.5, placedAt: '2026-05-01T10:00:00.099Z', seenAt: '2026-05-01T10:00:00.000001Z', shipBy: '1999-12-31', total: '-0.99'}
    await log.produce([{key: Buffer.from('a'), timestamp: T0, topic: 'items', value: item(a)}])
    const [resumed, full] = [await databases.database(tempDir()), await databases.database(tempDir())]
    const mapped = await view({big: '$.big', discount: '$.discount', paid: '$timestamp', placed_at: '$.placedAt', seen_at: '$.seenAt', ship_by: '$.shipBy', total: '$.total'})
    await rebuildView({log, registry, target: target(resumed), view: mapped})
    const expectedTypes = [
      'key text',
      'big bigint',
      'discount double precision',
      'paid timestamp with time zone',
      'placed_at timestamp with time zone',
      'seen_at timestamp with time zone',
      'ship_by date',
      'total numeric',
    ]
    // discount holds no value yet, and is typed by the schema all the same.
    expect(await columnTypes(resumed)).toEqual(expectedTypes)

    await log.produce([{key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: item(b)}])
    const caughtUp = await rebuildView({log, registry, resume: true, target: target(resumed), view: mapped})
    const built = await rebuildView({log, registry, target: target(full), view: mapped})
    expect(await columnTypes(full)).toEqual(expectedTypes)
    expect(caughtUp.typeMismatches).toEqual([])
    expect(built.typeMismatches).toEqual([])
    const rows = await query(full, `SELECT key, big::text, total::text, ${['placed_at', 'seen_at', 'paid'].map((c) => `(${c} AT TIME ZONE 'UTC')::text AS ${c}`).join(', ')}, ship_by::text, discount FROM t ORDER BY key`)
    expect(rows).toEqual([
      {big: '7', discount: null, key: 'a', paid: '2026-05-01 10:00:00', placed_at: '2026-05-01 10:00:01.25', seen_at: '2026-05-01 10:00:01.25025', ship_by: '2026-05-27', total: '12.50'},
      {big: '1152921504606846977', discount: 0.5, key: 'b', paid: '2026-05-01 10:00:00.001', placed_at: '2026-05-01 10:00:00.099', seen_at: '2026-05-01 10:00:00.000001', ship_by: '1999-12-31', total: '-0.99'},
    ])
    expect(await query(resumed, 'SELECT * FROM t ORDER BY key')).toEqual(await query(full, 'SELECT * FROM t ORDER BY key'))
    // Read back through evt, the values are the text evt decodes them to: nothing differs from the log.
    const diff = await diffView({log, registry, target: target(full), view: mapped})
    expect(diff.changed).toEqual([])
    expect(diff.missing.length + diff.extra.length).toBe(0)
  })

  it('keeps declared decimal, timestamp and date columns: numbers are decimals, text not in the form is reported, and the build goes on', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('items', {partitions: 1})
    await log.produce([
      {key: Buffer.from('a'), timestamp: T0, topic: 'items', value: json({at: '2026-05-01T10:00:00Z', day: '2026-05-02', price: 12.5})},
      {key: Buffer.from('b'), timestamp: T0 + 1, topic: 'items', value: json({at: 'yesterday', day: '2026-13', price: '0.10'})},
      {key: Buffer.from('c'), timestamp: T0 + 2, topic: 'items', value: json({at: '2026-05-01T10:00:00.123456Z', day: 20_600, price: 'cheap'})},
      {key: Buffer.from('d'), timestamp: T0 + 3, topic: 'items', value: json({at: '2026-05-01T25:00:00Z', day: '2026-02-30', price: -3})},
    ])
    const db = await databases.database(tempDir())
    const columns = {at: parseColumnLocator('$.at'), day: parseColumnLocator('$.day'), price: parseColumnLocator('$.price')}
    const typed = await compileView('v', {columnTypes: {at: 'timestamp', day: 'date', price: 'decimal'}, columns, from: ['items'], key: parseIdLocator('key'), table: 't'}, tempDir(), undefined)
    const result = await rebuildView({log, registry, target: target(db), view: typed})
    expect(await columnTypes(db)).toEqual(['key text', 'at timestamp with time zone', 'day date', 'price numeric'])
    expect(await query(db, `SELECT key, (at AT TIME ZONE 'UTC')::text AS at, day::text, price::text FROM t ORDER BY key`)).toEqual([
      {at: '2026-05-01 10:00:00', day: '2026-05-02', key: 'a', price: '12.5'},
      {at: null, day: null, key: 'b', price: '0.10'},
      {at: '2026-05-01 10:00:00.123456', day: null, key: 'c', price: null},
      {at: null, day: null, key: 'd', price: '-3'},
    ])
    expect(result.typeMismatches.map(({column, first, got}) => `${column}:${got}:${first.join(',')}`).sort()).toEqual([
      'at:TEXT:items[0]@1,items[0]@3',
      'day:INTEGER:items[0]@2',
      'day:TEXT:items[0]@1,items[0]@3',
      'price:TEXT:items[0]@2',
    ])
  })

  it('never prints the password, and says which server it cannot reach', async () => {
    const dir = tempDir()
    const db = await databases.database(dir)
    const withPassword = db.replace('postgres@', 'postgres:s3cret-pw@')
    const env = {EVT_HOME: path.join(dir, '.evt'), PGPASS_FOR_TEST: 's3cret-pw'}
    expect((await runCli(['demo'], {cwd: dir, env})).code).toBe(0)
    // The demo's log, with a view built in PostgreSQL; the password comes from the environment.
    writeFileSync(path.join(dir, 'evt.yaml'), 'views:\n  v: {from: [orders], table: t, key: key, columns: {status: $.status}, target: "postgres://postgres:${PGPASS_FOR_TEST}@127.0.0.1:1/evt"}\n')
    const unreachable = await runCli(['rebuild', 'view', 'v'], {cwd: dir, env})
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toMatch(/^Error: cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/evt: connect ECONNREFUSED/m)

    const built = await runCli(['rebuild', 'view', 'v', '--db', withPassword, '--json'], {cwd: dir, env})
    expect(built.code).toBe(0)
    expect(JSON.parse(built.stdout).db).toBe(`${db} (table t)`)
    const diff = await runCli(['view', 'diff', 'v', '--db', withPassword], {cwd: dir, env})
    expect(diff.code).toBe(0)
    for (const output of [unreachable, built, diff]) expect(output.stdout + output.stderr).not.toContain('s3cret')
  })
})

async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({connectionString: db})
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}
