import Database from 'better-sqlite3'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseIdLocator} from '../../../src/lib/config/locator.js'
import type {FlowConfig} from '../../../src/lib/config/types.js'
import {EvtError} from '../../../src/lib/errors.js'
import {FlowIndex} from '../../../src/lib/trace/flow-index.js'
import {type IndexChunkWriter, writerInThread, writerOnWorker} from '../../../src/lib/trace/flow-index-writer.js'
import {ChunkBuilder, type ChunkTarget} from '../../../src/lib/trace/flow-index-writes.js'
import {useTempDir} from '../../helpers/temp-dir.js'

const flow: FlowConfig = {
  ends: ['Delivered'],
  owners: {},
  topics: {orders: {id: parseIdLocator('key')}, shipments: {id: parseIdLocator('$.orderIds[*]')}},
}
const target: ChunkTarget = {ends: flow.ends, table: 'ids', topics: ['orders', 'shipments']}

/** An index file as FlowIndex creates it, with nothing in it. */
async function emptyIndex(dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.db`)
  ;(await FlowIndex.open(file, flow)).close()
  return file
}

/** Ids in UTF-8 of one to four bytes a character, and longer than the room a chunk starts with for them. */
const B = 'Bü'
const C = `Ç-訂單-🚚-${'x'.repeat(40)}`

/** Two chunks: the second holds more positions than the builder's room (a record with three ids). */
function chunks(): ReturnType<ChunkBuilder['take']>[] {
  const builder = new ChunkBuilder(2)
  builder.add('A', 0, 0, 0, 1000, 'Placed', true)
  builder.add(B, 0, 1, 0, 1001, 'Placed', true)
  const first = builder.take(['orders', 0, 0, 1, 1, 1000, 1000, 'orders', 1, 0, 1, 1, 1001, 1001])
  builder.add('A', 1, 0, 7, 2000, 'Delivered', true)
  builder.add(B, 1, 0, 7, 2000, 'Delivered', false)
  builder.add(C, 1, 0, 7, 2000, 'Delivered', false)
  builder.add(B, 0, 1, 1, 1500, 'Paid', true)
  builder.add('A', 0, 0, 1, 999, 'Amended', true)
  return [first, builder.take(['orders', 0, 0, 2, 2, 999, 1000, 'shipments', 0, 7, 8, 1, 2000, 2000])]
}

function tables(file: string): Record<string, unknown[]> {
  const db = new Database(file, {readonly: true})
  try {
    return {
      flows: db.prepare('SELECT * FROM flows ORDER BY id').all(),
      ids: db.prepare('SELECT * FROM ids ORDER BY rowid').all(),
      partitions: db.prepare('SELECT * FROM partitions ORDER BY topic, partition').all(),
    }
  } finally {
    db.close()
  }
}

async function writeAll(writer: IndexChunkWriter): Promise<void> {
  for (const chunk of chunks()) await writer.write(chunk)
  await writer.close()
}

describe('the flow index writers', () => {
  const tempDir = useTempDir()

  it('write the same rows on a worker thread as on the caller’s, each id summarized by its last event', async () => {
    const onWorker = await emptyIndex(tempDir(), 'worker')
    await writeAll(writerOnWorker(onWorker, target))
    const inThread = await emptyIndex(tempDir(), 'thread')
    const db = new Database(inThread)
    await writeAll(writerInThread(db, target))
    db.close()

    const written = tables(onWorker)
    expect(written).toEqual(tables(inThread))
    expect(written.ids.map((row) => Object.values(row as object).join(' '))).toEqual([
      'A orders 0 0 1000 Placed 1',
      `${B} orders 1 0 1001 Placed 1`,
      'A shipments 0 7 2000 Delivered 1',
      `${B} shipments 0 7 2000 Delivered 0`,
      `${C} shipments 0 7 2000 Delivered 0`,
      `${B} orders 1 1 1500 Paid 1`,
      'A orders 0 1 999 Amended 1',
    ])
    // A: delivered, its last event the shipment (an amendment stamped earlier does not replace it);
    // B: its second id in the shipment does not count; C: no first id anywhere, so no flow.
    expect(written.flows).toEqual([
      {ended: 1, id: 'A', last_at: 2000, last_event: 'Delivered', offset: 7, partition: 0, topic_rank: 1},
      {ended: 0, id: B, last_at: 1500, last_event: 'Paid', offset: 1, partition: 1, topic_rank: 0},
    ])
    expect(written.partitions).toHaveLength(3)
  })

  it('report a failed write as an error naming the index, keeping the chunks committed before it', async () => {
    const file = await emptyIndex(tempDir(), 'failing')
    const db = new Database(file)
    db.exec(`CREATE TRIGGER no_shipments BEFORE INSERT ON ids WHEN new.topic = 'shipments' BEGIN SELECT RAISE(ABORT, 'no shipments here'); END`)
    db.close()

    const writer = writerOnWorker(file, target)
    const error = await writeAll(writer).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(error).toBeInstanceOf(EvtError)
    expect((error as EvtError).code).toBe('DATABASE_ERROR')
    expect((error as EvtError).message).toBe(`cannot write the flow index ${file}: no shipments here`)
    const written = tables(file)
    expect(written.ids).toHaveLength(2)
    expect(written.partitions.map((row) => (row as {next: number}).next)).toEqual([1, 1])
  })

  it('fail, not hang, when the writer thread cannot open the index', async () => {
    const file = path.join(tempDir(), 'not-an-index.db')
    writeFileSync(file, 'these are not the bytes of a SQLite database, however long they go on for')
    const error = await writeAll(writerOnWorker(file, target)).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect((error as EvtError).code).toBe('DATA_CORRUPT')
    expect((error as EvtError).message).toMatch(`the flow index ${file} is corrupt`)
  })
})
