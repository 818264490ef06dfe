import type {ClusterConfig} from './config/types.js'
import type {EventLog} from './log/event-log.js'
import type {SchemaRegistry} from './registry/schema-registry.js'

/** The two seams for one cluster, opened together and closed together. */
export interface Backend {
  close(): Promise<void>
  log: EventLog
  registry: SchemaRegistry
}

/** Opens the embedded SQLite file or connects to Kafka + a Confluent-API registry. Heavy modules load here, on demand. */
export async function openBackend(cluster: ClusterConfig): Promise<Backend> {
  if (cluster.kind === 'embedded') {
    const {openEmbeddedDatabase} = await import('./embedded/database.js')
    const {EmbeddedEventLog} = await import('./log/embedded/embedded-log.js')
    const {EmbeddedSchemaRegistry} = await import('./registry/embedded/embedded-registry.js')
    const db = await openEmbeddedDatabase(cluster.path)
    return {
      async close() {
        if (db.open) db.close()
      },
      log: new EmbeddedEventLog(db),
      registry: new EmbeddedSchemaRegistry(db),
    }
  }

  const {openKafkaBackend} = await import('./kafka-backend.js')
  return openKafkaBackend(cluster)
}
