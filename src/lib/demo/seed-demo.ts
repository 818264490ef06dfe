import type {Type} from 'avsc'

import {WIRE_HEADER_LENGTH} from '../codec/wire-format.js'
import {loadAvsc} from '../codec/schema-codec.js'
import {subjectName} from '../codec/subject-names.js'
import type {EventLog, LogRecord, OutgoingRecord} from '../log/event-log.js'
import {partitionForKey} from '../log/partitioner.js'
import type {CompressionName} from '../log/kafka/compression.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {maybeYield} from '../util/yield.js'
import {SeededRandom} from './random.js'
import {generateOrder, ORDER_GAP_MS, type OrderOutcome, type RetailEvent} from './retail-flow.js'
import {TimeOrderedQueue} from './time-queue.js'
import {avroSchemaOf, RETAIL_EVENT_TYPES, RETAIL_NAMESPACE, RETAIL_PARTITIONS, RETAIL_TOPICS} from './retail-schemas.js'
import {EvtError} from '../errors.js'
import {withDemoLock} from './demo-lock.js'

export interface SeedDemoOptions {
  compression?: CompressionName
  /** A lock file (see demo-lock.ts) held while seeding, so two demos never write at once. */
  lockFile?: string
  log: EventLog
  onProgress?: (written: number) => void
  orders: number
  registry: SchemaRegistry
  seed: number
  /** About this share (0 to 1) of the `orders` records are tombstones; default: ~0.5% of completed orders are deleted. */
  tombstoneRate?: number
  /** Stops between batches: what was written stays, and the next run with the same options completes it. */
  signal?: AbortSignal
  /** When the first order is placed (ms since the epoch). */
  start: number
}

export interface SeedDemoResult {
  /** Set when the demo topics already held records and nothing was written. */
  alreadySeeded?: {records: number}
  /** Set when the topics held the beginning of this very demo (an interrupted run): only the rest was written. */
  completed?: {present: number}
  events: number
  outcomes: Record<OrderOutcome, number>
  subjects: string[]
  tombstones: number
  topics: {name: string; partitions: number}[]
}

const BATCH = 20_000

/**
 * Writes the deterministic retail demo: registers one Avro schema per event type, creates the four
 * topics and produces every order's flow in timestamp order. Same seed and options → same log.
 * Topics that hold the beginning of the same demo (a run that was killed or interrupted) are
 * completed, so the log ends as an uninterrupted run would have written it; topics that hold
 * anything else are left alone.
 */
export async function seedDemo(options: SeedDemoOptions): Promise<SeedDemoResult> {
  return withDemoLock(options.lockFile, () => seedUnlocked(options))
}

async function seedUnlocked(options: SeedDemoOptions): Promise<SeedDemoResult> {
  const {log, registry} = options
  const topics = await ensureTopics(log)
  const partitions = new Map(topics.map((t) => [t.name, t.partitions]))
  const present = await presentRecords(log, topics)
  const encoder = await RetailEncoder.register(registry)
  const outcomes: Record<OrderOutcome, number> = {completed: 0, 'rejected-payment': 0, 'rejected-stock': 0, stalled: 0}
  const presentTotal = [...present.values()].reduce((sum, p) => sum + p.count, 0)
  const base = {outcomes, subjects: encoder.subjects, tombstones: 0, topics}
  if (presentTotal > 0) {
    const missing = await missingFromThisDemo(options, encoder, partitions, present)
    if (missing === undefined || missing === 0) return {...base, alreadySeeded: {records: presentTotal}, events: 0}
  }

  // Per partition, how many of its records (in order) are there already.
  const toSkip = new Map([...present].map(([partition, {count}]) => [partition, count]))
  let batch: OutgoingRecord[] = []
  let events = 0
  let tombstones = 0
  const flush = async () => {
    if (batch.length === 0) return
    await log.produce(batch, {compression: options.compression})
    events += batch.length
    batch = []
    options.onProgress?.(events)
  }

  for (const event of retailEvents(options, outcomes)) {
    if (options.signal?.aborted) break
    // Generating and encoding is synchronous: let Ctrl-C through.
    await maybeYield()
    const partition = partitionOf(event, partitions)
    const skip = toSkip.get(partitionKey(event.topic, partition)) ?? 0
    if (skip > 0) {
      toSkip.set(partitionKey(event.topic, partition), skip - 1)
      continue
    }

    if (event.type === 'tombstone') tombstones++
    batch.push({...encoder.toRecord(event), partition})
    if (batch.length >= BATCH) await flush()
  }

  await flush()
  return {...base, ...(presentTotal > 0 ? {completed: {present: presentTotal}} : {}), events, tombstones}
}

/** Every event of the demo in the order it is written: orders start in a fixed rhythm, events leave in time order. */
function* retailEvents(options: {orders: number; seed: number; start: number; tombstoneRate?: number}, outcomes: Record<OrderOutcome, number>): Generator<RetailEvent> {
  const random = new SeededRandom(options.seed)
  let seq = 0
  const nextSeq = () => seq++
  const pending = new TimeOrderedQueue()
  for (let index = 0; index < options.orders; index++) {
    // Jitter smaller than the gap, so start times only grow.
    const orderStart = options.start + index * ORDER_GAP_MS + random.int(0, ORDER_GAP_MS - 1)
    yield* pending.drainBefore(orderStart)
    const order = generateOrder(random, index, orderStart, nextSeq, options.tombstoneRate)
    outcomes[order.outcome]++
    for (const event of order.events) pending.push(event)
  }

  yield* pending.drainBefore(Number.POSITIVE_INFINITY)
}

const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`

/** Where the log puts the event: the default partitioner on its key (every demo record has one). */
export function partitionOf(event: RetailEvent, partitions: Map<string, number>): number {
  return partitionForKey(Buffer.from(event.key), partitions.get(event.topic)!)
}

interface PresentPartition {
  count: number
  last?: LogRecord
}

/** Per demo partition, how many records it holds and its last one. */
async function presentRecords(log: EventLog, topics: {name: string; partitions: number}[]): Promise<Map<string, PresentPartition>> {
  const present = new Map<string, PresentPartition>()
  for (const {name} of topics) {
    for (const {high, low, partition} of await log.watermarks(name)) {
      let last: LogRecord | undefined
      if (high > low) for await (const records of log.read({from: high - 1, partition, to: high, topic: name})) last = records.at(-1)
      present.set(partitionKey(name, partition), {count: high - low, last})
    }
  }

  return present
}

/**
 * How many records of this demo (same seed, orders, start and tombstone rate) are missing, when every partition
 * holds exactly the beginning of its share of it (checked on each partition's last record, and
 * its count); undefined when the topics hold something else. A kill leaves such a beginning:
 * each partition's records are written in order. Nothing is written here; only the events are
 * generated, which is cheap next to writing them.
 */
async function missingFromThisDemo(
  options: SeedDemoOptions,
  encoder: RetailEncoder,
  partitions: Map<string, number>,
  present: Map<string, PresentPartition>,
): Promise<number | undefined> {
  const seen = new Map<string, number>()
  let total = 0
  for (const event of retailEvents(options, {completed: 0, 'rejected-payment': 0, 'rejected-stock': 0, stalled: 0})) {
    await maybeYield()
    if (options.signal?.aborted) return 0
    total++
    const partition = partitionOf(event, partitions)
    const key = partitionKey(event.topic, partition)
    const index = seen.get(key) ?? 0
    seen.set(key, index + 1)
    const {count, last} = present.get(key)!
    if (index === count - 1 && !sameRecord(encoder.toRecord(event), last)) return undefined
  }

  for (const [key, {count}] of present) if (count > (seen.get(key) ?? 0)) return undefined
  return total - [...present.values()].reduce((sum, p) => sum + p.count, 0)
}

function sameRecord(record: OutgoingRecord, stored: LogRecord | undefined): boolean {
  if (!stored || record.timestamp !== stored.timestamp) return false
  const same = (a: Buffer | null | undefined, b: Buffer | null) => (a ?? null) === null ? b === null : b !== null && a!.equals(b)
  const headers = record.headers ?? []
  return (
    same(record.key, stored.key) &&
    same(record.value, stored.value) &&
    headers.length === stored.headers.length &&
    headers.every(([name, value], i) => name === stored.headers[i][0] && same(value, stored.headers[i][1]))
  )
}

interface EventCodec {
  headers: {ce_source: Buffer; ce_type: Buffer}
  schemaId: number
  type: Type
}

/** Encodes demo events as records: Confluent wire-format Avro plus CloudEvents-style headers. */
export class RetailEncoder {
  private readonly scratch = Buffer.alloc(64 * 1024)
  private readonly tombstoneSource = Buffer.from('orders-service')

  private constructor(
    private readonly codecs: Map<string, EventCodec>,
    readonly subjects: string[],
  ) {}

  static async register(registry: SchemaRegistry): Promise<RetailEncoder> {
    const avro = await loadAvsc()
    const codecs = new Map<string, EventCodec>()
    const subjects: string[] = []
    for (const eventType of RETAIL_EVENT_TYPES) {
      const schema = avroSchemaOf(eventType)
      const subject = subjectName({recordName: `${RETAIL_NAMESPACE}.${eventType.name}`, strategy: 'TopicRecordName', topic: eventType.topic})
      const {id} = await registry.register(subject, {references: [], schema, schemaType: 'AVRO'})
      const headers = {ce_source: Buffer.from(eventType.source), ce_type: Buffer.from(eventType.name)}
      codecs.set(eventType.name, {headers, schemaId: id, type: avro.Type.forSchema(JSON.parse(schema))})
      subjects.push(subject)
    }

    return new RetailEncoder(codecs, subjects)
  }

  toRecord(event: RetailEvent): OutgoingRecord {
    const key = Buffer.from(event.key)
    const ceId = Buffer.from(`${event.orderId}-${event.seq}`)
    const codec = this.codecs.get(event.type)
    if (!codec) {
      return {headers: [['ce_id', ceId], ['ce_source', this.tombstoneSource]], key, timestamp: event.timestamp, topic: event.topic, value: null}
    }

    // Avro straight after a wire-format header in one buffer: one allocation per record.
    this.scratch[0] = 0
    this.scratch.writeUInt32BE(codec.schemaId, 1)
    const end = codec.type.encode(event.value, this.scratch, WIRE_HEADER_LENGTH)
    if (end < 0) throw new EvtError('INTERNAL', `demo event ${event.type} does not fit the ${this.scratch.length}-byte encode buffer`)
    return {
      headers: [['ce_id', ceId], ['ce_source', codec.headers.ce_source], ['ce_type', codec.headers.ce_type]],
      key,
      timestamp: event.timestamp,
      topic: event.topic,
      value: Buffer.from(this.scratch.subarray(0, end)),
    }
  }
}

export async function ensureTopics(log: EventLog): Promise<{name: string; partitions: number}[]> {
  const existing = new Map((await log.listTopics()).map((topic) => [topic.name, topic.partitions]))
  for (const name of RETAIL_TOPICS) {
    if (!existing.has(name)) {
      // The demo's timestamps are historical: without this, Kafka's retention would delete them.
      await log.createTopic(name, {partitions: RETAIL_PARTITIONS, retainForever: true})
      existing.set(name, RETAIL_PARTITIONS)
    }
  }

  return RETAIL_TOPICS.map((name) => ({name, partitions: existing.get(name)!}))
}

/** What `evt demo` reports: the seeding result plus where it went and how long it took. */
export interface DemoReport extends SeedDemoResult {
  cluster: string
  config?: string
  seconds: number
}
