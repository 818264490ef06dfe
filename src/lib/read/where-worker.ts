import jsonata from 'jsonata'
import {parentPort, workerData} from 'node:worker_threads'

import {LimitExceeded, limitSteps, type StepLimits} from './where-limits.js'

/**
 * Evaluates a --where expression that uses regular expressions over batches of records, off the
 * main thread, so that the main thread stays free to handle Ctrl-C and to terminate this thread
 * when one record takes too long (a catastrophic regex backtracks in native code that nothing on
 * this thread can interrupt). Depth and size are bounded here, between JSONata's steps.
 */

/** Fields the main thread computes only when an expression reads them (they may decode a value). */
export const LAZY_FIELDS = ['headers', 'key', 'schema', 'type', 'value', 'valueEncoding'] as const
export type LazyField = (typeof LAZY_FIELDS)[number]

export interface WhereWorkerSetup extends StepLimits {
  expression: string
  /** Int32Array[1]: the index, in the batch, of the record being evaluated (the main thread's watchdog reads it). */
  progress: SharedArrayBuffer
}

/** One batch: each record's cheap fields plus the lazy fields the main thread knows are read. */
export interface WhereBatch {
  views: Record<string, unknown>[]
}

export type WhereReply =
  | {accepted: boolean[]; kind: 'done'}
  /** A record read `field`, which was not sent: send the batch again from `index` with it. */
  | {accepted: boolean[]; field: LazyField; index: number; kind: 'needs'}
  /** `budget`: the record exceeded a limit (else the expression failed on it, e.g. a type error). */
  | {budget: boolean; index: number; kind: 'failed'; message: string}

class FieldNeeded {
  constructor(readonly field: LazyField) {}
}

const setup = workerData as WhereWorkerSetup
const progress = new Int32Array(setup.progress)
const compiled = jsonata(setup.expression)
const startRecord = limitSteps(compiled, setup)

/** The record as the expression sees it: a field that was not sent stops the evaluation to ask for it. */
function recordView(sent: Record<string, unknown>): Record<string, unknown> {
  const view = {...sent}
  for (const field of LAZY_FIELDS) {
    if (!Object.hasOwn(sent, field)) {
      Object.defineProperty(view, field, {
        enumerable: true,
        get() {
          throw new FieldNeeded(field)
        },
      })
    }
  }

  return view
}

async function evaluateBatch({views}: WhereBatch): Promise<WhereReply> {
  const accepted: boolean[] = []
  for (const [index, sent] of views.entries()) {
    Atomics.store(progress, 0, index)
    startRecord()
    try {
      accepted.push(Boolean(await compiled.evaluate(recordView(sent))))
    } catch (error) {
      if (error instanceof FieldNeeded) return {accepted, field: error.field, index, kind: 'needs'}
      if (error instanceof LimitExceeded) return {budget: true, index, kind: 'failed', message: error.message}
      return {budget: false, index, kind: 'failed', message: (error as Error).message}
    }
  }

  return {accepted, kind: 'done'}
}

parentPort!.on('message', (batch: WhereBatch) => {
  void evaluateBatch(batch).then((reply) => parentPort!.postMessage(reply))
})
