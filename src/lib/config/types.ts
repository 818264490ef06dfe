import type {ColumnLocator, IdLocator} from './locator.js'

export interface EmbeddedCluster {
  kind: 'embedded'
  name: string
  /** Absolute path of the SQLite file holding the log and the registry. */
  path: string
}

export interface SaslConfig {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  password: string
  username: string
}

export interface SslConfig {
  ca?: string
  cert?: string
  key?: string
  rejectUnauthorized?: boolean
}

export interface RegistryConfig {
  password?: string
  url: string
  username?: string
}

export interface KafkaCluster {
  brokers: string[]
  kind: 'kafka'
  name: string
  registry?: RegistryConfig
  sasl?: SaslConfig
  ssl?: boolean | SslConfig
  /** How long a request, or a partition without a reachable leader, may take before exit 3. */
  timeoutMs?: number
}

export type ClusterConfig = EmbeddedCluster | KafkaCluster

/** Where a flow's id sits in a record: the key, a header, or a path into the decoded value. */
export interface FlowTopic {
  id: IdLocator
}

export interface FlowConfig {
  ends: string[]
  owners: Record<string, string>
  topics: Record<string, FlowTopic>
}

/** A column's SQL type as evt.yaml may declare it (`total: {path: $.total, type: real}`). */
export type ColumnType = 'blob' | 'date' | 'decimal' | 'integer' | 'real' | 'text' | 'timestamp'

/** One topic of a join view: how its records find their row, and the columns they update. */
export interface JoinSource {
  columns: Record<string, ColumnLocator>
  /** Columns whose type evt.yaml declares. */
  columnTypes?: Record<string, ColumnType>
  key: IdLocator
}

export interface ViewConfig {
  columns: Record<string, ColumnLocator>
  /** Columns whose type evt.yaml declares; the others take the type of their values. */
  columnTypes?: Record<string, ColumnType>
  /** The topic whose tombstones delete a join view's row. */
  deletes?: string
  from: string[]
  /** A join view: per topic of `from`, its row key and the columns it updates. */
  join?: Record<string, JoinSource>
  key: IdLocator
  /** The name of the row key column (a join view's `key: NAME`; `key` otherwise). */
  keyColumn?: string
  module?: string
  table: string
  /** Where the view is built: a SQLite path or a postgres:// URL (default: a file under EVT_HOME/views). */
  target?: string
}

/** `audit:` in evt.yaml: rules (or RULE:TOPIC) that `evt audit` leaves out. */
export interface AuditConfig {
  ignore: string[]
}

export interface EvtConfig {
  audit: AuditConfig
  cluster: ClusterConfig
  /** The evt.yaml that was read, if any. */
  file?: string
  flows: Record<string, FlowConfig>
  /** Directory for evt's local state (the default embedded log, rebuilt views). */
  home: string
  views: Record<string, ViewConfig>
}

/** What the command line and environment say; each field overrides evt.yaml. */
export interface ConfigOverrides {
  brokers?: string
  cluster?: string
  config?: string
  registry?: string
  /** A duration such as 30s or 2m (--timeout, EVT_TIMEOUT). */
  timeout?: string
}
