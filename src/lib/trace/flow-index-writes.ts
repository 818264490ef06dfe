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
 * and the ids as UTF-8 bytes, one after another (`idEnds[i]`: where id i ends). An array per row,
 * or one array of mixed values, cost the reading thread about a second per 1M records in appends
 * and garbage; ids kept as strings lived until their chunk was sent, long enough to be copied by
 * each young-generation collection on the way (see `IndexChunk.ids`).
 */
export interface IndexChunk {
  count: number
  first: Uint8Array
  idBytes: Uint8Array
  idEnds: Uint32Array
  offset: Float64Array
  partition: Int32Array
  /** How far each partition is read, and what a scan of it would count: PARTITION_COLUMNS per row. */
  partitions: unknown[]
  timestamp: Float64Array
  topic: Uint32Array
  type: Uint32Array
  types: string[]
}

/** The ids of a chunk as strings, in position order. */
export function chunkIds(chunk: IndexChunk): string[] {
  const ids = new Array<string>(chunk.count)
  const bytes = Buffer.from(chunk.idBytes.buffer, chunk.idBytes.byteOffset, chunk.idBytes.byteLength)
  let start = 0
  for (let i = 0; i < chunk.count; i++) {
    const end = chunk.idEnds[i]
    ids[i] = bytes.toString('utf8', start, end)
    start = end
  }

  return ids
}

/** Builds chunks position by position. */
export class ChunkBuilder {
  private chunk: IndexChunk
  private idLength = 0
  private types = new Map<string, number>()

  constructor(private capacity: number) {
    this.chunk = ChunkBuilder.empty(capacity)
  }

  private static empty(capacity: number): IndexChunk {
    return {
      count: 0,
      first: new Uint8Array(capacity),
      // Room for ids of about 16 bytes; grown when longer.
      idBytes: Buffer.allocUnsafeSlow(capacity * 16),
      idEnds: new Uint32Array(capacity),
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

    // At most 3 UTF-8 bytes per UTF-16 code unit.
    if (this.idLength + 3 * id.length > chunk.idBytes.length) chunk.idBytes = grownBytes(chunk.idBytes, this.idLength + 3 * id.length)
    this.idLength = writeUtf8(id, chunk.idBytes as Buffer, this.idLength)
    chunk.idEnds[at] = this.idLength
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
    this.idLength = 0
    this.types = new Map()
    return chunk
  }

  /** Typed arrays cannot grow: a chunk with more positions than records (ids found by a wildcard path) moves to twice the room. */
  private grow(): IndexChunk {
    const old = this.chunk
    this.capacity *= 2
    const grown = {...ChunkBuilder.empty(this.capacity), count: old.count, idBytes: old.idBytes}
    for (const column of ['first', 'idEnds', 'offset', 'partition', 'timestamp', 'topic', 'type'] as const) (grown[column] as Uint8Array).set(old[column] as Uint8Array)
    this.chunk = grown
    return grown
  }
}

/**
 * Writes `text` as UTF-8 into `bytes` from `at` on; returns where it ends. Ids are mostly short
 * ASCII, which a loop copies for a tenth of the cost of a call of Buffer.write (1M ids: 100 → ms).
 */
function writeUtf8(text: string, bytes: Buffer, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) return at + bytes.write(text, at)
    bytes[at + i] = code
  }

  return at + text.length
}

/** `bytes` copied into a buffer of at least `size` bytes (twice as large, at least). */
function grownBytes(bytes: Uint8Array, size: number): Buffer {
  const grown = Buffer.allocUnsafeSlow(Math.max(size, 2 * bytes.length))
  grown.set(bytes)
  return grown
}

/** The buffers of a chunk's columns: what a message hands over to the worker thread instead of copying. */
export function chunkBuffers(chunk: IndexChunk): ArrayBuffer[] {
  return [chunk.first, chunk.idBytes, chunk.idEnds, chunk.offset, chunk.partition, chunk.timestamp, chunk.topic, chunk.type].map((column) => column.buffer as ArrayBuffer)
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

/** An id's summary so far: whether an end event came, and its last event as a scan orders them. */
interface Summary {
  at: number
  ended: boolean
  offset: number
  partition: number
  topic: number
  type: string
}

/**
 * Folds positions into each id's summary in memory (only an id's first position in a record
 * counts), and upserts them into the summary table of `target.table` when flushed, in id order:
 * one row per id however many of its records were folded.
 */
export class SummaryFold {
  private readonly ends: Set<string>
  private readonly summaries = new Map<string, Summary>()
  private readonly upsert: MultiRowInsert

  constructor(db: Database.Database, target: Pick<ChunkTarget, 'ends' | 'table'>) {
    this.ends = new Set(target.ends)
    this.upsert = new MultiRowInsert(db, SUMMARY_WIDTH, (values) => summaryUpsertSql(SUMMARY_TABLES[target.table], `VALUES ${values}`))
  }

  /** How many ids are held. */
  get size(): number {
    return this.summaries.size
  }

  /** `ids`: the chunk's ids (chunkIds). */
  add(chunk: IndexChunk, ids: string[]): void {
    for (let i = 0; i < chunk.count; i++) {
      if (!chunk.first[i]) continue
      const id = ids[i]
      const type = chunk.types[chunk.type[i]]
      const ended = this.ends.has(type)
      const seen = this.summaries.get(id)
      if (seen === undefined) {
        this.summaries.set(id, {at: chunk.timestamp[i], ended, offset: chunk.offset[i], partition: chunk.partition[i], topic: chunk.topic[i], type})
        continue
      }

      seen.ended ||= ended
      if (comesAfter(chunk, i, seen)) {
        seen.at = chunk.timestamp[i]
        seen.topic = chunk.topic[i]
        seen.partition = chunk.partition[i]
        seen.offset = chunk.offset[i]
        seen.type = type
      }
    }
  }

  /** Upserts what is held (in the caller's transaction), in id order: next to each other in the table's B-tree. */
  flush(): void {
    const ids = [...this.summaries.keys()].sort()
    this.upsert.run(ids.length, (i, values, at) => {
      const summary = this.summaries.get(ids[i])!
      values[at] = ids[i]
      values[at + 1] = summary.ended ? 1 : 0
      values[at + 2] = summary.at
      values[at + 3] = summary.type
      values[at + 4] = summary.topic
      values[at + 5] = summary.partition
      values[at + 6] = summary.offset
    })
    this.summaries.clear()
  }
}

const SUMMARY_WIDTH = 7

/** Whether the chunk's position `i` is read by a scan after `summary`'s last event: timestamp, topic rank, partition, offset. */
function comesAfter(chunk: IndexChunk, i: number, summary: Summary): boolean {
  if (chunk.timestamp[i] !== summary.at) return chunk.timestamp[i] > summary.at
  if (chunk.topic[i] !== summary.topic) return chunk.topic[i] > summary.topic
  if (chunk.partition[i] !== summary.partition) return chunk.partition[i] > summary.partition
  return chunk.offset[i] > summary.offset
}

/**
 * Summaries a first build holds in memory before it upserts them (about 150 bytes each). Upserted
 * with each chunk, an id's summary was written two or three times, each at a random place of a
 * growing B-tree (1M events: 1.55 s of the writer thread's 3.8); held, a build of up to this many
 * ids writes each once, at the end.
 */
const HELD_SUMMARIES = 250_000

/** The writes of one catch-up: `write` commits a chunk; `finish`, once every chunk is written, what is still held. */
export interface ChunkWrites {
  finish(): void
  write(chunk: IndexChunk): void
}

/** SQL: the table naming the first builds under way, by process: one killed leaves its row, and summaries it never wrote. */
export const PENDING_SUMMARIES_TABLE = 'CREATE TABLE IF NOT EXISTS pending_summaries (pid INTEGER NOT NULL)'

/**
 * Writes chunks into `target.table` on connection `db`, each in one transaction: a killed catch-up
 * keeps every chunk written before, and the partitions' progress never runs ahead of their
 * positions. A catch-up's summaries are written with each chunk; a first build's are held (see
 * HELD_SUMMARIES) until `finish`, which also clears the build's row in `pending_summaries`.
 */
export function chunkWrites(db: Database.Database, target: ChunkTarget): ChunkWrites {
  const positions = new MultiRowInsert(db, POSITION_WIDTH, (values) => `INSERT INTO ${target.table} (${POSITION_COLUMNS}) VALUES ${values}`)
  const summaries = new SummaryFold(db, target)
  const firstBuild = target.table === 'ids'
  const partition = db.prepare(
    `INSERT INTO partitions (${PARTITION_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET next = excluded.next, records = excluded.records, oldest = excluded.oldest, newest = excluded.newest`,
  )
  const write = db.transaction((chunk: IndexChunk) => {
    const ids = chunkIds(chunk)
    positions.run(chunk.count, (i, values, at) => {
      values[at] = ids[i]
      values[at + 1] = target.topics[chunk.topic[i]]
      values[at + 2] = chunk.partition[i]
      values[at + 3] = chunk.offset[i]
      values[at + 4] = chunk.timestamp[i]
      values[at + 5] = chunk.types[chunk.type[i]]
      values[at + 6] = chunk.first[i]
    })
    summaries.add(chunk, ids)
    if (!firstBuild || summaries.size >= HELD_SUMMARIES) summaries.flush()
    for (let at = 0; at < chunk.partitions.length; at += PARTITION_COLUMNS.length) partition.run(chunk.partitions.slice(at, at + PARTITION_COLUMNS.length))
  }).immediate
  const finish = db.transaction(() => {
    summaries.flush()
    if (firstBuild) db.prepare('DELETE FROM pending_summaries WHERE pid = ?').run(process.pid)
  }).immediate
  return {finish, write}
}
