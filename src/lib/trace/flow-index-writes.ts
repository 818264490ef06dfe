import type Database from 'better-sqlite3'

import {MultiRowInsert} from '../util/sqlite-rows.js'

/** A position's columns, in `ids` and `recent_ids` alike. */
export const POSITION_COLUMNS = 'id, topic, partition, offset, timestamp, type, first'
const POSITION_WIDTH = 7

/** Where the positions of a catch-up go: the first level for a first build, the recent one after (see FlowIndex). */
export type PositionTable = 'ids' | 'recent_ids'

/** What writing a chunk needs to know of the flow: plain values, for a worker thread. */
export interface ChunkTarget {
  /** The end events: an id with one of them is over. */
  ends: string[]
  table: PositionTable
  /** The flow's topics in evt.yaml's order: the order a scan reads them in, which breaks ties between last events. */
  topics: string[]
}

/**
 * The positions of one chunk, a column per field: numbers in typed arrays a worker thread takes
 * without a copy, topics and types as indexes (of `ChunkTarget.topics`, of the chunk's `types`),
 * and only the ids as strings. An array per row, or one array of mixed values, cost the reading
 * thread about a second per 1M records in appends and garbage.
 */
export interface IndexChunk {
  count: number
  first: Uint8Array
  id: string[]
  offset: Float64Array
  partition: Int32Array
  /** How far each partition is read, and what a scan of it would count: PARTITION_COLUMNS per row. */
  partitions: unknown[]
  timestamp: Float64Array
  topic: Uint32Array
  type: Uint32Array
  types: string[]
}

/** Builds chunks position by position. */
export class ChunkBuilder {
  private chunk: IndexChunk
  private types = new Map<string, number>()

  constructor(private capacity: number) {
    this.chunk = ChunkBuilder.empty(capacity)
  }

  private static empty(capacity: number): IndexChunk {
    return {
      count: 0,
      first: new Uint8Array(capacity),
      id: [],
      offset: new Float64Array(capacity),
      partition: new Int32Array(capacity),
      partitions: [],
      timestamp: new Float64Array(capacity),
      topic: new Uint32Array(capacity),
      type: new Uint32Array(capacity),
      types: [],
    }
  }

  /** `topic`: the topic's index in `ChunkTarget.topics`. `first`: the record's first id (a record's later ids do not count in summaries). */
  add(id: string, topic: number, partition: number, offset: number, timestamp: number, type: string, first: boolean): void {
    let chunk = this.chunk
    if (chunk.count === this.capacity) chunk = this.grow()
    const at = chunk.count++
    let typeIndex = this.types.get(type)
    if (typeIndex === undefined) {
      typeIndex = this.types.size
      this.types.set(type, typeIndex)
    }

    chunk.id.push(id)
    chunk.topic[at] = topic
    chunk.partition[at] = partition
    chunk.offset[at] = offset
    chunk.timestamp[at] = timestamp
    chunk.type[at] = typeIndex
    chunk.first[at] = first ? 1 : 0
  }

  /** The chunk so far, with `partitions`' rows; the builder starts an empty one. */
  take(partitions: unknown[] = []): IndexChunk {
    const chunk = {...this.chunk, partitions, types: [...this.types.keys()]}
    this.chunk = ChunkBuilder.empty(this.capacity)
    this.types = new Map()
    return chunk
  }

  /** Typed arrays cannot grow: a chunk with more positions than records (ids found by a wildcard path) moves to twice the room. */
  private grow(): IndexChunk {
    const old = this.chunk
    this.capacity *= 2
    const grown = {...ChunkBuilder.empty(this.capacity), count: old.count, id: old.id}
    for (const column of ['first', 'offset', 'partition', 'timestamp', 'topic', 'type'] as const) (grown[column] as Uint8Array).set(old[column] as Uint8Array)
    this.chunk = grown
    return grown
  }
}

/** The buffers of a chunk's columns: what a message hands over to the worker thread instead of copying. */
export function chunkBuffers(chunk: IndexChunk): ArrayBuffer[] {
  return [chunk.first, chunk.offset, chunk.partition, chunk.timestamp, chunk.topic, chunk.type].map((column) => column.buffer as ArrayBuffer)
}

const PARTITION_COLUMNS = ['topic', 'partition', 'start', 'next', 'records', 'oldest', 'newest']

/**
 * Where each level of positions keeps its flows' summaries: a catch-up's go to a second level too,
 * so that its upserts land in a table of the ids it saw, not all over a B-tree of every id.
 */
export const SUMMARY_TABLES: Record<PositionTable, string> = {ids: 'flows', recent_ids: 'recent_flows'}

/** The columns of the summaries, in `flows` and `recent_flows` alike. */
export const SUMMARY_COLUMNS = 'id, ended, last_at, last_event, topic_rank, partition, offset'

/** SQL: whether the summary row `a` ends on a record a scan reads after `b`'s (timestamp, then topic rank, partition, offset). */
export const endsLater = (a: string, b: string): string => `(${a}last_at, ${a}topic_rank, ${a}partition, ${a}offset) > (${b}last_at, ${b}topic_rank, ${b}partition, ${b}offset)`

/**
 * SQL that folds summary rows (`rows`: a VALUES list, or a SELECT with a WHERE) into `table`:
 * ended once any end event came; the last event is the one a scan would read last. SQLite
 * evaluates every SET against the old row, so each column compares the same way.
 */
export function summaryUpsertSql(table: string, rows: string): string {
  const pick = (column: string) => `${column} = CASE WHEN ${endsLater('excluded.', '')} THEN excluded.${column} ELSE ${column} END`
  return `INSERT INTO ${table} (${SUMMARY_COLUMNS}) ${rows}
     ON CONFLICT (id) DO UPDATE SET ended = max(ended, excluded.ended), ${['last_at', 'last_event', 'topic_rank', 'partition', 'offset'].map((column) => pick(column)).join(', ')}`
}

/**
 * Settings of every connection that writes an index. A checkpoint every 64 MB of WAL instead of 4
 * MB: fewer copies into the file while a build appends (1M events: 4.55–4.93 → 4.39–4.49 s), at
 * most 64 MB of WAL beside it meanwhile.
 */
export function useWriterSettings(db: Database.Database): void {
  db.pragma('wal_autocheckpoint = 16384')
}

/**
 * Folds a chunk's positions (only an id's first in a record counts) into the flows' summaries,
 * one upsert per id however many of its records there are.
 */
export function summaryWrites(db: Database.Database, target: ChunkTarget): (chunk: IndexChunk) => void {
  const upsert = db.prepare(summaryUpsertSql(SUMMARY_TABLES[target.table], 'VALUES (?, ?, ?, ?, ?, ?, ?)'))
  const ends = new Set(target.ends)
  return (chunk) => {
    const folded = new Map<string, {ended: boolean; last: Position; type: string}>()
    for (let i = 0; i < chunk.count; i++) {
      if (!chunk.first[i]) continue
      const id = chunk.id[i]
      const type = chunk.types[chunk.type[i]]
      const last: Position = [chunk.timestamp[i], chunk.topic[i], chunk.partition[i], chunk.offset[i]]
      const seen = folded.get(id)
      const ended = (seen?.ended ?? false) || ends.has(type)
      if (!seen || comesAfter(last, seen.last)) folded.set(id, {ended, last, type})
      else seen.ended = ended
    }

    for (const [id, {ended, last, type}] of folded) upsert.run(id, ended ? 1 : 0, last[0], type, last[1], last[2], last[3])
  }
}

/** Where a scan reads a record: timestamp, topic rank, partition, offset. */
type Position = [number, number, number, number]

/** Whether a record at `a` is read after one at `b`. */
function comesAfter(a: Position, b: Position): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i]
  return false
}

/**
 * Writes chunks into `target.table` on connection `db`, each in one transaction: a killed catch-up
 * keeps every chunk written before, and the partitions' progress never runs ahead of their positions.
 */
export function chunkWrites(db: Database.Database, target: ChunkTarget): (chunk: IndexChunk) => void {
  const positions = new MultiRowInsert(db, POSITION_WIDTH, (values) => `INSERT INTO ${target.table} (${POSITION_COLUMNS}) VALUES ${values}`)
  const summarize = summaryWrites(db, target)
  const partition = db.prepare(
    `INSERT INTO partitions (${PARTITION_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next = excluded.next, records = excluded.records, oldest = excluded.oldest, newest = excluded.newest`,
  )
  return db.transaction((chunk: IndexChunk) => {
    positions.run(chunk.count, (i, values, at) => {
      values[at] = chunk.id[i]
      values[at + 1] = target.topics[chunk.topic[i]]
      values[at + 2] = chunk.partition[i]
      values[at + 3] = chunk.offset[i]
      values[at + 4] = chunk.timestamp[i]
      values[at + 5] = chunk.types[chunk.type[i]]
      values[at + 6] = chunk.first[i]
    })
    summarize(chunk)
    for (let at = 0; at < chunk.partitions.length; at += PARTITION_COLUMNS.length) partition.run(chunk.partitions.slice(at, at + PARTITION_COLUMNS.length))
  }).immediate
}
