import {parentPort, workerData} from 'node:worker_threads'

import {loadSqlite} from '../util/sqlite-file.js'
import {type ChunkTarget, chunkWrites, type IndexChunk, useWriterSettings} from './flow-index-writes.js'

/**
 * Writes a flow index's chunks on a thread of its own, while the main thread reads and decodes
 * the next: SQLite's half of a first build (1M events: about 4 of 8 s) then runs on the core a
 * catch-up otherwise leaves idle. Each chunk is one transaction, acknowledged once committed.
 */

export interface IndexWorkerSetup {
  file: string
  target: ChunkTarget
}

export type IndexWorkerRequest = {chunk: IndexChunk; kind: 'write'} | {kind: 'close'}
export type IndexWorkerReply = {code?: string; kind: 'failed'; message: string} | {kind: 'closed'} | {kind: 'written'}

const port = parentPort!
const {file, target} = workerData as IndexWorkerSetup
const Sqlite = await loadSqlite()
const db = new Sqlite(file, {timeout: 10_000})
useWriterSettings(db)
const writes = chunkWrites(db, target)

port.on('message', (request: IndexWorkerRequest) => {
  try {
    if (request.kind === 'close') {
      writes.finish()
      db.close()
      port.postMessage({kind: 'closed'} satisfies IndexWorkerReply)
      port.close()
      return
    }

    writes.write(request.chunk)
    // A catch-up's WAL copied into the file while the next chunk is read: otherwise the main
    // thread's close does it once the answer is printed (100k events: 60 ms). A first build's
    // checkpoints come every 64 MB (useWriterSettings).
    if (target.table === 'recent_ids') db.pragma('wal_checkpoint(PASSIVE)')
    port.postMessage({kind: 'written'} satisfies IndexWorkerReply)
  } catch (error) {
    port.postMessage({code: (error as {code?: string}).code, kind: 'failed', message: (error as Error).message} satisfies IndexWorkerReply)
  }
})
