import type {Admin, Kafka, Message, Producer} from 'kafkajs'

import {EvtError, NotFoundError, UnreachableError, UsageError} from '../../errors.js'
import type {
  EventLog,
  GroupOffset,
  LogRecord,
  OutgoingRecord,
  PartitionWatermarks,
  ProduceOptions,
  ProducedRecord,
  ReadRange,
  TopicInfo,
} from '../event-log.js'
import {sortGroupOffsets} from '../event-log.js'
import {partitionForKey} from '../partitioner.js'
import {validateTopicName} from '../topic-name.js'
import {BrokerHealth} from './broker-health.js'
import {codecForId, COMPRESSION_IDS} from './compression.js'
import {loadKafkajs, mapKafkaError} from './kafka-client.js'
import {kafkajsHeaders} from './kafka-headers.js'
import {createFetchCluster, fetchPartition, type InternalCluster} from './partition-fetcher.js'
import {compareText} from '../../util/text-order.js'
import {DEFAULT_TIMEOUT_MS, errorChain, MetadataChangedError, withRetry} from './retry.js'

/** The EventLog over a real Kafka cluster, through kafkajs. */
export class KafkaEventLog implements EventLog {
  private admin?: Promise<Admin>
  private readonly admins = new Set<Promise<Admin>>()
  private fetchCluster?: Promise<InternalCluster>
  /** Topics whose metadata the fetch cluster holds; set up once, as concurrent set-ups leak connections. */
  private readonly fetchTopics = new Map<string, Promise<InternalCluster>>()
  private lastTopicSetup: Promise<void> = Promise.resolve()
  private offsetLookups: Promise<unknown> = Promise.resolve()
  private readonly partitionCounts = new Map<string, number>()
  /** The watermarks asked for in this turn of the event loop, answered together (watermarksOf). */
  private watermarkBatch?: {asked: Map<string, Promise<PartitionWatermarks[]>>; settled: Promise<Map<string, PartitionWatermarks[]>>}
  /** The topic listing requireTopic waits on, while one is asked for: reads started at once ask once. */
  private listing?: Promise<TopicInfo[]>
  private producer?: Promise<Producer>
  private readonly roundRobin = new Map<string, number>()
  private readonly health: BrokerHealth
  private readonly timeoutMs: number

  constructor(
    private readonly kafka: Kafka,
    brokers: string[],
    options: {timeoutMs?: number} = {},
  ) {
    this.health = new BrokerHealth(brokers)
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  async close(): Promise<void> {
    const connections = [...this.admins, this.producer, this.fetchCluster]
    await Promise.allSettled(connections.map(async (connection) => (await connection)?.disconnect()))
  }

  /**
   * A standalone commit (generation -1, no member), as a simple consumer or `kafka-consumer-groups
   * --reset-offsets` makes one: a single request to the group's coordinator. (kafkajs's setOffsets
   * joins the group with a consumer each time: seconds per call, and a member left behind when the
   * process dies blocks the next.) Kafka refuses it while the group has live members.
   */
  async commitGroupOffsets(group: string, offsets: Omit<GroupOffset, 'group'>[]): Promise<void> {
    const byTopic = new Map<string, {offset: string; partition: number}[]>()
    for (const {offset, partition, topic} of offsets) {
      const partitions = byTopic.get(topic) ?? []
      partitions.push({offset: String(offset), partition})
      byTopic.set(topic, partitions)
    }

    if (byTopic.size === 0) return
    const cluster = await this.fetchClusterFor([byTopic.keys().next().value!])
    const topics = [...byTopic].map(([topic, partitions]) => ({partitions, topic}))
    await this.call(async () => {
      const coordinator = await cluster.findGroupCoordinator({groupId: group})
      await coordinator.offsetCommit({groupGenerationId: -1, groupId: group, memberId: '', topics})
    })
  }

  async compacts(topic: string): Promise<boolean | undefined> {
    // 2 is ConfigResourceTypes.TOPIC: kafkajs is loaded lazily, so its enums are not imported here.
    const {resources} = await this.adminCall((admin) => admin.describeConfigs({includeSynonyms: false, resources: [{configNames: ['cleanup.policy'], name: topic, type: 2}]}))
    const policy = resources[0]?.configEntries.find((entry) => entry.configName === 'cleanup.policy')?.configValue
    return policy === undefined ? undefined : policy.split(',').map((part) => part.trim()).includes('compact')
  }

  async createTopic(name: string, {partitions, retainForever}: {partitions: number; retainForever?: boolean}): Promise<void> {
    validateTopicName(name)
    if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError(`invalid partition count ${partitions}: give a whole number ≥ 1`)
    let attempts = 0
    const created = await this.adminCall((admin) => {
      attempts++
      // The leaders are awaited below, with the timeout: kafkajs's own wait fails on a fresh cluster.
      return admin.createTopics({topics: [{configEntries: retainForever ? [{name: 'retention.ms', value: '-1'}] : [], numPartitions: partitions, topic: name}], waitForLeaders: false})
    })
    // On a retry, "exists" is the topic an earlier attempt created before its answer was lost.
    if (!created && attempts === 1) throw new UsageError(`topic '${name}' already exists`, {code: 'TOPIC_EXISTS'})
    // Metadata reaches every broker a little after creation; wait until all partitions have leaders.
    const deadline = Date.now() + this.timeoutMs
    for (;;) {
      const metadata = await this.adminCall((admin) => admin.fetchTopicMetadata({topics: [name]})).catch(() => undefined)
      const found = metadata?.topics[0]?.partitions
      if (found && found.length === partitions && found.every((p) => p.leader >= 0)) break
      if (Date.now() > deadline) {
        throw new UnreachableError('BROKER_UNREACHABLE', `topic '${name}' was created but its partitions have no leader after ${this.timeoutMs / 1000} s`, {address: this.health.downAddresses().join(',')})
      }

      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    this.partitionCounts.set(name, partitions)
  }

  async groupOffsets(topics: string[]): Promise<GroupOffset[]> {
    for (const topic of topics) await this.requireTopic(topic)
    if (topics.length === 0) return []
    const {groups} = await this.adminCall((admin) => admin.listGroups())
    const offsets: GroupOffset[] = []
    // One group at a time: kafkajs's admin refreshes shared metadata for each, and concurrent refreshes fail (see offsetLookup).
    for (const {groupId} of groups) {
      const fetched = await this.adminCall((admin) => admin.fetchOffsets({groupId, topics}))
      for (const {partitions, topic} of fetched) {
        for (const {offset, partition} of partitions) {
          // -1: the group has no committed offset on this partition.
          if (Number(offset) >= 0) offsets.push({group: groupId, offset: Number(offset), partition, topic})
        }
      }
    }

    return sortGroupOffsets(offsets)
  }

  async listTopics(): Promise<TopicInfo[]> {
    const {topics} = await this.adminCall((admin) => admin.fetchTopicMetadata())
    const listed = topics
      .filter((topic) => !topic.name.startsWith('__'))
      .map((topic) => ({name: topic.name, partitions: topic.partitions.length}))
      .sort((a, b) => compareText(a.name, b.name))
    for (const {name, partitions} of listed) this.partitionCounts.set(name, partitions)
    return listed
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<{offset: number; partition: number}[]> {
    await this.requireTopic(topic)
    const offsets = await this.adminCall((admin) => this.offsetLookup(topic, () => admin.fetchTopicOffsetsByTimestamp(topic, timestamp)))
    return offsets.map(({offset, partition}) => ({offset: Number(offset), partition})).sort((a, b) => a.partition - b.partition)
  }

  async produce(records: OutgoingRecord[], options: ProduceOptions = {}): Promise<ProducedRecord[]> {
    const partitionCounts = new Map<string, number>()
    // First: a cluster that cannot be reached at all is exit 3 here, within seconds (connectedProducer).
    for (const topic of new Set(records.map((record) => record.topic))) partitionCounts.set(topic, await this.requireTopic(topic))
    const producer = await this.connectedProducer()
    const byTopic = new Map<string, Message[]>()
    const placed: {partition: number; topic: string}[] = []
    for (const record of records) {
      const partition = this.choosePartition(record, partitionCounts.get(record.topic)!)
      placed.push({partition, topic: record.topic})
      const message: Message = {headers: kafkajsHeaders(record), key: record.key, partition, timestamp: record.timestamp === undefined ? undefined : String(record.timestamp), value: record.value}
      const messages = byTopic.get(record.topic)
      if (messages) messages.push(message)
      else byTopic.set(record.topic, [message])
    }

    const compression = COMPRESSION_IDS[options.compression ?? 'none']
    if (compression !== 0) await registerCodecs()
    // kafkajs's producer retries the partitions that failed, idempotently. But when a failed
    // broker's partitions move to a broker that had already answered for others, kafkajs does not
    // send them again and still resolves: so the partitions without an answer are sent again here.
    const next = new Map<string, number>()
    let pending = [...byTopic].map(([topic, messages]) => ({messages, topic}))
    const deadline = Date.now() + this.timeoutMs
    while (pending.length > 0) {
      const metadata = await this.mapErrors(() => producer.sendBatch({acks: -1, compression, timeout: this.timeoutMs, topicMessages: pending}))
      // kafkajs sends each partition's messages in order as one batch: offsets are the base offset + position.
      for (const m of metadata) next.set(`${m.topicName}/${m.partition}`, Number(m.baseOffset))
      pending = pending
        .map(({messages, topic}) => ({messages: messages.filter((message) => !next.has(`${topic}/${message.partition}`)), topic}))
        .filter(({messages}) => messages.length > 0)
      if (pending.length > 0 && Date.now() > deadline) {
        const unanswered = pending.flatMap(({messages, topic}) => [...new Set(messages.map((m) => `${topic}[${m.partition}]`))])
        throw new UnreachableError('BROKER_UNREACHABLE', `no leader acknowledged ${unanswered.join(', ')} within ${this.timeoutMs / 1000} s`, {address: this.health.downAddresses().join(',')})
      }
    }

    return placed.map(({partition, topic}) => {
      const key = `${topic}/${partition}`
      const offset = next.get(key)!
      next.set(key, offset + 1)
      return {offset, partition, topic}
    })
  }

  async *read(range: ReadRange): AsyncIterable<LogRecord[]> {
    const partitions = await this.requireTopic(range.topic)
    if (range.partition < 0 || range.partition >= partitions) {
      throw new UsageError(`topic '${range.topic}' has no partition ${range.partition} (it has ${partitions}: 0-${partitions - 1})`, {code: 'PARTITION_NOT_FOUND'})
    }

    const cluster = await this.fetchClusterFor([range.topic])
    try {
      yield* fetchPartition(cluster, range, {health: this.health, timeoutMs: this.timeoutMs})
    } catch (error) {
      throw this.toEvtError(error)
    }
  }

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    await this.requireTopic(topic)
    // Asked for with the other topics asked in the same turn of the event loop (a read plan of several).
    if (!this.watermarkBatch) {
      const asked = new Map<string, Promise<PartitionWatermarks[]>>()
      const settled = new Promise((resolve) => setImmediate(resolve)).then(() => {
        // Topics asked for from now on make the next batch.
        this.watermarkBatch = undefined
        return this.watermarksOf([...asked.keys()])
      })
      this.watermarkBatch = {asked, settled}
    }

    const {asked, settled} = this.watermarkBatch
    const pending = asked.get(topic) ?? settled.then((marks) => marks.get(topic) ?? this.topicWatermarks(topic))
    asked.set(topic, pending)
    return pending
  }

  /**
   * The watermarks of several topics in three round trips: their metadata, then the latest and the
   * earliest offsets at once, each one ListOffsets per leader (kafkajs's admin asks per topic, one
   * after another: a catch-up of four topics made twelve). A topic the batch could not answer
   * (deleted meanwhile, a leader moving) is missing from the map: it is asked for alone, whose
   * errors name it.
   */
  private async watermarksOf(topics: string[]): Promise<Map<string, PartitionWatermarks[]>> {
    const found = new Map<string, PartitionWatermarks[]>()
    if (topics.length < 2) return found
    try {
      const cluster = await this.fetchClusterFor(topics)
      // A long follow's metadata may be old (partitions added since): as kafkajs's admin does.
      await cluster.refreshMetadataIfNecessary()
      const offsets = (fromBeginning: boolean) => cluster.fetchTopicsOffset(topics.map((topic) => ({fromBeginning, partitions: cluster.findTopicPartitionMetadata(topic).map(({partitionId}) => ({partition: partitionId})), topic})))
      const [highs, lows] = await Promise.all([offsets(false), offsets(true)])
      for (const {partitions, topic} of highs) {
        const low = new Map(lows.find((other) => other.topic === topic)?.partitions.map(({offset, partition}) => [partition, Number(offset)]))
        if (partitions.length === 0 || partitions.some(({partition}) => !low.has(partition))) continue
        found.set(topic, partitions.map(({offset, partition}) => ({high: Number(offset), low: low.get(partition)!, partition})).sort((a, b) => a.partition - b.partition))
      }
    } catch {
      // Each topic alone, below.
    }

    return found
  }

  private async topicWatermarks(topic: string): Promise<PartitionWatermarks[]> {
    const offsets = await this.adminCall((admin) => this.offsetLookup(topic, () => admin.fetchTopicOffsets(topic)))
    return offsets.map((o) => ({high: Number(o.high), low: Number(o.low), partition: o.partition})).sort((a, b) => a.partition - b.partition)
  }

  /**
   * One offset look-up of kafkajs's admin at a time: concurrent ones refresh the shared metadata
   * under each other and fail with a TypeError from kafkajs. A topic deleted by another client
   * meanwhile is a NotFoundError (not retried); a look-up that raced a metadata change is retried.
   */
  private offsetLookup<T>(topic: string, lookup: () => Promise<T>): Promise<T> {
    const run = async () => {
      try {
        return await lookup()
      } catch (error) {
        const admin = await this.freshAdmin()
        const topics = await admin.listTopics()
        if (!topics.includes(topic)) {
          await this.forgetTopic(topic)
          throw new NotFoundError('TOPIC_DELETED', `topic '${topic}' was deleted`, {available: topics.filter((t) => !t.startsWith('__')).sort()})
        }

        throw error instanceof TypeError ? new MetadataChangedError(`kafkajs lost the metadata of '${topic}' meanwhile`, {cause: error}) : error
      }
    }

    const result = this.offsetLookups.then(run, run)
    this.offsetLookups = result.catch(() => {})
    return result
  }

  /**
   * A topic another client deleted: kafkajs's clusters refresh the metadata of every topic they
   * were ever given, and fail for all once one is gone; the fetch cluster (reads, watermarks) is
   * given it no more.
   */
  private async forgetTopic(topic: string): Promise<void> {
    this.partitionCounts.delete(topic)
    this.fetchTopics.delete(topic)
    const cluster = await this.fetchCluster?.catch(() => undefined)
    cluster?.targetTopics.delete(topic)
  }

  /**
   * A request through kafkajs's admin, retried by the one policy. kafkajs's admin refreshes the
   * metadata of every topic it ever looked up, and fails for all of them once one is deleted by
   * another client: after UNKNOWN_TOPIC_OR_PARTITION the retry gets a new admin.
   */
  private adminCall<T>(operation: (admin: Admin) => Promise<T>): Promise<T> {
    return this.call(
      async () => operation(await this.connectedAdmin()),
      (error) => {
        if (errorChain(error).some((e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION')) void this.freshAdmin().catch(() => {})
      },
    )
  }

  /**
   * A request through kafkajs, retried by the one policy (retry.ts); `onRetry` may prepare the
   * next try; `startedAt`: the timeout counts from then (see withRetry).
   */
  private call<T>(operation: () => Promise<T>, onRetry?: (error: unknown) => void, startedAt?: number): Promise<T> {
    return this.mapErrors(() =>
      withRetry(operation, {
        onRetry: (error) => {
          this.health.failed(error)
          onRetry?.(error)
        },
        startedAt,
        timeoutMs: this.timeoutMs,
      }),
    )
  }

  private async mapErrors<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw this.toEvtError(error)
    }
  }

  /** kafkajs's errors as evt's, naming the brokers that are down; evt's own pass through. */
  private toEvtError(error: unknown): unknown {
    return error instanceof EvtError ? error : mapKafkaError(error, this.health.downAddresses())
  }

  private choosePartition(record: OutgoingRecord, partitions: number): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        throw new UsageError(`topic '${record.topic}' has no partition ${record.partition} (it has ${partitions})`, {code: 'PARTITION_NOT_FOUND'})
      }

      return record.partition
    }

    // The same partitioner as the embedded log, so a key lands in the same partition on both.
    if (record.key) return partitionForKey(record.key, partitions)
    const next = this.roundRobin.get(record.topic) ?? 0
    this.roundRobin.set(record.topic, next + 1)
    return next % partitions
  }

  /** The fetch cluster, with the metadata of `topics`: those it lacks asked for in one request. */
  private fetchClusterFor(topics: string[]): Promise<InternalCluster> {
    const missing = topics.filter((topic) => !this.fetchTopics.has(topic))
    if (missing.length > 0) {
      this.fetchCluster ??= (async () => {
        const cluster = createFetchCluster(this.kafka)
        await this.mapErrors(() => cluster.connect())
        return cluster
      })()
      // One set-up after the other: kafkajs refreshes metadata per call and is not safe to race.
      const previous = this.lastTopicSetup
      const connected = this.fetchCluster
      const ready = (async () => {
        await previous
        const cluster = await connected
        await this.call(() => cluster.addMultipleTargetTopics(missing))
        return cluster
      })()
      // A failed set-up is not kept: the topics of a batch are set up again each alone.
      this.lastTopicSetup = ready.then(
        () => {},
        () => {
          for (const topic of missing) if (this.fetchTopics.get(topic) === ready) this.fetchTopics.delete(topic)
        },
      )
      for (const topic of missing) this.fetchTopics.set(topic, ready)
    }

    return Promise.all(topics.map((topic) => this.fetchTopics.get(topic)!)).then(([cluster]) => cluster)
  }

  private async freshAdmin(): Promise<Admin> {
    const old = this.admin
    this.admin = undefined
    await old?.then((admin) => admin.disconnect()).catch(() => {})

    return this.connectedAdmin()
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin()
      this.admin = this.mapErrors(() => admin.connect()).then(() => admin)
      // Every admin made is disconnected on close, even one replaced while it connected.
      this.admins.add(this.admin.catch(() => admin))
    }

    return this.admin
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      // Idempotent: a batch the producer sends again after a broker failure is written once.
      const producer = this.kafka.producer({allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, retry: producerRetry(this.timeoutMs)})
      // Connecting asks the broker the metadata names as controller for a producer id, and kafkajs
      // gives up at once when that broker is down: a SIGKILLed broker is still named until its
      // session expires (KRaft names a random live broker). produce() has had the cluster answer
      // first, so this is such a broker: asked again, kafkajs has refreshed its metadata. Within
      // the one timeout, counted from here, as kafkajs also retries inside (producerRetry).
      await this.call(() => producer.connect(), undefined, Date.now())
      return producer
    })()
    return this.producer
  }

  /** The topic's partition count; unknown topics are an error naming the ones that exist. */
  private async requireTopic(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic)
    if (cached !== undefined) return cached
    this.listing ??= this.listTopics().finally(() => (this.listing = undefined))
    const topics = await this.listing
    const found = this.partitionCounts.get(topic)
    if (found === undefined) throw new NotFoundError('TOPIC_NOT_FOUND', `unknown topic '${topic}'`, {available: topics.map((t) => t.name)})
    return found
  }
}

/**
 * kafkajs's producer retries the partitions of a batch that failed (a restarted leader, a topic
 * whose partitions are not yet hosted right after creation) with a metadata refresh between tries;
 * these settings give it about the timeout in all.
 */
function producerRetry(timeoutMs: number): {initialRetryTime: number; maxRetryTime: number; retries: number} {
  const maxRetryTime = 2000
  return {initialRetryTime: 100, maxRetryTime, retries: Math.max(5, Math.ceil(timeoutMs / maxRetryTime) + 4)}
}

let codecsRegistered: Promise<void> | undefined

/** Gives kafkajs's producer evt's codecs (it only has gzip, and throws on the others). */
function registerCodecs(): Promise<void> {
  codecsRegistered ??= (async () => {
    const {CompressionCodecs} = await loadKafkajs()
    for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const codec = await codecForId(COMPRESSION_IDS[name])!
      ;(CompressionCodecs as Record<number, unknown>)[COMPRESSION_IDS[name]] = () => ({
        compress: (encoder: {buffer: Buffer}) => codec.compress(encoder.buffer),
        decompress: (data: Buffer) => codec.decompress(data),
      })
    }
  })()
  return codecsRegistered
}
