import type {Backend} from './backend.js'
import type {KafkaCluster} from './config/types.js'
import {UsageError} from './errors.js'

export async function openKafkaBackend(cluster: KafkaCluster): Promise<Backend> {
  throw new UsageError(`the kafka backend (${cluster.brokers.join(',')}) is not available yet`)
}
