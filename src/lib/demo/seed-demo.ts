import type {Type} from 'avsc'

import {WIRE_HEADER_LENGTH} from '../codec/wire-format.js'
import {subjectName} from '../codec/subject-names.js'
import type {EventLog, OutgoingRecord} from '../log/event-log.js'
import type {CompressionName} from '../log/kafka/compression.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {maybeYield} from '../util/yield.js'
import {SeededRandom} from './random.js'
import {generateOrder, ORDER_GAP_MS, type OrderOutcome, type RetailEvent} from './retail-flow.js'
import {TimeOrderedQueue} from './time-queue.js'
import {avroSchemaOf, RETAIL_EVENT_TYPES, RETAIL_NAMESPACE, RETAIL_PARTITIONS, RETAIL_TOPICS} from './retail-schemas.js'
import {EvtError} from '../errors.js'

export interface SeedDemoOptions {
  compression?: CompressionName
  log: EventLog
  onProgress?: (written: number) => void
  orders: number
  registry: SchemaRegistry
  seed: number
  /** Stops between batches: what was written stays (the demo is then partial). */
  signal?: AbortSignal
  /** When the first order is placed (ms since the epoch). */
  start: number
}

export interface SeedDemoResult {
  /** Set when the demo topics already held records and nothing was written. */
  alreadySeeded?: {records: number}
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
 */
export async function seedDemo(options: SeedDemoOptions): Promise<SeedDemoResult> {
  const {log, registry} = options
  const topics = await ensureTopics(log)
  const existing = await countRecords(log)
  const outcomes: Record<OrderOutcome, number> = {completed: 0, 'rejected-payment': 0, 'rejected-stock': 0, stalled: 0}
  const encoder = await RetailEncoder.register(registry)
  if (existing > 0) return {alreadySeeded: {records: existing}, events: 0, outcomes, subjects: encoder.subjects, tombstones: 0, topics}

  const random = new SeededRandom(options.seed)
  let seq = 0
  const nextSeq = () => seq++
  const pending = new TimeOrderedQueue()
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

  const emitUntil = async (limit: number) => {
    for (const event of pending.drainBefore(limit)) {
      if (event.type === 'tombstone') tombstones++
      batch.push(encoder.toRecord(event))
      if (batch.length >= BATCH) await flush()
    }
  }

  for (let index = 0; index < options.orders && !options.signal?.aborted; index++) {
    // Generating and encoding is synchronous: let Ctrl-C through.
    await maybeYield()
    // Orders start in a fixed rhythm with jitter smaller than the gap, so start times only grow.
    const orderStart = options.start + index * ORDER_GAP_MS + random.int(0, ORDER_GAP_MS - 1)
    await emitUntil(orderStart)
    const order = generateOrder(random, index, orderStart, nextSeq)
    outcomes[order.outcome]++
    for (const event of order.events) pending.push(event)
  }

  if (!options.signal?.aborted) await emitUntil(Number.POSITIVE_INFINITY)
  await flush()
  return {events, outcomes, subjects: encoder.subjects, tombstones, topics}
}

interface EventCodec {
  headers: {ce_source: Buffer; ce_type: Buffer}
  schemaId: number
  type: Type
}

/** Encodes demo events as records: Confluent wire-format Avro plus CloudEvents-style headers. */
class RetailEncoder {
  private readonly scratch = Buffer.alloc(64 * 1024)
  private readonly tombstoneSource = Buffer.from('orders-service')

  private constructor(
    private readonly codecs: Map<string, EventCodec>,
    readonly subjects: string[],
  ) {}

  static async register(registry: SchemaRegistry): Promise<RetailEncoder> {
    const avroModule = await import('avsc')
    const avro = (avroModule as unknown as {default?: typeof avroModule}).default ?? avroModule
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

async function ensureTopics(log: EventLog): Promise<{name: string; partitions: number}[]> {
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

async function countRecords(log: EventLog): Promise<number> {
  let total = 0
  for (const topic of RETAIL_TOPICS) {
    for (const {high, low} of await log.watermarks(topic)) total += high - low
  }

  return total
}

/** What `evt demo` reports: the seeding result plus where it went and how long it took. */
export interface DemoReport extends SeedDemoResult {
  cluster: string
  config?: string
  seconds: number
}
