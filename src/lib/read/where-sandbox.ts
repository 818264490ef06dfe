import type {Worker} from 'node:worker_threads'

import {startModuleWorker} from '../util/module-worker.js'
import type {WhereBatch, WhereReply, WhereWorkerSetup} from './where-worker.js'

/** What one record's --where evaluation may take before it is an error. */
export interface WhereBudget {
  /** Nested evaluation steps (bounds recursion). */
  maxDepth: number
  /** Items in a sequence one step builds (`[1..10000000]`). */
  maxItems: number
  maxStringLength: number
  /** Heap of the thread that evaluates (anything the step limits miss). */
  memoryMb: number
  /** Wall-clock time of one record. */
  recordMs: number
}

/**
 * Generous for any expression a person writes about one record (those take microseconds), small
 * enough that a runaway one fails in about a second instead of hanging.
 */
export const DEFAULT_WHERE_BUDGET: WhereBudget = {maxDepth: 10_000, maxItems: 1_000_000, maxStringLength: 10_000_000, memoryMb: 256, recordMs: 1000}

/** How one batch ended, beyond the worker's own replies. `index`: the record in the batch being evaluated. */
export type BatchOutcome =
  | WhereReply
  | {kind: 'crashed'; message: string}
  | {index: number; kind: 'out-of-memory'}
  | {index: number; kind: 'overtime'}
  | {kind: 'stopped'}

/**
 * One worker thread that evaluates an expression batch by batch (a round trip per record would cost
 * more than the evaluation). The main thread only waits, so Ctrl-C is handled at once; it watches
 * which record the worker is on and terminates the worker when one record overruns its time or
 * memory: a regex that backtracks in native code can be stopped no other way. The worker is
 * unref'd between batches so that it never keeps evt alive.
 */
export class WhereSandbox {
  private readonly progress = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
  private worker?: Worker

  constructor(
    private readonly expression: string,
    private readonly budget: WhereBudget,
  ) {}

  run(views: WhereBatch['views'], signal?: AbortSignal): Promise<BatchOutcome> {
    if (signal?.aborted) return Promise.resolve({kind: 'stopped'})
    const worker = (this.worker ??= this.start())
    const progress = new Int32Array(this.progress)
    Atomics.store(progress, 0, -1)
    worker.ref()
    return new Promise((resolve) => {
      let current = -1
      let currentSince = performance.now()
      const watchdog = setInterval(
        () => {
          const index = Atomics.load(progress, 0)
          if (index !== current) {
            current = index
            currentSince = performance.now()
          } else if (index >= 0 && performance.now() - currentSince > this.budget.recordMs) {
            finish({index, kind: 'overtime'}, true)
          }
        },
        Math.min(100, this.budget.recordMs / 4),
      )
      const onMessage = (reply: WhereReply) => finish(reply, false)
      const onError = (error: Error & {code?: string}) => {
        const index = Math.max(Atomics.load(progress, 0), 0)
        finish(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? {index, kind: 'out-of-memory'} : {kind: 'crashed', message: error.message}, true)
      }

      const onExit = (code: number) => finish({kind: 'crashed', message: `the worker exited with code ${code}`}, true)
      const onAbort = () => finish({kind: 'stopped'}, true)
      const finish = (outcome: BatchOutcome, terminate: boolean) => {
        clearInterval(watchdog)
        worker.off('message', onMessage).off('error', onError).off('exit', onExit)
        signal?.removeEventListener('abort', onAbort)
        if (terminate) {
          this.worker = undefined
          void worker.terminate()
        } else {
          worker.unref()
        }

        resolve(outcome)
      }

      worker.on('message', onMessage).on('error', onError).on('exit', onExit)
      signal?.addEventListener('abort', onAbort, {once: true})
      worker.postMessage({views} satisfies WhereBatch)
    })
  }

  private start(): Worker {
    const {budget} = this
    const workerData: WhereWorkerSetup = {
      expression: this.expression,
      maxDepth: budget.maxDepth,
      maxItems: budget.maxItems,
      maxStringLength: budget.maxStringLength,
      progress: this.progress,
    }
    return startModuleWorker(import.meta.url, 'where-worker', {resourceLimits: {maxOldGenerationSizeMb: budget.memoryMb}, workerData})
  }
}
