import type {Backend} from './backend.js'
import type {KafkaCluster} from './config/types.js'
import {createKafkaClient} from './log/kafka/kafka-client.js'
import {KafkaEventLog} from './log/kafka/kafka-log.js'
import {UnconfiguredRegistry} from './registry/unconfigured-registry.js'

/** Kafka through kafkajs plus a Confluent-API schema registry over HTTP. */
export async function openKafkaBackend(cluster: KafkaCluster, signal?: AbortSignal): Promise<Backend> {
  const log = new KafkaEventLog(await createKafkaClient(cluster), cluster.brokers, {timeoutMs: cluster.timeoutMs})
  // The HTTP client (and the compatibility rules it loads) only when a registry is configured.
  const registry = cluster.registry
    ? new (await import('./registry/http/http-registry.js')).HttpSchemaRegistry(cluster.registry, signal)
    : new UnconfiguredRegistry(cluster.name)
  return {
    async close() {
      await Promise.allSettled([log.close(), registry.close()])
    },
    log,
    registry,
  }
}
