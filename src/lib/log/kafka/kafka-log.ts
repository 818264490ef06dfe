import type {Admin, Kafka, Message, Producer} from 'kafkajs'

import {NotFoundError, UsageError} from '../../errors.js'
import type {
  EventLog,
  GroupOffset,
  LogRecord,
  OutgoingRecord,
  PartitionWatermarks,
  ProducedRecord,
  ReadRange,
  TopicInfo,
} from '../event-log.js'
import {partitionForKey} from '../partitioner.js'
import {validateTopicName} from '../topic-name.js'
import {mapKafkaError} from './kafka-client.js'
import {createFetchCluster, fetchPartition, type InternalCluster} from './partition-fetcher.js'

const LEADER_WAIT_MS = 10_000

/** The EventLog over a real Kafka cluster, through kafkajs. */
export class KafkaEventLog implements EventLog {
  private admin?: Promise<Admin>
  private fetchCluster?: Promise<InternalCluster>
  /** Topics whose metadata the fetch cluster holds; set up once, as concurrent set-ups leak connections. */
  private readonly fetchTopics = new Map<string, Promise<InternalCluster>>()
  private lastTopicSetup: Promise<void> = Promise.resolve()
  private readonly partitionCounts = new Map<string, number>()
  private producer?: Promise<Producer>
  private readonly roundRobin = new Map<string, number>()

  constructor(
    private readonly kafka: Kafka,
    private readonly brokers: string[],
  ) {}

  async close(): Promise<void> {
    const connections = [this.admin, this.producer, this.fetchCluster]
    await Promise.allSettled(connections.map(async (connection) => (await connection)?.disconnect()))
  }

  async commitGroupOffsets(group: string, offsets: Omit<GroupOffset, 'group'>[]): Promise<void> {
    const admin = await this.connectedAdmin()
    const byTopic = new Map<string, {offset: string; partition: number}[]>()
    for (const {offset, partition, topic} of offsets) {
      const partitions = byTopic.get(topic) ?? []
      partitions.push({offset: String(offset), partition})
      byTopic.set(topic, partitions)
    }
    await this.call(async () => {
      for (const [topic, partitions] of byTopic) await admin.setOffsets({groupId: group, partitions, topic})
    })
  }

  async createTopic(name: string, {partitions, retainForever}: {partitions: number; retainForever?: boolean}): Promise<void> {
    validateTopicName(name)
    if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError(`invalid partition count ${partitions}: give a whole number ≥ 1`)
    const admin = await this.connectedAdmin()
    const created = await this.call(() => admin.createTopics({
        topics: [{configEntries: retainForever ? [{name: 'retention.ms', value: '-1'}] : [], numPartitions: partitions, topic: name}],
        waitForLeaders: true,
      }))
    if (!created) throw new UsageError(`topic '${name}' already exists`)
    // Metadata reaches every broker a little after creation; wait until all partitions have leaders.
    const deadline = Date.now() + LEADER_WAIT_MS
    for (;;) {
      const metadata = await this.call(() => admin.fetchTopicMetadata({topics: [name]})).catch(() => undefined)
      const found = metadata?.topics[0]?.partitions
      if (found && found.length === partitions && found.every((p) => p.leader >= 0)) break
      if (Date.now() > deadline) throw new Error(`topic '${name}' was created but its partitions have no leader after ${LEADER_WAIT_MS} ms`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    this.partitionCounts.set(name, partitions)
  }

  async groupOffsets(topic: string): Promise<GroupOffset[]> {
    await this.requireTopic(topic)
    const admin = await this.connectedAdmin()
    const {groups} = await this.call(() => admin.listGroups())
    const offsets: GroupOffset[] = []
    for (const {groupId} of groups.sort((a, b) => a.groupId.localeCompare(b.groupId))) {
      const fetched = await this.call(() => admin.fetchOffsets({groupId, topics: [topic]}))
      for (const {partition, offset} of fetched.flatMap((t) => t.partitions)) {
        // -1: the group has no committed offset on this partition.
        if (Number(offset) >= 0) offsets.push({group: groupId, offset: Number(offset), partition, topic})
      }
    }

    return offsets.sort((a, b) => a.group.localeCompare(b.group) || a.partition - b.partition)
  }

  async listTopics(): Promise<TopicInfo[]> {
    const admin = await this.connectedAdmin()
    const {topics} = await this.call(() => admin.fetchTopicMetadata())
    return topics
      .filter((topic) => !topic.name.startsWith('__'))
      .map((topic) => ({name: topic.name, partitions: topic.partitions.length}))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<{offset: number; partition: number}[]> {
    await this.requireTopic(topic)
    const admin = await this.connectedAdmin()
    const offsets = await this.call(() => admin.fetchTopicOffsetsByTimestamp(topic, timestamp))
    return offsets.map(({offset, partition}) => ({offset: Number(offset), partition})).sort((a, b) => a.partition - b.partition)
  }

  async produce(records: OutgoingRecord[]): Promise<ProducedRecord[]> {
    const producer = await this.connectedProducer()
    const byTopic = new Map<string, Message[]>()
    const placed: {partition: number; topic: string}[] = []
    for (const record of records) {
      const partition = await this.choosePartition(record)
      placed.push({partition, topic: record.topic})
      const message: Message = {headers: record.headers, key: record.key, partition, timestamp: record.timestamp === undefined ? undefined : String(record.timestamp), value: record.value}
      const messages = byTopic.get(record.topic)
      if (messages) messages.push(message)
      else byTopic.set(record.topic, [message])
    }

    const metadata = await this.call(() => producer.sendBatch({acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({messages, topic}))}))
    // kafkajs sends each partition's messages in order as one batch: offsets are the base offset + position.
    const next = new Map(metadata.map((m) => [`${m.topicName}/${m.partition}`, Number(m.baseOffset)]))
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
      throw new UsageError(`topic '${range.topic}' has no partition ${range.partition} (it has ${partitions}: 0-${partitions - 1})`)
    }

    const cluster = await this.fetchClusterFor(range.topic)
    try {
      yield* fetchPartition(cluster, range)
    } catch (error) {
      throw mapKafkaError(error, this.brokers)
    }
  }

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    await this.requireTopic(topic)
    const admin = await this.connectedAdmin()
    const offsets = await this.call(() => admin.fetchTopicOffsets(topic))
    return offsets.map((o) => ({high: Number(o.high), low: Number(o.low), partition: o.partition})).sort((a, b) => a.partition - b.partition)
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw mapKafkaError(error, this.brokers)
    }
  }

  private async choosePartition(record: OutgoingRecord): Promise<number> {
    const partitions = await this.requireTopic(record.topic)
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        throw new UsageError(`topic '${record.topic}' has no partition ${record.partition} (it has ${partitions})`)
      }

      return record.partition
    }

    // The same partitioner as the embedded log, so a key lands in the same partition on both.
    if (record.key) return partitionForKey(record.key, partitions)
    const next = this.roundRobin.get(record.topic) ?? 0
    this.roundRobin.set(record.topic, next + 1)
    return next % partitions
  }

  private fetchClusterFor(topic: string): Promise<InternalCluster> {
    let ready = this.fetchTopics.get(topic)
    if (!ready) {
      this.fetchCluster ??= (async () => {
        const cluster = createFetchCluster(this.kafka)
        await this.call(() => cluster.connect())
        return cluster
      })()
      // One topic after the other: kafkajs refreshes metadata per call and is not safe to race.
      const previous = this.lastTopicSetup
      const connected = this.fetchCluster
      ready = (async () => {
        await previous
        const cluster = await connected
        await this.call(() => cluster.addTargetTopic(topic))
        return cluster
      })()
      this.lastTopicSetup = ready.then(
        () => {},
        () => {},
      )
      this.fetchTopics.set(topic, ready)
    }

    return ready
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin()
      await this.call(() => admin.connect())
      return admin
    })()
    return this.admin
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({allowAutoTopicCreation: false})
      await this.call(() => producer.connect())
      return producer
    })()
    return this.producer
  }

  /** The topic's partition count; unknown topics are an error naming the ones that exist. */
  private async requireTopic(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic)
    if (cached !== undefined) return cached
    const topics = await this.listTopics()
    for (const {name, partitions} of topics) this.partitionCounts.set(name, partitions)
    const found = this.partitionCounts.get(topic)
    if (found === undefined) throw new NotFoundError(`unknown topic '${topic}'`, {available: topics.map((t) => t.name)})
    return found
  }
}
