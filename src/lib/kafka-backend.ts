import type {Backend} from './backend.js'
import type {KafkaCluster} from './config/types.js'
import {createKafkaClient} from './log/kafka/kafka-client.js'
import {KafkaEventLog} from './log/kafka/kafka-log.js'
import {HttpSchemaRegistry} from './registry/http/http-registry.js'
import {UnconfiguredRegistry} from './registry/unconfigured-registry.js'

/** Kafka through kafkajs plus a Confluent-API schema registry over HTTP. */
export async function openKafkaBackend(cluster: KafkaCluster, signal?: AbortSignal): Promise<Backend> {
  const log = new KafkaEventLog(await createKafkaClient(cluster), cluster.brokers, {timeoutMs: cluster.timeoutMs})
  const registry = cluster.registry ? new HttpSchemaRegistry(cluster.registry, signal) : new UnconfiguredRegistry(cluster.name)
  return {
    async close() {
      await Promise.allSettled([log.close(), registry.close()])
    },
    log,
    registry,
  }
}
