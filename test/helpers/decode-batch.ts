import {type BatchMeta, checkBatch, decodeRecords} from '../../src/lib/log/embedded/record-batch.js'
import type {LogRecord} from '../../src/lib/log/event-log.js'

/** The records of a stored batch from `from` on, checked and decoded at once (as the embedded log's look-ups do). */
export function decodeBatch(blob: Buffer, meta: BatchMeta): LogRecord[] {
  return decodeRecords(blob, meta, checkBatch(blob, meta), Number.POSITIVE_INFINITY)
}
