import {randomUUID} from 'node:crypto'
import {copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {trustConfig, trustStoreFile} from '../../src/lib/config/trust.js'
import type {ClusterConfig} from '../../src/lib/config/types.js'
import {lastHeader, type LogRecord, type OutgoingRecord} from '../../src/lib/log/event-log.js'
import {readAll} from '../helpers/read-all.js'
import {cleanEnv, runCli} from '../helpers/run-cli.js'
import {useClusterUnderTest} from '../helpers/cluster-under-test.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {type Row, sqliteTarget, type TargetUnderTest} from './view-targets.js'

const T0 = Date.parse('2026-04-01T08:00:00Z')

/**
 * `evt rebuild view`, `evt view diff` and `evt replay`, run as a user runs them (bin/run.js against
 * an evt.yaml naming the cluster under test), checked against what the log holds — with the views
 * built where `target` keeps them (a SQLite file each, or tables in a PostgreSQL database).
 */
export function viewContract(name: string, cluster: () => ClusterConfig, target: TargetUnderTest = sqliteTarget): void {
  describe(`views${target.kind === 'sqlite' ? ' and replay' : ''}: ${name}, ${target.kind}`, () => {
    const tempDir = useTempDir()
    const under = useClusterUnderTest(cluster)

    /**
     * A project dir whose evt.yaml points at the cluster under test and defines views over `topic`,
     * each with its `target:` in a database of the project's own; `db(view)` says where.
     */
    const project = async (topic: string): Promise<{db: (view: string) => string; dir: string}> => {
      const dir = tempDir()
      const database = await target.database(dir)
      const db = (view: string) => target.place(database, view)
      writeFileSync(
        path.join(dir, 'evt.yaml'),
        [
          `clusters: {under-test: ${under.yaml}}`,
          'default: under-test',
          'views:',
          `  items: {from: [${topic}], table: items, key: key, columns: {name: $.name, qty: $.qty, tags: $.tags, source: 'header:source', at: $timestamp}, target: '${db('items')}'}`,
          `  by-sku: {from: [${topic}], table: skus, key: $.sku, columns: {name: $.name}, target: '${db('by-sku')}'}`,
          `  slow: {from: [${topic}], table: slow, module: ./slow-projection.mjs, target: '${db('slow')}'}`,
        ].join('\n'),
      )
      // A projection module that takes 1 ms a record, so a test can kill a rebuild half-way.
      writeFileSync(
        path.join(dir, 'slow-projection.mjs'),
        `export function project(record) {\n  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)\n  return record.value === null ? 'delete' : {name: record.value.name}\n}\n`,
      )
      // As `evt trust` would: the module runs only from a trusted evt.yaml.
      trustConfig({configFile: path.join(dir, 'evt.yaml'), modules: [path.join(dir, 'slow-projection.mjs')], store: trustStoreFile(cleanEnv())})
      return {db, dir}
    }

    const evt = (dir: string, ...args: string[]) => runCli(args, {cwd: dir})

    /** Updates of 40 keys over 3 partitions, with tombstones and a few records without a key. */
    const seed = async (topic: string, count: number, first = 0): Promise<void> => {
      const records: OutgoingRecord[] = []
      for (let i = first; i < first + count; i++) {
        const key = `k${(i * 7) % 40}`
        const tombstone = i % 11 === 5
        const keyless = i % 29 === 3
        records.push({
          headers: [['source', Buffer.from(`svc-${i % 3}`)]],
          key: keyless ? null : Buffer.from(key),
          timestamp: T0 + i * 1000,
          topic,
          value: tombstone ? null : Buffer.from(JSON.stringify({name: `${key}-v${i}`, qty: i, sku: keyless ? undefined : `sku-${i % 17}`, tags: i % 4 === 0 ? ['a', {b: i}] : null})),
        })
      }

      await under.backend.log.produce(records)
    }

    const newTopic = async (partitions = 3): Promise<string> => {
      const topic = `view${randomUUID().slice(0, 8)}`
      await under.backend.log.createTopic(topic, {partitions, retainForever: true})
      return topic
    }

    /** Last value per key, computed from the raw log: records in time order, tombstones delete. */
    const expectedRows = (records: LogRecord[]): Row[] => {
      const rows = new Map<string, Row>()
      for (const record of [...records].sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset)) {
        if (record.key === null) continue
        const key = record.key.toString()
        if (record.value === null) {
          rows.delete(key)
          continue
        }

        const value = JSON.parse(record.value.toString())
        rows.set(key, {at: new Date(record.timestamp).toISOString(), key, name: value.name, qty: value.qty, source: lastHeader(record.headers, 'source')!.toString(), tags: value.tags === null ? null : JSON.stringify(value.tags)})
      }

      return [...rows.values()].sort((a, b) => ((a.key as string) < (b.key as string) ? -1 : 1))
    }

    it('rebuild equals the last value per key of the log, tombstones applied, keyless records counted', async () => {
      const topic = await newTopic()
      await seed(topic, 300)
      const {db, dir} = await project(topic)
      const result = await evt(dir, 'rebuild', 'view', 'items', '--json')
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const summary = JSON.parse(result.stdout)
      const records = await readAll(under.backend.log, topic)
      const expected = expectedRows(records)
      expect(await target.rows(db('items'), 'items')).toEqual(expected)
      expect(summary).toMatchObject({records: 300, rows: expected.length, tombstones: records.filter((r) => r.value === null).length, view: 'items'})
      expect(summary.missingKey.count).toBe(records.filter((r) => r.key === null && r.value !== null).length)
      const highs = Object.fromEntries((await under.backend.log.watermarks(topic)).map((m) => [String(m.partition), m.high]))
      expect(summary.offsets).toEqual({[topic]: highs})
    })

    it('--resume after new records equals a full rebuild; a changed definition refuses --resume', async () => {
      const topic = await newTopic()
      await seed(topic, 200)
      const {db, dir} = await project(topic)
      expect((await evt(dir, 'rebuild', 'view', 'items')).code).toBe(0)
      await seed(topic, 150, 200)
      const resumed = await evt(dir, 'rebuild', 'view', 'items', '--resume', '--json')
      expect(resumed.code).toBe(0)
      expect(JSON.parse(resumed.stdout)).toMatchObject({records: 150, resumed: true})
      const full = target.place(await target.database(dir), 'full')
      expect((await evt(dir, 'rebuild', 'view', 'items', '--db', full)).code).toBe(0)
      expect(await target.rows(db('items'), 'items')).toEqual(await target.rows(full, 'items'))
      expect(await target.rows(full, 'items')).toEqual(expectedRows(await readAll(under.backend.log, topic)))

      writeFileSync(path.join(dir, 'evt.yaml'), readFileSync(path.join(dir, 'evt.yaml'), 'utf8').replace('qty: $.qty, ', ''))
      const before = await target.fingerprint(full, 'items')
      const refused = await evt(dir, 'rebuild', 'view', 'items', '--db', full, '--resume')
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/definition of view 'items' changed .*full rebuild/s)
      expect(await target.fingerprint(full, 'items')).toBe(before)
    })

    it('a rebuild killed with SIGKILL half-way leaves the old build identical; the next run removes the leftover and succeeds', async () => {
      const topic = await newTopic()
      await seed(topic, 600)
      const {db, dir} = await project(topic)
      expect((await evt(dir, 'rebuild', 'view', 'slow')).code).toBe(0)
      const before = await target.fingerprint(db('slow'), 'slow')
      await seed(topic, 600, 600)
      let leftovers: string[] = []
      const killed = await runCli(['rebuild', 'view', 'slow'], {
        cwd: dir,
        onSpawn(child) {
          const poll = async (): Promise<void> => {
            leftovers = await target.leftovers(db('slow'), 'slow')
            // Well inside the ~1.2 s the slow projection needs for these records.
            if (leftovers.length > 0) setTimeout(() => child.kill('SIGKILL'), 150)
            else if (child.exitCode === null) setTimeout(poll, 10)
          }

          void poll()
        },
      })
      expect(killed.code).toBeNull()
      expect(await target.fingerprint(db('slow'), 'slow')).toBe(before)
      expect(await target.leftovers(db('slow'), 'slow')).toHaveLength(1)

      const again = await evt(dir, 'rebuild', 'view', 'slow', '--json')
      expect(again.code).toBe(0)
      expect(JSON.parse(again.stdout).records).toBe(1200)
      expect(await target.leftovers(db('slow'), 'slow')).toHaveLength(0)
    })

    it('view diff reports exactly the rows deleted, changed and inserted by hand, and nothing after a rebuild', async () => {
      const topic = await newTopic()
      await seed(topic, 120)
      const {db, dir} = await project(topic)
      expect((await evt(dir, 'rebuild', 'view', 'items')).code).toBe(0)
      // A SQLite copy is a file of its own; a PostgreSQL copy is edited in place.
      const copy = target.kind === 'sqlite' ? path.join(dir, 'copy.db') : db('items')
      if (copy !== db('items')) copyFileSync(db('items'), copy)
      const clean = await evt(dir, 'view', 'diff', 'items', '--db', copy)
      expect(clean.code).toBe(0)
      expect(clean.stdout).toMatch(/matches view items/)

      const rows = await target.rows(copy, 'items')
      await target.exec(copy, `DELETE FROM items WHERE key = '${rows[0].key}'; UPDATE items SET name = 'edited', qty = qty + 1 WHERE key = '${rows[1].key}'; INSERT INTO items (key, name) VALUES ('hand-made', 'x')`)
      const before = await target.fingerprint(copy, 'items')
      const diverged = await evt(dir, 'view', 'diff', 'items', '--db', copy, '--json')
      expect(diverged.code).toBe(1)
      const diff = JSON.parse(diverged.stdout)
      expect(diff.missing.map((m: {key: string}) => m.key)).toEqual([rows[0].key])
      expect(diff.missing[0].row).toMatchObject({name: rows[0].name, qty: rows[0].qty})
      expect(diff.extra).toEqual([{key: 'hand-made', row: expect.objectContaining({name: 'x', qty: null})}])
      expect(diff.changed).toEqual([{columns: {name: {local: 'edited', log: rows[1].name}, qty: {local: (rows[1].qty as number) + 1, log: rows[1].qty}}, key: rows[1].key}])
      expect(await target.fingerprint(copy, 'items')).toBe(before)
    })

    it('a join view folds three topics into one row per id: each topic its own columns, absent fields kept, tombstones of deletes only', async () => {
      const [orders, payments, shipments] = [await newTopic(), await newTopic(2), await newTopic(1)]
      const records: OutgoingRecord[] = []
      // Unique timestamps across topics: the fold below applies records in time order.
      for (let i = 0; i < 240; i++) {
        const id = `o${(i * 7) % 30}`
        const timestamp = T0 + i * 1000
        const json = (value: object) => Buffer.from(JSON.stringify(value))
        if (i % 3 === 0) records.push({key: Buffer.from(id), timestamp, topic: orders, value: i % 13 === 6 ? null : json({status: `s${i}`, total: i})})
        else if (i % 3 === 1) records.push({key: Buffer.from(`p${i}`), timestamp, topic: payments, value: i % 5 === 1 ? json({id, method: `m${i}`}) : json({id})})
        else records.push({key: Buffer.from(`x${i}`), timestamp, topic: shipments, value: i % 11 === 2 ? null : json(i % 4 === 0 ? {carrier: `c${i}`, id} : {id, note: 'no carrier here'})})
      }

      await under.backend.log.produce(records)
      const dir = tempDir()
      const database = await target.database(dir)
      const db = target.place(database, 'status')
      const view = [
        'views:',
        '  status:',
        '    key: orderId',
        `    target: '${db}'`,
        '    from:',
        `      ${orders}: {key: key, columns: {status: $.status, total: $.total}}`,
        `      ${payments}: {key: $.id, columns: {method: $.method, paid_at: $timestamp}}`,
        `      ${shipments}: {key: $.id, columns: {carrier: $.carrier}}`,
        `    deletes: ${orders}`,
      ]
      writeFileSync(path.join(dir, 'evt.yaml'), [`clusters: {under-test: ${under.yaml}}`, 'default: under-test', ...view].join('\n'))

      // The fold, from the raw log: absent fields keep their column, tombstones only of orders delete the row.
      const rows = new Map<string, Row>()
      const empty = (): Row => ({carrier: null, method: null, paid_at: null, status: null, total: null})
      for (const record of records) {
        if (record.value === null) {
          if (record.topic === orders) rows.delete(record.key!.toString())
          continue
        }

        const value = JSON.parse(record.value.toString())
        const id = record.topic === orders ? record.key!.toString() : value.id
        const row: Row = rows.get(id) ?? {...empty(), orderId: id}
        if (record.topic === orders) Object.assign(row, {status: value.status, total: value.total})
        if (record.topic === payments) Object.assign(row, {paid_at: new Date(record.timestamp!).toISOString(), ...('method' in value ? {method: value.method} : {})})
        if (record.topic === shipments && 'carrier' in value) row.carrier = value.carrier
        rows.set(id, row)
      }

      const expected = [...rows.values()].sort((a, b) => ((a.orderId as string) < (b.orderId as string) ? -1 : 1))
      const built = await evt(dir, 'rebuild', 'view', 'status', '--json')
      expect(built.stderr).toBe('')
      expect(JSON.parse(built.stdout)).toMatchObject({records: 240, rows: expected.length})
      const byOrderId = (list: Row[]) => [...list].sort((a, b) => ((a.orderId as string) < (b.orderId as string) ? -1 : 1))
      expect(byOrderId(await target.rows(db, 'status', 'orderId'))).toEqual(expected)

      // Resume after more records equals a full rebuild; the diff finds nothing.
      await under.backend.log.produce([
        {key: Buffer.from('o1'), timestamp: T0 + 500_000, topic: orders, value: Buffer.from(JSON.stringify({status: 'late'}))},
        {key: Buffer.from('p-late'), timestamp: T0 + 500_001, topic: payments, value: Buffer.from(JSON.stringify({id: 'o-new', method: 'cash'}))},
      ])
      expect((await evt(dir, 'rebuild', 'view', 'status', '--resume')).code).toBe(0)
      const full = target.place(await target.database(dir), 'full')
      expect((await evt(dir, 'rebuild', 'view', 'status', '--db', full)).code).toBe(0)
      expect(await target.rows(db, 'status', 'orderId')).toEqual(await target.rows(full, 'status', 'orderId'))
      const late = (await target.rows(full, 'status', 'orderId')).filter((row) => row.orderId === 'o1' || row.orderId === 'o-new')
      // The late order record has no total: o1 keeps the one it had.
      expect(late).toEqual([
        {...empty(), method: 'cash', orderId: 'o-new', paid_at: new Date(T0 + 500_001).toISOString()},
        {...(rows.get('o1') ?? {...empty(), orderId: 'o1'}), status: 'late'},
      ])
      const diff = await evt(dir, 'view', 'diff', 'status')
      expect(diff.stdout).toMatch(/matches view status/)
      expect(diff.code).toBe(0)
    })

    if (target.kind === 'sqlite') {
      it('replay copies a range with keys, values and headers intact; --dry-run sends nothing', async () => {
        const source = await newTopic(1)
        const replayTo = await newTopic(2)
        await seed(source, 10)
        const {dir} = await project(source)
        const dry = await evt(dir, 'replay', source, '--to', replayTo, '--from', '3', '--limit', '4', '--dry-run', '--json')
        expect(dry.code).toBe(0)
        expect(dry.stdout.trim().split('\n').map((line) => JSON.parse(line).offset)).toEqual([3, 4, 5, 6])
        expect((await under.backend.log.watermarks(replayTo)).every((m) => m.high === 0)).toBe(true)

        const replayed = await evt(dir, 'replay', source, '--to', replayTo, '--from', '3', '--limit', '4', '--keep-partition', '--keep-timestamp', '--json')
        expect(replayed.code).toBe(0)
        expect(JSON.parse(replayed.stdout)).toMatchObject({records: 4, to: replayTo})
        const strip = ({headers, key, partition, timestamp, value}: LogRecord) => ({headers, key, partition, timestamp, value})
        const sourceRecords = (await readAll(under.backend.log, source)).slice(3, 7)
        expect((await readAll(under.backend.log, replayTo)).map((r) => strip(r))).toEqual(sourceRecords.map((r) => strip(r)))
      })
    }

    it('refuses what it must not touch: what evt did not build, an unknown view, a view keyed by a missing field with --strict', async () => {
      const topic = await newTopic()
      await seed(topic, 60)
      const {db, dir} = await project(topic)
      const foreign = await target.foreign(dir, 'items')
      const rebuilt = await evt(dir, 'rebuild', 'view', 'items', '--db', foreign.db)
      expect(rebuilt.code).toBe(2)
      expect(rebuilt.stderr).toMatch(target.kind === 'sqlite' ? /notes-\w+\.db is not a SQLite database/ : /table 'items' in postgres:\S+ was not built by evt/)
      expect(await foreign.unchanged()).toBe(true)
      if (target.kind === 'sqlite') expect((await evt(dir, 'view', 'diff', 'items', '--db', foreign.db)).code).toBe(2)

      const unknown = await evt(dir, 'rebuild', 'view', 'nope')
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toMatch(/unknown view 'nope'.*items/s)

      expect((await evt(dir, 'rebuild', 'view', 'by-sku')).code).toBe(0)
      const before = await target.fingerprint(db('by-sku'), 'skus')
      await seed(topic, 30, 60)
      const strict = await evt(dir, 'rebuild', 'view', 'by-sku', '--strict')
      expect(strict.code).toBe(1)
      expect(strict.stderr).toMatch(/records without a row key \(first at /)
      expect(await target.fingerprint(db('by-sku'), 'skus')).toBe(before)
    })
  })
}
