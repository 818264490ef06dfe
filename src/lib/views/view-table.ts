import type {LogRecord} from '../log/event-log.js'
import type {ColumnTypes} from './column-types.js'

/** A chunk of view changes, one per key (the last record wins), applied in key order. */
export type ViewChange = {kind: 'delete'} | {kind: 'upsert'; record: LogRecord; recordKey?: string; row: Record<string, unknown>}

/** The column where rows keep the key of the record that wrote them (views with rowsKeepRecordKey). */
export const RECORD_KEY_COLUMN = '_evt_key'

export interface ViewMeta {
  builtAt: string
  definition: string
  hash: string
  name: string
  table: string
}

/** Next offset to read, per topic, per partition. */
export type PartitionOffsets = Map<string, Map<number, number>>

/** What goes in the same transaction as a chunk's rows. */
export interface ApplyExtras {
  /** Record keys whose tombstones delete the rows they wrote (views with rowsKeepRecordKey); applied first. */
  deletedRecordKeys?: Set<string>
  meta?: ViewMeta
  offsets?: PartitionOffsets
}

/**
 * One view table in its database, with evt's bookkeeping — the definition and its hash, and the
 * next offset per partition — always written in the same transaction as the rows they describe.
 * One implementation per target (SQLite, PostgreSQL), checked by one contract suite.
 */
export interface ViewTable {
  apply(changes: Map<string, ViewChange>, extras?: ApplyExtras): Promise<void>
  readonly columnTypes: ColumnTypes
  meta(): Promise<undefined | ViewMeta>
  offsets(): Promise<PartitionOffsets>
  rowCount(): Promise<number>
}

export function setOffset(offsets: PartitionOffsets, topic: string, partition: number, next: number): void {
  let partitions = offsets.get(topic)
  if (!partitions) offsets.set(topic, (partitions = new Map()))
  partitions.set(partition, next)
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
