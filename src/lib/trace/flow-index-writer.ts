import type Database from 'better-sqlite3'

import {EvtError} from '../errors.js'
import {startModuleWorker} from '../util/module-worker.js'
import type {IndexWorkerReply, IndexWorkerRequest, IndexWorkerSetup} from './flow-index-worker.js'
import {chunkBuffers, type ChunkTarget, chunkWrites, type IndexChunk} from './flow-index-writes.js'

/** Where a catch-up's chunks are written: on the main thread, or on a worker while the next is read. */
export interface IndexChunkWriter {
  /** Resolves once every chunk is written; rejects with the first failure. Ends the worker, if any. */
  close(): Promise<void>
  /** Takes `chunk`; resolves once the writer can take another (the chunk before it committed). */
  write(chunk: IndexChunk): Promise<void>
}

/** Writes each chunk at once, on the caller's connection: for catch-ups too small to gain from a thread. */
export function writerInThread(db: Database.Database, target: ChunkTarget): IndexChunkWriter {
  const writes = chunkWrites(db, target)
  const run = (step: () => void) => {
    try {
      step()
    } catch (error) {
      throw indexWriteFailed(db.name, error as {code?: string; message: string})
    }
  }

  return {
    close: async () => run(() => writes.finish()),
    write: async (chunk) => run(() => writes.write(chunk)),
  }
}

/**
 * Writes on a worker thread with a connection of its own, one chunk at a time: while it commits
 * one, the caller reads the next, and waits only when that one is ready first.
 */
export function writerOnWorker(file: string, target: ChunkTarget): IndexChunkWriter {
  // What it allocates lives one chunk: a young generation of 8 MB (V8's default is larger) keeps
  // the thread's memory down (1M events: peak RSS 221–227 → 204–210 MB) at no cost in time.
  const worker = startModuleWorker(import.meta.url, 'flow-index-worker', {resourceLimits: {maxYoungGenerationSizeMb: 8}, workerData: {file, target} satisfies IndexWorkerSetup})
  let waiting: undefined | {reject: (error: Error) => void; resolve: () => void}
  let failure: Error | undefined
  const fail = (error: Error) => {
    failure ??= error
    waiting?.reject(failure)
    waiting = undefined
  }

  worker.on('message', (reply: IndexWorkerReply) => {
    if (reply.kind === 'failed') fail(indexWriteFailed(file, reply))
    else {
      waiting?.resolve()
      waiting = undefined
    }
  })
  worker.on('error', (error) => fail(indexWriteFailed(file, error)))
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      fail(indexWriteFailed(file, {message: `its writer thread exited with code ${code}`}))
      resolve()
    })
  })
  const send = (request: IndexWorkerRequest) =>
    new Promise<void>((resolve, reject) => {
      if (failure) {
        reject(failure)
        return
      }

      waiting = {reject, resolve}
      worker.postMessage(request, request.kind === 'write' ? chunkBuffers(request.chunk) : [])
    })

  // The request in flight: settled before the next is sent, and awaited by close().
  let inFlight = Promise.resolve()
  const track = (request: Promise<void>) => {
    // Awaited later; until then, a failure is not unhandled.
    request.catch(() => {})
    inFlight = request
  }

  return {
    async close() {
      try {
        await inFlight
        await send({kind: 'close'})
      } finally {
        if (failure === undefined) await exited
        else await worker.terminate()
      }
    },
    async write(chunk) {
      await inFlight
      track(send({chunk, kind: 'write'}))
    },
  }
}

/**
 * SQLite finding the index no database or a damaged one, as evt's error. The index is a cache, so
 * deleting it is always a way out (an open starts over on a file that is no database at all; a
 * damaged page shows only when a query reaches it).
 */
export function corruptIndexError(file: string, error: unknown): EvtError | undefined {
  const {code, message} = (error ?? {}) as {code?: unknown; message?: string}
  if (code !== 'SQLITE_NOTADB' && !String(code).startsWith('SQLITE_CORRUPT')) return undefined
  return new EvtError('DATA_CORRUPT', `the flow index ${file} is corrupt: ${message}`, {cause: error, data: {path: file, sqlite: code}, hint: `the index is a cache: delete ${file}, then run the command again`})
}

/** SQLite's failure to write the index, as evt's. */
function indexWriteFailed(file: string, error: {code?: string; message: string}): EvtError {
  const corrupt = corruptIndexError(file, error)
  if (corrupt) return corrupt
  const options = {cause: error, data: {path: file, sqlite: error.code}, hint: `the index is a cache: delete ${file}, or run \`evt trace index FLOW --rebuild\``}
  if (error.code === 'SQLITE_FULL') return new EvtError('DISK_FULL', `cannot write the flow index ${file}: the disk is full`, {...options, hint: 'free some space, then run the command again'})
  return new EvtError('DATABASE_ERROR', `cannot write the flow index ${file}: ${error.message}`, options)
}
