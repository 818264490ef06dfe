import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Backend, openBackend} from '../../../src/lib/backend.js'
import type {EventLog, ReadRange} from '../../../src/lib/log/event-log.js'
import {readLive} from '../../../src/lib/read/merged-read.js'

const PARTITIONS = 3
const BATCHES = 40

/** The embedded log, counting the batches its reads have produced. */
function countingLog(log: EventLog): {log: EventLog; produced: () => number} {
  let produced = 0
  const read = async function* (range: ReadRange) {
    for await (const batch of log.read(range)) {
      produced++
      yield batch
    }
  }

  return {log: Object.assign(Object.create(log) as EventLog, {read}), produced: () => produced}
}

describe('readLive over bounded ranges', () => {
  let backend: Backend
  beforeAll(async () => {
    backend = await openBackend({kind: 'embedded', name: 'merged', path: path.join(mkdtempSync(path.join(tmpdir(), 'evt-merged-')), 'evt.db')}, {create: true})
    await backend.log.createTopic('t', {partitions: PARTITIONS})
    // One stored batch per produce call and partition.
    for (let i = 0; i < BATCHES; i++) {
      await backend.log.produce(Array.from({length: PARTITIONS}, (_, partition) => ({key: null, partition, topic: 't', value: Buffer.from(`${partition}-${i}`)})))
    }
  })
  afterAll(() => backend?.close())

  const ranges = Array.from({length: PARTITIONS}, (_, partition) => ({from: 0, partition, to: BATCHES, topic: 't'}))

  it('reads no further ahead than one batch per partition of what the caller took, and yields every record in offset order per partition', async () => {
    const counting = countingLog(backend.log)
    let taken = 0
    let mostAhead = 0
    const seen: number[][] = Array.from({length: PARTITIONS}, () => [])
    for await (const batch of readLive({log: counting.log, ranges})) {
      taken++
      mostAhead = Math.max(mostAhead, counting.produced() - taken)
      for (const record of batch) seen[record.partition].push(record.offset)
      // A slow caller: the readers have every chance to run ahead.
      await new Promise((resolve) => setTimeout(resolve, 1))
    }

    expect(seen).toEqual(Array.from({length: PARTITIONS}, () => Array.from({length: BATCHES}, (_, offset) => offset)))
    expect(mostAhead).toBeLessThanOrEqual(2 * PARTITIONS)
  })

  it('ends the partition readers when the caller stops early', async () => {
    const counting = countingLog(backend.log)
    let records = 0
    for await (const batch of readLive({log: counting.log, ranges})) {
      records += batch.length
      if (records >= 5) break
    }

    const producedThen = counting.produced()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(counting.produced()).toBe(producedThen)
    expect(producedThen).toBeLessThan(PARTITIONS * BATCHES)
  })
})
