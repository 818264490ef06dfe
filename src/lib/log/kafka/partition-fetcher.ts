import type {Kafka} from 'kafkajs'
import {createRequire} from 'node:module'

import type {Headers, LogRecord, ReadRange} from '../event-log.js'

/*
 * kafkajs only reads through a consumer group (kafkajs issue #373), and evt must leave no trace in
 * the cluster. So reads send Fetch requests directly through kafkajs's own cluster and broker
 * objects, which are internal: this module is the only place that touches them, and kafkajs is
 * pinned to 2.2.4. No group is joined, no offset is committed, nothing needs cleaning up.
 */
interface FetchedMessage {
  headers?: Record<string, Buffer | Buffer[] | undefined>
  key: Buffer | null
  offset: string
  timestamp: string
  value: Buffer | null
}

interface FetchedPartition {
  abortedTransactions: unknown[]
  errorCode: number
  highWatermark: string
  messages: FetchedMessage[]
  partition: number
}

interface InternalBroker {
  /** Two connections per broker; index 1 carries Fetch requests. */
  connectionPool: {getConnection(index: number): Promise<unknown>}
  fetch(request: unknown): Promise<{responses: {partitions: FetchedPartition[]; topicName: string}[]}>
}

export interface InternalCluster {
  addTargetTopic(topic: string): Promise<void>
  connect(): Promise<void>
  disconnect(): Promise<void>
  findBroker(options: {nodeId: string}): Promise<InternalBroker>
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>
  refreshMetadata(): Promise<void>
}

interface InternalBatch {
  isEmptyIncludingFiltered(): boolean
  lastOffset(): string
  messages: FetchedMessage[]
}

const require = createRequire(import.meta.url)
const READ_COMMITTED = 1
const FETCH_CONNECTION = 1
const PARTITION_MAX_BYTES = 8 * 1024 * 1024
/** How long a fetch waits on the broker for new records when following. */
const FOLLOW_WAIT_MS = 500
const RETRIABLE = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'NOT_LEADER_OR_FOLLOWER'])

export function createFetchCluster(kafka: Kafka): InternalCluster {
  const factory = Object.getOwnPropertySymbols(kafka).find((symbol) => symbol.description === 'private:Kafka:createCluster')
  if (!factory) throw new Error('this kafkajs build does not expose its cluster factory: evt needs kafkajs 2.2.4')
  const create = (kafka as unknown as Record<symbol, (options: object) => InternalCluster>)[factory]
  return create({allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED, metadataMaxAge: 300_000})
}

const brokers = new WeakMap<InternalCluster, Map<string, Promise<InternalBroker>>>()

/**
 * One lookup per broker, with its fetch connection opened before first use: kafkajs connects
 * lazily, and concurrent first requests (one per partition read) would each open a socket of
 * which only the last is closed on disconnect, keeping the process alive.
 */
function brokerFor(cluster: InternalCluster, nodeId: string): Promise<InternalBroker> {
  let known = brokers.get(cluster)
  if (!known) brokers.set(cluster, (known = new Map()))
  let broker = known.get(nodeId)
  if (!broker) {
    broker = cluster.findBroker({nodeId}).then(async (found) => {
      await found.connectionPool.getConnection(FETCH_CONNECTION)
      return found
    })
    broker.catch(() => known.delete(nodeId))
    known.set(nodeId, broker)
  }

  return broker
}

/** Reads one partition from `from` up to `to` (or forever when following), batch by batch. The topic must be a target of the cluster already. */
export async function* fetchPartition(cluster: InternalCluster, {from, partition, signal, to, topic}: ReadRange): AsyncIterable<LogRecord[]> {
  const Batch = require('kafkajs/src/consumer/batch.js') as new (topic: string, offset: string, data: FetchedPartition) => InternalBatch
  const {createErrorFromCode} = require('kafkajs/src/protocol/error.js') as {createErrorFromCode(code: number): Error & {type: string}}
  let offset = from
  while (!signal?.aborted && (to === undefined || offset < to)) {
    const leaders = cluster.findLeaderForPartitions(topic, [partition])
    const nodeId = Object.keys(leaders)[0]
    if (nodeId === undefined) throw new Error(`no leader for ${topic}[${partition}]`)
    const broker = await brokerFor(cluster, nodeId)
    const response = await broker.fetch({
      isolationLevel: READ_COMMITTED,
      maxBytes: PARTITION_MAX_BYTES,
      maxWaitTime: to === undefined ? FOLLOW_WAIT_MS : 0,
      minBytes: 1,
      replicaId: -1,
      topics: [{partitions: [{fetchOffset: String(offset), maxBytes: PARTITION_MAX_BYTES, partition}], topic}],
    })
    const data = response.responses[0].partitions[0]
    if (data.errorCode !== 0) {
      const error = createErrorFromCode(data.errorCode)
      if (!RETRIABLE.has(error.type)) throw error
      brokers.get(cluster)?.clear()
      await cluster.refreshMetadata()
      continue
    }

    const batch = new Batch(topic, String(offset), data)
    if (batch.isEmptyIncludingFiltered()) {
      // Nothing at or after `offset` yet: a bounded read is done, a follow waits on the broker again.
      if (to !== undefined) return
      continue
    }

    offset = Number(batch.lastOffset()) + 1
    const records: LogRecord[] = []
    for (const message of batch.messages) {
      const messageOffset = Number(message.offset)
      if (to !== undefined && messageOffset >= to) break
      records.push({
        headers: toHeaders(message.headers),
        key: message.key,
        offset: messageOffset,
        partition,
        timestamp: Number(message.timestamp),
        topic,
        value: message.value,
      })
    }

    if (records.length > 0) yield records
  }
}

/** Kafka allows a header name twice; like Java's `lastHeader`, the last value wins. */
function toHeaders(raw: FetchedMessage['headers']): Headers {
  const headers: Headers = {}
  for (const [name, value] of Object.entries(raw ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value
    if (last !== undefined) headers[name] = Buffer.isBuffer(last) ? last : Buffer.from(String(last))
  }

  return headers
}
