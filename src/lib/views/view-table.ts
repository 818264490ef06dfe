import type {RecordPosition} from '../log/event-log.js'
import type {ColumnTypes, PendingRow, SqlType} from './column-types.js'

/**
 * A chunk of view changes, one per key, applied in key order: a delete; an upsert that writes the
 * whole row (columns it lacks become NULL: the last record wins); a merge that writes only its
 * columns (a join view's topic updating its part of the row).
 */
export type ViewChange =
  | {kind: 'delete'}
  | {kind: 'merge'; record: RecordPosition; row: Record<string, unknown>}
  | {kind: 'upsert'; record: RecordPosition; recordKey?: string; row: Record<string, unknown>}

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
  /** The column types the schemas of the chunk's records give: a column is typed by them before it holds a value. */
  schemaTypes?: ReadonlyMap<string, SqlType>
}

/**
 * One view table in its database, with evt's bookkeeping — the definition and its hash, and the
 * next offset per partition — always written in the same transaction as the rows they describe.
 * One implementation per target (SQLite, PostgreSQL), checked by one contract suite.
 */
export interface ViewTable {
  apply(changes: Map<string, ViewChange>, extras?: ApplyExtras): Promise<void>
  /** Records gathered into a chunk (one transaction, deduplicated by key) before it is written. */
  readonly chunkRecords: number
  readonly columnTypes: ColumnTypes
  meta(): Promise<undefined | ViewMeta>
  offsets(): Promise<PartitionOffsets>
  rowCount(): Promise<number>
}

/** The rows a chunk writes, whole or in part. */
export function* pendingRows(changes: Map<string, ViewChange>): Generator<PendingRow> {
  for (const change of changes.values()) if (change.kind !== 'delete') yield change
}

export function setOffset(offsets: PartitionOffsets, topic: string, partition: number, next: number): void {
  let partitions = offsets.get(topic)
  if (!partitions) offsets.set(topic, (partitions = new Map()))
  partitions.set(partition, next)
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
