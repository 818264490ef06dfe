import {setMaxListeners} from 'node:events'

import type {EventLog, LogRecord} from '../log/event-log.js'
import {MinHeap} from '../util/min-heap.js'
import {maybeYield} from '../util/yield.js'
import type {PartitionRange} from './read-plan.js'

interface Cursor {
  batch: LogRecord[]
  index: number
  iterator: AsyncIterator<LogRecord[]>
}

/** Timestamp order, ties broken by topic, partition and offset so the merge is deterministic. */
function before(a: LogRecord, b: LogRecord): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp
  if (a.topic !== b.topic) return a.topic < b.topic
  if (a.partition !== b.partition) return a.partition < b.partition
  return a.offset < b.offset
}

/**
 * The most records handed downstream at once. Partitions' fetches interleave, so a merged batch
 * could otherwise hold tens of thousands of records, and what a caller does per batch (encode,
 * write, report progress) would keep the event loop for a second.
 */
const MAX_MERGED_BATCH = 1024

/**
 * Reads bounded partition ranges and yields their records merged into one timestamp-ordered
 * stream, in batches. `onBatch` sees every fetched batch first (to fetch schemas once per batch).
 * A partition that fails stops contributing; the others are read to their end, and then the
 * first failure is thrown, so one unreadable partition never hides the records of the rest.
 */
export async function* readMerged(options: {
  log: EventLog
  onBatch?: (records: LogRecord[]) => Promise<void>
  ranges: PartitionRange[]
  signal?: AbortSignal
}): AsyncIterable<LogRecord[]> {
  const {log, onBatch, signal} = options
  const heap = new MinHeap<Cursor>((a, b) => before(a.batch[a.index], b.batch[b.index]))
  let failure: {error: unknown} | undefined
  const advance = async (cursor: Cursor): Promise<void> => {
    let next: IteratorResult<LogRecord[]>
    try {
      next = await cursor.iterator.next()
    } catch (error) {
      failure ??= {error}
      return
    }

    if (next.done || next.value.length === 0) return
    await onBatch?.(next.value)
    cursor.batch = next.value
    cursor.index = 0
    heap.push(cursor)
  }

  const cursors = options.ranges
    .filter((range) => range.to === undefined || range.from < range.to)
    .map(({from, partition, to, topic}) => ({batch: [], index: 0, iterator: log.read({from, partition, signal, to, topic})[Symbol.asyncIterator]()}))
  try {
    await Promise.all(cursors.map((cursor) => advance(cursor)))
    let out: LogRecord[] = []
    while (heap.size > 0 && !signal?.aborted) {
      const cursor = heap.peek()!
      out.push(cursor.batch[cursor.index++])
      if (cursor.index < cursor.batch.length) {
        heap.topChanged()
        if (out.length >= MAX_MERGED_BATCH) {
          yield out
          out = []
          await maybeYield()
        }
      } else {
        heap.pop()
        // Hand what is merged so far downstream before waiting on this partition's next fetch.
        yield out
        out = []
        // Whatever the backend, what the caller did with the batch may have kept the loop busy.
        await maybeYield()
        await advance(cursor)
      }
    }

    if (out.length > 0) yield out
    if (failure && !signal?.aborted) throw failure.error
  } finally {
    await Promise.all(cursors.map((cursor) => cursor.iterator.return?.()))
  }
}

/**
 * Follows partitions live: each partition is read concurrently and its batches are yielded as
 * they arrive (arrival order between partitions, offset order within one). Also the cheapest
 * read of bounded ranges whose order across partitions does not matter (no merge per record). A
 * partition reads its next batch once the one before is taken: at most one waits per partition.
 */
export async function* readLive(options: {
  log: EventLog
  onBatch?: (records: LogRecord[]) => Promise<void>
  ranges: PartitionRange[]
  signal?: AbortSignal
}): AsyncIterable<LogRecord[]> {
  // Stops the partition readers when the consumer stops early (--limit) or the caller aborts.
  const stop = new AbortController()
  // Every partition's reader listens to it: many partitions are not a leak.
  setMaxListeners(options.ranges.length + 10, stop.signal)
  const abort = () => stop.abort()
  options.signal?.addEventListener('abort', abort, {once: true})
  const queue: {batch: LogRecord[]; taken: () => void}[] = []
  let wake: (() => void) | undefined
  let failure: unknown
  let running = options.ranges.length
  const notify = () => wake?.()
  stop.signal.addEventListener('abort', notify, {once: true})
  const pump = async (range: PartitionRange) => {
    try {
      for await (const batch of options.log.read({from: range.from, partition: range.partition, signal: stop.signal, to: range.to, topic: range.topic})) {
        await options.onBatch?.(batch)
        // Stopped meanwhile: nothing would take it (the check and the push are one synchronous step).
        if (stop.signal.aborted) break
        await new Promise<void>((taken) => {
          queue.push({batch, taken})
          notify()
        })
        if (stop.signal.aborted) break
        await maybeYield()
      }
    } catch (error) {
      failure ??= error
    } finally {
      running--
      notify()
    }
  }

  const pumps = options.ranges.map((range) => pump(range))
  try {
    while (!stop.signal.aborted) {
      const next = queue.shift()
      if (next) {
        next.taken()
        yield next.batch
        continue
      }

      // Only once every batch read before it was passed on.
      if (failure) throw failure

      if (running === 0) break
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      wake = undefined
    }
  } finally {
    stop.abort()
    for (const waiting of queue) waiting.taken()
    options.signal?.removeEventListener('abort', abort)
    await Promise.allSettled(pumps)
  }
}
