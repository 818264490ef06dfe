import path from 'node:path'
import Database from 'better-sqlite3'
import {describe, expect, it} from 'vitest'

import {parseColumnLocator, parseIdLocator} from '../../../src/lib/config/locator.js'
import type {OutgoingRecord} from '../../../src/lib/log/event-log.js'
import {ColumnTypes, type SqlType} from '../../../src/lib/views/column-types.js'
import {SqliteTarget} from '../../../src/lib/views/sqlite/sqlite-target.js'
import {rebuildView} from '../../../src/lib/views/rebuild-view.js'
import {compileView} from '../../../src/lib/views/view-definition.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'
import {useTempDir} from '../../helpers/temp-dir.js'

/*
 * A column's type must never cost good values: one odd value among numbers once made the column
 * TEXT (the first key in sort order decided) and every number NULL; a column created before any
 * value arrived stayed TEXT, so --resume stored every later number as NULL.
 */
describe('view column types', () => {
  const openBackend = useEmbeddedBackend()
  const tempDir = useTempDir()
  const T0 = Date.parse('2026-05-01T10:00:00Z')
  const record = (key: string, value: object, at: number): OutgoingRecord => ({key: Buffer.from(key), partition: 0, timestamp: T0 + at, topic: 'orders', value: Buffer.from(JSON.stringify(value))})
  const view = () => compileView('orders', {columns: {note: parseColumnLocator('$.note'), total: parseColumnLocator('$.total')}, from: ['orders'], key: parseIdLocator('key'), table: 'orders'}, tempDir(), undefined)
  const read = (file: string) => {
    const db = new Database(file, {readonly: true})
    try {
      return {
        columns: (db.pragma('table_info(orders)') as {name: string; type: string}[]).map((c) => `${c.name} ${c.type}`),
        rows: db.prepare('SELECT * FROM orders ORDER BY key').all(),
      }
    } finally {
      db.close()
    }
  }

  it('types a column by most of its values: one text among numbers is the one stored NULL, and reported', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('orders', {partitions: 1})
    // 'a' sorts first and holds the odd value.
    await log.produce([record('a', {total: 'lots'}, 0), record('b', {total: 1.5}, 1), record('c', {total: 2.5}, 2)])
    const file = path.join(tempDir(), 'orders.db')
    const result = await rebuildView({log, target: new SqliteTarget(file), registry, view: await view()})
    expect(read(file).columns).toEqual(['key TEXT', 'note ', 'total REAL'])
    expect(read(file).rows).toEqual([
      {key: 'a', note: null, total: null},
      {key: 'b', note: null, total: 1.5},
      {key: 'c', note: null, total: 2.5},
    ])
    expect(result.typeMismatches).toEqual([{column: 'total', count: 1, expected: 'REAL', first: ['orders[0]@0'], got: 'TEXT'}])
  })

  it('keeps the type evt.yaml declares (type: real), even when most values are text: those are reported, the numbers kept', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('orders', {partitions: 1})
    await log.produce([record('a', {total: 'lots'}, 0), record('b', {total: 'many'}, 1), record('c', {total: 2}, 2)])
    const typed = await compileView('orders', {columnTypes: {note: 'blob', total: 'real'}, columns: {note: parseColumnLocator('$.note'), total: parseColumnLocator('$.total')}, from: ['orders'], key: parseIdLocator('key'), table: 'orders'}, tempDir(), undefined)
    const untyped = await view()
    // A declared type is part of the definition: a build without it cannot be resumed with it.
    expect(typed.hash).not.toBe(untyped.hash)
    const file = path.join(tempDir(), 'orders.db')
    const result = await rebuildView({log, target: new SqliteTarget(file), registry, view: typed})
    expect(read(file).columns).toEqual(['key TEXT', 'note BLOB', 'total REAL'])
    expect(read(file).rows).toEqual([
      {key: 'a', note: null, total: null},
      {key: 'b', note: null, total: null},
      {key: 'c', note: null, total: 2},
    ])
    expect(result.typeMismatches).toEqual([{column: 'total', count: 2, expected: 'REAL', first: ['orders[0]@0', 'orders[0]@1'], got: 'TEXT'}])
  })

  it('gives a column that had no value its type when values arrive: --resume equals a full rebuild', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('orders', {partitions: 1})
    const file = path.join(tempDir(), 'orders.db')
    // Built over an empty topic: the columns exist, untyped.
    await rebuildView({log, target: new SqliteTarget(file), registry, view: await view()})
    expect(read(file).columns).toEqual(['key TEXT', 'note ', 'total '])

    await log.produce([record('a', {note: 'gift', total: 12.5}, 0), record('b', {total: 3}, 1)])
    const resumed = await rebuildView({log, target: new SqliteTarget(file), registry, resume: true, view: await view()})
    expect(resumed.typeMismatches).toEqual([])
    const full = path.join(tempDir(), 'full.db')
    await rebuildView({log, target: new SqliteTarget(full), registry, view: await view()})
    expect(read(file).rows).toEqual([
      {key: 'a', note: 'gift', total: 12.5},
      {key: 'b', note: null, total: 3},
    ])
    expect(read(file).columns).toEqual(['key TEXT', 'note TEXT', 'total REAL'])
    expect(read(file)).toEqual(read(full))
  })
})

describe('tombstones of a view keyed by a value path', () => {
  const openBackend = useEmbeddedBackend()
  const tempDir = useTempDir()
  const T0 = Date.parse('2026-05-01T10:00:00Z')
  const value = (key: string, fields: object | null, at: number): OutgoingRecord => ({
    key: Buffer.from(key),
    partition: 0,
    timestamp: T0 + at,
    topic: 'payments',
    value: fields === null ? null : Buffer.from(JSON.stringify(fields)),
  })
  const view = () =>
    compileView('paid', {columns: {amount: parseColumnLocator('$.amount')}, from: ['payments'], key: parseIdLocator('$.orderId'), table: 'paid'}, tempDir(), undefined)
  const rows = (file: string) => {
    const db = new Database(file, {readonly: true})
    try {
      return db.prepare('SELECT key, amount FROM paid ORDER BY key').all()
    } finally {
      db.close()
    }
  }

  it('delete the rows their record key wrote, in this chunk or an earlier build, and not rows written again after them', async () => {
    const {log, registry} = await openBackend()
    await log.createTopic('payments', {partitions: 1})
    await log.produce([
      value('P-1', {amount: 10, orderId: '1'}, 0),
      value('P-2', {amount: 20, orderId: '2'}, 1),
      value('P-3', {amount: 30, orderId: '3'}, 2),
      // Same chunk: P-1's row goes; P-3 is deleted and then written again.
      value('P-1', null, 3),
      value('P-3', null, 4),
      value('P-3', {amount: 33, orderId: '3'}, 5),
    ])
    const file = path.join(tempDir(), 'paid.db')
    const built = await rebuildView({log, target: new SqliteTarget(file), registry, view: await view()})
    expect(built.tombstones).toBe(2)
    expect(rows(file)).toEqual([
      {amount: 20, key: '2'},
      {amount: 33, key: '3'},
    ])

    // A later tombstone deletes what an earlier build stored; --resume equals a full rebuild.
    await log.produce([value('P-2', null, 6)])
    await rebuildView({log, target: new SqliteTarget(file), registry, resume: true, view: await view()})
    expect(rows(file)).toEqual([{amount: 33, key: '3'}])
    const full = path.join(tempDir(), 'full.db')
    await rebuildView({log, target: new SqliteTarget(full), registry, view: await view()})
    expect(rows(full)).toEqual(rows(file))
  })
})

describe('the text a DATE, TIMESTAMP or DECIMAL column takes', () => {
  const record = {headers: [], key: null, offset: 7, partition: 0, timestamp: 0, topic: 'orders', value: null}
  const stored = (type: SqlType, value: unknown) => new ColumnTypes(new Map([['c', type]])).cells({record, row: {c: value}}, ['c'])[0]

  it('keeps real days and times in ISO form, and numbers as decimals; anything else is NULL', () => {
    for (const day of ['2024-02-29', '2000-02-29', '1999-12-31', '0999-01-01']) expect(stored('DATE', day)).toBe(day)
    for (const day of ['2023-02-29', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '26-01-01', '2026-01-01T00:00:00Z', 20_600]) expect(stored('DATE', day)).toBeNull()
    for (const time of ['2026-05-01T23:59:59Z', '2026-05-01T10:00:00.123456Z', '2024-02-29T00:00:00.5Z']) expect(stored('TIMESTAMP', time)).toBe(time)
    for (const time of ['2026-05-01T24:00:00Z', '2026-05-01T10:60:00Z', '2026-05-01 10:00:00Z', '+010000-01-01T00:00:00.000Z', '2026-05-01T10:00:00+02:00']) expect(stored('TIMESTAMP', time)).toBeNull()
    for (const amount of ['12.50', '-0.01', '7', 12.5, 10n]) expect(stored('DECIMAL', amount)).toBe(amount)
    for (const amount of ['1e5', '12,50', '.5', 'NaN', Number.NaN]) expect(stored('DECIMAL', amount)).toBeNull()
  })
})
