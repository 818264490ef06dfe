import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {openBackend} from '../../../src/lib/backend.js'
import {loadSqlite} from '../../../src/lib/util/sqlite-file.js'
import type {LogRecord} from '../../../src/lib/log/event-log.js'

async function produced(count: number) {
  const cluster = {kind: 'embedded' as const, name: 'read', path: path.join(mkdtempSync(path.join(tmpdir(), 'evt-read-')), 'evt.db')}
  const warnings: string[] = []
  const backend = await openBackend(cluster, {create: true, warn: (message) => warnings.push(message)})
  await backend.log.createTopic('t', {partitions: 1})
  await backend.log.produce(Array.from({length: count}, (_, i) => ({headers: [['n', Buffer.from(String(i))]], key: Buffer.from(`k${i}`), partition: 0, timestamp: 1_767_603_601_803 + i, topic: 't', value: Buffer.from(`v${i}`)})))
  return {backend, file: cluster.path, warnings}
}

async function readBatches(backend: Awaited<ReturnType<typeof openBackend>>, from: number, to: number): Promise<LogRecord[][]> {
  const batches: LogRecord[][] = []
  for await (const batch of backend.log.read({from, partition: 0, to, topic: 't'})) batches.push(batch)
  return batches
}

describe('a read of the embedded log', () => {
  it('hands on its stored batches (2048 records each) in slices of at most 128 records, every record once, in order', async () => {
    const {backend} = await produced(5000)
    const batches = await readBatches(backend, 100, 4900)
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(128)
    const records = batches.flat()
    expect(records.map((record) => record.offset)).toEqual(Array.from({length: 4800}, (_, i) => 100 + i))
    expect(records.map((record) => record.value?.toString())).toEqual(Array.from({length: 4800}, (_, i) => `v${100 + i}`))
    await backend.close()
  })

  it('gives none of a corrupt stored batch\'s records, says so, and reads the batches around it', async () => {
    const {backend, file, warnings} = await produced(5000)
    const Sqlite = await loadSqlite()
    const db = new Sqlite(file)
    // The middle batch (offsets 2048-4095) loses its last byte.
    expect(db.prepare('UPDATE batches SET records = substr(records, 1, length(records) - 1) WHERE base_offset = 2048').run().changes).toBe(1)
    db.close()
    const offsets = (await readBatches(backend, 0, 5000)).flat().map((record) => record.offset)
    expect(offsets).toEqual([...Array.from({length: 2048}, (_, i) => i), ...Array.from({length: 5000 - 4096}, (_, i) => 4096 + i)])
    expect(warnings).toEqual([expect.stringMatching(/^the stored batch t\[0\]@2048-4095 is corrupt .*: skipped its 2048 records$/)])
    await backend.close()
  })
})
