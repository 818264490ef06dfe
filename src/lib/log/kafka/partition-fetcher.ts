import type {Kafka} from 'kafkajs'

import {EvtError, NotFoundError, UsageError} from '../../errors.js'
import type {LogRecord, ReadRange} from '../event-log.js'
import type {BrokerHealth} from './broker-health.js'
import {codecForId, compressionName} from './compression.js'
import {type AbortedTransaction, decodeRecordBatches, scanRecordBatches} from './record-batches.js'
import {backoffMs, isRetriable, KafkaConditionError, pause} from './retry.js'

/*
 * kafkajs only reads through a consumer group (kafkajs issue #373), and evt must leave no trace in
 * the cluster. So reads send Fetch requests directly through kafkajs's own cluster and broker
 * objects, which are internal: this module is the only place that touches them, and kafkajs is
 * pinned to 2.2.4. No group is joined, no offset is committed, nothing needs cleaning up.
 */
/** One partition of a Fetch response, with its record set left as bytes for record-batches.ts. */
interface RawFetchedPartition {
  abortedTransactions: AbortedTransaction[]
  errorCode: number
  partition: number
  recordSet: Buffer | null
}

interface FetchProtocol {
  request: {apiVersion: number}
  response: {decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown>}
}

interface InternalBroker {
  /** Two connections per broker; index 1 carries Fetch requests. */
  connectionPool: {getConnection(index: number): Promise<unknown>; host: string; port: number}
  lookupRequest(apiKey: number, definitions: unknown): (request: object) => FetchProtocol
  offsetCommit(request: {
    groupGenerationId: number
    groupId: string
    memberId: string
    topics: {partitions: {offset: string; partition: number}[]; topic: string}[]
  }): Promise<unknown>
}

export interface InternalCluster {
  /** The topics' metadata in one request, unless the cluster holds it already. */
  addMultipleTargetTopics(topics: string[]): Promise<void>
  connect(): Promise<void>
  disconnect(): Promise<void>
  findBroker(options: {nodeId: string}): Promise<InternalBroker>
  findGroupCoordinator(options: {groupId: string}): Promise<InternalBroker>
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>
  findTopicPartitionMetadata(topic: string): {partitionId: number}[]
  /** One ListOffsets per leader for every partition asked: the latest offsets, or the earliest with `fromBeginning`. */
  fetchTopicsOffset(topics: {fromBeginning: boolean; partitions: {partition: number}[]; topic: string}[]): Promise<{partitions: {offset: string; partition: number}[]; topic: string}[]>
  /** Every topic's metadata, from any broker: `topics: []` asks for all. */
  metadata(options: {topics: string[]}): Promise<{topicMetadata: {topic: string}[]}>
  refreshMetadata(): Promise<void>
  /** Refreshes the metadata once it is older than kafkajs's metadataMaxAge (5 minutes). */
  refreshMetadataIfNecessary(): Promise<void>
  targetTopics: Set<string>
}

const READ_COMMITTED = 1
const FETCH_API_KEY = 1
const FETCH_CONNECTION = 1
/** A partition's first Fetch is small, so the first records come quickly; later ones grow to the maximum. */
const FIRST_FETCH_BYTES = 256 * 1024
/**
 * A read of a few records (a trace's indexed records: one each) asks for about their size: Kafka
 * returns the first whole batch however small the limit, so one record costs one batch, not 256 KiB.
 */
const BYTES_PER_RECORD_GUESS = 1024
/** Kafka's own default max.partition.fetch.bytes: a partition read alone fetches up to this much. */
const PARTITION_MAX_BYTES = 1024 * 1024
/**
 * What the partitions read at once may hold in fetched bytes, in all (each holds one response and
 * has one in flight): a read of many partitions fetches less of each, so memory does not grow with
 * the partition count. 24 partitions fetch 340 KiB each.
 */
const TOTAL_FETCH_BYTES = 16 * 1024 * 1024
const PARTITION_MIN_BYTES = 64 * 1024
/** How long a fetch waits on the broker for new records when following. */
const FOLLOW_WAIT_MS = 500

export function createFetchCluster(kafka: Kafka): InternalCluster {
  const factory = Object.getOwnPropertySymbols(kafka).find((symbol) => symbol.description === 'private:Kafka:createCluster')
  if (!factory) throw new EvtError('INTERNAL', 'this kafkajs build does not expose its cluster factory: evt needs kafkajs 2.2.4')
  const create = (kafka as unknown as Record<symbol, (options: object) => InternalCluster>)[factory]
  return create({allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED, metadataMaxAge: 300_000})
}

/** Per cluster, one lookup per broker node (kafkajs connects lazily; see fetchBroker). */
const brokers = new WeakMap<InternalCluster, Map<string, Promise<InternalBroker>>>()
/** Per broker, the connect of its fetch connection that is under way. */
const connecting = new WeakMap<InternalBroker, Promise<unknown>>()
/** Per cluster, the metadata refresh under way: partitions that fail together share one. */
const refreshing = new WeakMap<InternalCluster, Promise<void>>()
/** Per cluster, how many partitions are being read now (they share TOTAL_FETCH_BYTES). */
const readers = new WeakMap<InternalCluster, number>()

function partitionFetchBytes(cluster: InternalCluster): number {
  const share = Math.floor(TOTAL_FETCH_BYTES / (2 * Math.max(readers.get(cluster) ?? 1, 1)))
  return Math.min(PARTITION_MAX_BYTES, Math.max(PARTITION_MIN_BYTES, share))
}

/**
 * The broker of a node with its fetch connection open. kafkajs connects lazily, and concurrent
 * first requests (one per partition read, or again after a broker restart) would each open a
 * socket of which only the last is closed on disconnect, keeping the process alive: so one
 * lookup per node and one connect at a time per broker.
 */
async function fetchBroker(cluster: InternalCluster, nodeId: string): Promise<InternalBroker> {
  let known = brokers.get(cluster)
  if (!known) brokers.set(cluster, (known = new Map()))
  let lookup = known.get(nodeId)
  if (!lookup) {
    lookup = cluster.findBroker({nodeId})
    const cached = lookup
    lookup.catch(() => known.get(nodeId) === cached && known.delete(nodeId))
    known.set(nodeId, lookup)
  }

  const broker = await lookup
  let connect = connecting.get(broker)
  if (!connect) {
    connect = broker.connectionPool.getConnection(FETCH_CONNECTION).finally(() => connecting.delete(broker))
    connecting.set(broker, connect)
  }

  await connect
  return broker
}

function forgetBroker(cluster: InternalCluster, nodeId: string): void {
  brokers.get(cluster)?.delete(nodeId)
}

function refreshMetadata(cluster: InternalCluster): Promise<void> {
  let refresh = refreshing.get(cluster)
  if (!refresh) {
    refresh = cluster.refreshMetadata().finally(() => refreshing.delete(cluster))
    refreshing.set(cluster, refresh)
  }

  return refresh
}

async function topicExists(cluster: InternalCluster, topic: string): Promise<boolean> {
  const {topicMetadata} = await cluster.metadata({topics: []}).catch(() => ({topicMetadata: [{topic}]}))
  return topicMetadata.some((found) => found.topic === topic)
}

export interface FetchOptions {
  /** Told of every broker that failed (refused, closed, timed out) and every one that answered. */
  health: BrokerHealth
  /** How long a partition may go without a reachable leader before the read fails. */
  timeoutMs: number
}

/**
 * Reads one partition from `from` up to `to` (or forever when following), batch by batch. The
 * next Fetch is sent as soon as a response arrives, so the broker works while the caller decodes.
 * A broker that fails or a leader that moves is retried (retry.ts) from the first offset not yet
 * passed on: no record twice, none skipped. The topic must be a target of the cluster already.
 */
export async function* fetchPartition(cluster: InternalCluster, {from, partition, signal, to, topic}: ReadRange, {health, timeoutMs}: FetchOptions): AsyncIterable<LogRecord[]> {
  const decompress = async (attributes: number, data: Buffer, offset: number): Promise<Buffer> => {
    const id = attributes & 7
    const codec = codecForId(id)
    const failure = (why: string) =>
      new UsageError(`cannot read ${topic}[${partition}]@${offset}: ${why}`, {code: 'UNSUPPORTED_COMPRESSION', hint: 'evt reads gzip, snappy, lz4 and zstd batches; every record before this batch was passed on'})
    if (!codec) throw failure(`the batch uses ${compressionName(id)}, which Kafka does not define`)
    try {
      return await (await codec).decompress(data)
    } catch (error) {
      throw failure(`its ${compressionName(id)} data does not decompress (${(error as Error).message})`)
    }
  }

  let maxBytes = Math.min(FIRST_FETCH_BYTES, partitionFetchBytes(cluster), to === undefined ? Infinity : Math.max(1, to - from) * BYTES_PER_RECORD_GUESS)
  const fetchAt = async (offset: number): Promise<RawFetchedPartition> => {
    const leaders = cluster.findLeaderForPartitions(topic, [partition])
    const nodeId = Object.keys(leaders)[0]
    if (nodeId === undefined) throw new KafkaConditionError('LEADER_NOT_AVAILABLE', `no leader for ${topic}[${partition}]`)
    try {
      const broker = await fetchBroker(cluster, nodeId)
      const wanted: PartitionFetch = {maxBytes, offset, partition, topic}
      const fetched = to === undefined ? await fetchFollowing(broker, wanted) : (await sendFetch(broker, [wanted], 0))[0]
      if (fetched instanceof Error) throw fetched
      health.answered(broker.connectionPool)
      maxBytes = Math.min(maxBytes * 4, partitionFetchBytes(cluster))
      return fetched
    } catch (error) {
      forgetBroker(cluster, nodeId)
      throw error
    }
  }

  let offset = from
  let next: Promise<RawFetchedPartition> | undefined
  /** When this partition last had a leader that answered. */
  let answeredAt = Date.now()
  let attempt = 0
  readers.set(cluster, (readers.get(cluster) ?? 0) + 1)
  try {
    while (!signal?.aborted && (to === undefined || offset < to)) {
      let data: RawFetchedPartition
      try {
        data = await (next ?? fetchAt(offset))
      } catch (error) {
        next = undefined
        if (!isRetriable(error) || signal?.aborted) throw error
        health.failed(error)
        if (Date.now() - answeredAt >= timeoutMs) throw health.leaderUnreachable(topic, partition, timeoutMs, error)
        await pause(backoffMs(attempt++), signal)
        const refresh = await refreshMetadata(cluster).then(
          () => undefined,
          (failure: {type?: string}) => failure,
        )
        if (refresh?.type === 'UNKNOWN_TOPIC_OR_PARTITION' && !(await topicExists(cluster, topic))) {
          // Another client deleted it. Dropped from the topics whose metadata is refreshed, so that
          // the reads of other topics can still refresh theirs.
          cluster.targetTopics.delete(topic)
          throw new NotFoundError('TOPIC_DELETED', `topic '${topic}' was deleted while evt was reading it (at ${topic}[${partition}]@${offset})`)
        }

        continue
      }

      next = undefined
      answeredAt = Date.now()
      attempt = 0
      const recordSet = data.recordSet ?? Buffer.alloc(0)
      const fetchedFrom = offset
      const scanned = scanRecordBatches(recordSet, {aborted: data.abortedTransactions, from: fetchedFrom, partition, topic})
      if (scanned.nextOffset !== undefined) {
        offset = scanned.nextOffset
        // The next Fetch goes out now, so the broker works while this one is decoded and passed on.
        if (!scanned.error && !signal?.aborted && (to === undefined || offset < to)) {
          next = fetchAt(offset)
          // Handled when awaited; until then a broker failure must not count as an unhandled rejection.
          next.catch(() => {})
        }
      }

      yield* decodeRecordBatches(recordSet, scanned.spans, {decompress, from: fetchedFrom, partition, to, topic})
      if (scanned.error) throw scanned.error
      // Nothing at or after `offset` yet: a bounded read is done, a follow waits on the broker again.
      if (scanned.nextOffset === undefined && to !== undefined) return
    }
  } finally {
    readers.set(cluster, (readers.get(cluster) ?? 1) - 1)
  }
}

/** What one partition asks of a Fetch. */
interface PartitionFetch {
  maxBytes: number
  offset: number
  partition: number
  topic: string
}

/**
 * One Fetch to `broker` for `wanted`, answered per partition: its records, or the error the broker
 * gave for it (kafkajs's own parse throws the first partition's error for every partition asked).
 * A failure of the request itself (a closed connection, a timeout) is thrown.
 */
async function sendFetch(broker: InternalBroker, wanted: PartitionFetch[], maxWaitTime: number): Promise<(Error | RawFetchedPartition)[]> {
  const {requests} = (await import('kafkajs/src/protocol/requests/index.js')).default as {requests: {Fetch: unknown}}
  const {createErrorFromCode} = (await import('kafkajs/src/protocol/error.js')).default as {createErrorFromCode(code: number): Error}
  const topics = new Map<string, {fetchOffset: string; maxBytes: number; partition: number}[]>()
  for (const {maxBytes, offset, partition, topic} of wanted) {
    if (!topics.has(topic)) topics.set(topic, [])
    topics.get(topic)!.push({fetchOffset: String(offset), maxBytes, partition})
  }

  const protocol = broker.lookupRequest(FETCH_API_KEY, requests.Fetch)({
    isolationLevel: READ_COMMITTED,
    // Room for every partition's share: a smaller limit would fill up with the first partitions of
    // the request, and those after them would get nothing, Fetch after Fetch.
    maxBytes: wanted.reduce((sum, fetch) => sum + fetch.maxBytes, 0),
    maxWaitTime,
    minBytes: 1,
    replicaId: -1,
    topics: [...topics].map(([topic, partitions]) => ({partitions, topic})),
  })
  const {apiVersion} = protocol.request
  if (apiVersion < 7) throw new UsageError(`the broker speaks Fetch v${apiVersion}; evt needs Kafka 2.0 or newer (Fetch v7+)`, {code: 'UNSUPPORTED_FORMAT'})
  protocol.response = {...protocol.response, decode: async (raw) => decodeFetchResponse(raw, apiVersion), parse: async (data) => data}
  const response = (await sendRequest(broker)(protocol)) as ReturnType<typeof decodeFetchResponse>
  if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode)
  const answered = new Map(response.responses.flatMap(({partitions, topicName}) => partitions.map((fetched) => [`${fetched.partition} ${topicName}`, fetched])))
  return wanted.map(({partition, topic}) => {
    const fetched = answered.get(`${partition} ${topic}`)
    if (!fetched) return new KafkaConditionError('UNKNOWN_SERVER_ERROR', `the broker's Fetch response left out ${topic}[${partition}]`)
    return fetched.errorCode === 0 ? fetched : createErrorFromCode(fetched.errorCode)
  })
}

/** A broker's follow fetches: those waiting for the next Fetch, and whether one is on its way. */
interface FollowBatch {
  sending: boolean
  waiting: {reject(error: unknown): void; resolve(fetched: Error | RawFetchedPartition): void; wanted: PartitionFetch}[]
}

const followBatches = new WeakMap<InternalBroker, FollowBatch>()

/**
 * A following partition's fetch, sent with those of the other partitions the broker leads in one
 * Fetch, as Kafka's own consumer does. A broker answers one request of a connection at a time, and
 * a follow's Fetch waits up to FOLLOW_WAIT_MS for new records: with a Fetch per partition, a record
 * on a broker's 16th partition waited for the 15 before it (a 48-partition topic on 3 brokers:
 * printed 0.5-7 s late). One Fetch returns as soon as any of its partitions has records. The
 * fetches asked for while one is on its way go out together once it is answered.
 */
function fetchFollowing(broker: InternalBroker, wanted: PartitionFetch): Promise<Error | RawFetchedPartition> {
  const batch = followBatches.get(broker) ?? {sending: false, waiting: []}
  followBatches.set(broker, batch)
  const fetched = new Promise<Error | RawFetchedPartition>((resolve, reject) => batch.waiting.push({reject, resolve, wanted}))
  if (!batch.sending) {
    batch.sending = true
    // After this turn of the event loop: every partition answered by the last Fetch asks again first.
    setImmediate(() => sendFollowFetches(broker, batch))
  }

  return fetched
}

function sendFollowFetches(broker: InternalBroker, batch: FollowBatch): void {
  const sent = batch.waiting
  batch.waiting = []
  sendFetch(
    broker,
    sent.map((fetch) => fetch.wanted),
    FOLLOW_WAIT_MS,
  )
    .then(
      (fetched) => sent.forEach((fetch, index) => fetch.resolve(fetched[index])),
      (error: unknown) => sent.forEach((fetch) => fetch.reject(error)),
    )
    .finally(() => {
      if (batch.waiting.length > 0) setImmediate(() => sendFollowFetches(broker, batch))
      else batch.sending = false
    })
}

/** kafkajs's private send, which also tidies up a broker whose connection closed. */
let sendSymbol: symbol | undefined

function sendRequest(broker: InternalBroker): (protocol: FetchProtocol) => Promise<unknown> {
  // Looked up once: every Fetch goes through it.
  sendSymbol ??= Object.getOwnPropertySymbols(Object.getPrototypeOf(broker)).find((symbol) => symbol.description === 'private:Broker:sendRequest')
  if (!sendSymbol) throw new EvtError('INTERNAL', 'this kafkajs build does not expose its broker send: evt needs kafkajs 2.2.4')
  const method = (broker as unknown as Record<symbol, (protocol: FetchProtocol) => Promise<unknown>>)[sendSymbol]
  return (protocol) => method.call(broker, protocol)
}

/**
 * A Fetch response (v7–v11): per partition its error, aborted transactions and the record set as
 * bytes. Field layout from the Kafka protocol guide.
 */
function decodeFetchResponse(raw: Buffer, version: number): {errorCode: number; responses: {partitions: RawFetchedPartition[]; topicName: string}[]} {
  let at = 0
  const int16 = () => ((at += 2), raw.readInt16BE(at - 2))
  const int32 = () => ((at += 4), raw.readInt32BE(at - 4))
  const int64 = () => ((at += 8), raw.readBigInt64BE(at - 8))
  at += 4 // throttle_time_ms
  const errorCode = int16()
  at += 4 // session_id
  const responses: {partitions: RawFetchedPartition[]; topicName: string}[] = []
  for (let t = int32(); t > 0; t--) {
    const nameLength = int16()
    const topicName = raw.toString('utf8', at, (at += nameLength))
    const partitions: RawFetchedPartition[] = []
    for (let p = int32(); p > 0; p--) {
      const partition = int32()
      const partitionError = int16()
      at += 24 // high_watermark, last_stable_offset, log_start_offset
      const abortedTransactions: AbortedTransaction[] = []
      for (let a = int32(); a > 0; a--) abortedTransactions.push({producerId: int64(), firstOffset: Number(int64())})
      if (version >= 11) at += 4 // preferred_read_replica
      const size = int32()
      const recordSet = size < 0 ? null : raw.subarray(at, (at += size))
      partitions.push({abortedTransactions, errorCode: partitionError, partition, recordSet})
    }

    responses.push({partitions, topicName})
  }

  return {errorCode, responses}
}
