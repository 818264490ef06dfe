import type {ClusterConfig} from './config/types.js'
import type {EventLog} from './log/event-log.js'
import type {SchemaRegistry} from './registry/schema-registry.js'

/** The two seams for one cluster, opened together and closed together. */
export interface Backend {
  close(): Promise<void>
  log: EventLog
  registry: SchemaRegistry
}

export interface OpenBackendOptions {
  /**
   * Create the embedded log (file and directory) when it does not exist: only for callers that
   * write to it. Without it a missing log is EMBEDDED_LOG_NOT_FOUND and nothing is created.
   * Kafka clusters ignore it.
   */
  create?: boolean
  /** Aborts requests in flight (the registry's HTTP calls) when the command is interrupted. */
  signal?: AbortSignal
  /** Told what a read skipped: the embedded log's corrupt stored batches. */
  warn?: (message: string) => void
}

/** Opens the embedded SQLite file or connects to Kafka + a Confluent-API registry. Heavy modules load here, on demand. */
export async function openBackend(cluster: ClusterConfig, {create = false, signal, warn}: OpenBackendOptions = {}): Promise<Backend> {
  if (cluster.kind === 'embedded') {
    const {openEmbeddedDatabase} = await import('./embedded/database.js')
    const {EmbeddedEventLog} = await import('./log/embedded/embedded-log.js')
    const {EmbeddedSchemaRegistry} = await import('./registry/embedded/embedded-registry.js')
    const db = await openEmbeddedDatabase(cluster.path, {create})
    return {
      async close() {
        if (db.open) db.close()
      },
      log: new EmbeddedEventLog(db, {warn}),
      registry: new EmbeddedSchemaRegistry(db),
    }
  }

  const {openKafkaBackend} = await import('./kafka-backend.js')
  return openKafkaBackend(cluster, signal)
}
