import {setTimeout as sleep} from 'node:timers/promises'

import type {EventLog, GroupOffset, OutgoingRecord} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {withDemoLock} from './demo-lock.js'
import {SeededRandom} from './random.js'
import {FIRST_ORDER_ID, generateOrder, type OrderOutcome, type RetailEvent} from './retail-flow.js'
import {ensureTopics, partitionOf, RetailEncoder} from './seed-demo.js'
import {TimeOrderedQueue} from './time-queue.js'

const TICK_MS = 100
const CONSUMERS_EVERY_MS = 1000
/** Ids of a live demo start above every id already on `orders` (see firstLiveOrderId). */
const LIVE_ID_FLOOR = 100_000

/**
 * The simulated services that read the demo's topics, committing offsets as a consumer group
 * does: `lagMs` 0 reads everything at once; a lagging one has read only what is older than that.
 */
const LIVE_CONSUMERS: {group: string; lagMs: number; topic: string}[] = [
  {group: 'billing', lagMs: 0, topic: 'payments'},
  {group: 'audit', lagMs: 45_000, topic: 'payments'},
  {group: 'fulfilment', lagMs: 0, topic: 'orders'},
]

export interface LiveDemoOptions {
  lockFile?: string
  log: EventLog
  /** Told of every order as it is placed. */
  onOrder?: (orderId: string) => void
  /** Orders placed per second (fractions allowed: 0.2 is one every 5 s). */
  rate: number
  registry: SchemaRegistry
  seed: number
  /** Ends the demo; what was written stays. */
  signal: AbortSignal
}

export interface LiveDemoResult {
  events: number
  orders: number
  outcomes: Record<OrderOutcome, number>
}

/**
 * A retail flow happening now: orders are placed at `rate` per second and each one's events are
 * written when their (compressed) time comes, stamped with that time — a day-long
 * flow plays in about a minute, and the stalled ones stall. Meanwhile simulated services commit
 * consumer-group offsets, one of them lagging, so `trace` shows who has read what. Runs until the
 * signal aborts.
 */
export async function runLiveDemo(options: LiveDemoOptions): Promise<LiveDemoResult> {
  return withDemoLock(options.lockFile, () => playLive(options))
}

async function playLive(options: LiveDemoOptions): Promise<LiveDemoResult> {
  const {log, signal} = options
  const partitions = new Map((await ensureTopics(log)).map((topic) => [topic.name, topic.partitions]))
  const encoder = await RetailEncoder.register(options.registry)
  const firstId = await firstLiveOrderId(log)
  const random = new SeededRandom(options.seed)
  const pending = new TimeOrderedQueue()
  const outcomes: Record<OrderOutcome, number> = {completed: 0, 'rejected-payment': 0, 'rejected-stock': 0, stalled: 0}
  let seq = 0
  const nextSeq = () => seq++
  const began = Date.now()
  let orders = 0
  let events = 0
  let consumersAt = 0
  let committing: Promise<void> | undefined
  let failure: {error: unknown} | undefined
  while (!signal.aborted) {
    const now = Date.now()
    for (; orders < Math.floor(((now - began) / 1000) * options.rate) + 1; orders++) {
      const order = generateOrder(random, firstId - FIRST_ORDER_ID + orders, now, nextSeq)
      outcomes[order.outcome]++
      for (const event of order.events) pending.push(playedAt(event, now))
      options.onOrder?.(order.orderId)
    }

    const due = pending.drainBefore(now + 1)
    if (due.length > 0) {
      // Stamped with the time each was due (now, give or take a tick): a slow write never reorders a flow.
      const records: OutgoingRecord[] = due.map((event) => ({...encoder.toRecord(event), partition: partitionOf(event, partitions)}))
      await log.produce(records)
      events += records.length
    }

    // Beside the writes, not before them: Kafka's first commit creates __consumer_offsets, which takes seconds.
    if (failure) throw failure.error
    if (!committing && now - consumersAt >= CONSUMERS_EVERY_MS) {
      consumersAt = now
      committing = commitConsumers(log, now)
        .catch((error: unknown) => {
          failure ??= {error}
        })
        .finally(() => {
          committing = undefined
        })
    }

    await sleep(TICK_MS, undefined, {signal}).catch(() => {})
  }

  await committing
  return {events, orders, outcomes}
}

/**
 * When an event generated for a flow that starts at `start` is played: seconds stay seconds, hours
 * shrink to tens of seconds (2 s + 4 s per doubling), so the order of events is kept and a whole
 * flow — delivery a day later — plays in about a minute.
 */
export function playedAt(event: RetailEvent, start: number): RetailEvent {
  const after = event.timestamp - start
  const played = after <= 2000 ? after : 2000 + 4000 * Math.log2(after / 2000)
  const timestamp = start + Math.round(played)
  // The delivery time it carries is the one it is played at.
  const value = event.type === 'ShipmentDelivered' ? {...event.value, deliveredAt: timestamp} : event.value
  return {...event, timestamp, value}
}

/** Above every order id on `orders`: each order writes at least two records there, so the count of records bounds the ids used. */
async function firstLiveOrderId(log: EventLog): Promise<number> {
  const marks = await log.watermarks('orders')
  return LIVE_ID_FLOOR + FIRST_ORDER_ID + marks.reduce((sum, mark) => sum + mark.high, 0)
}

async function commitConsumers(log: EventLog, now: number): Promise<void> {
  for (const {group, lagMs, topic} of LIVE_CONSUMERS) {
    const positions = lagMs === 0 ? (await log.watermarks(topic)).map(({high, partition}) => ({offset: high, partition})) : await log.offsetsForTime(topic, now - lagMs)
    const offsets: Omit<GroupOffset, 'group'>[] = positions.filter(({offset}) => offset >= 0).map(({offset, partition}) => ({offset, partition, topic}))
    await log.commitGroupOffsets(group, offsets)
  }
}
