import {createHash} from 'node:crypto'
import {rmSync} from 'node:fs'
import path from 'node:path'

import type Database from 'better-sqlite3'

import {type DecodedPayload, RecordDecoder} from '../codec/record-decoder.js'
import type {DecodeBytes} from '../codec/record-key.js'
import type {FieldSelection} from '../codec/schema-codec.js'
import type {IdLocator} from '../config/locator.js'
import type {ClusterConfig, FlowConfig} from '../config/types.js'
import {type EventLog, type LogRecord, type RecordPosition} from '../log/event-log.js'
import {readLive} from '../read/merged-read.js'
import {type PartitionRange, planRead} from '../read/read-plan.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {loadSqlite, makeDirectories, retryWhileBusy} from '../util/sqlite-file.js'
import {eventTypeOf} from '../util/event-type.js'
import {topLevelField} from '../util/value-path.js'
import {maybeYield} from '../util/yield.js'
import {flowIdsOf} from './id-matcher.js'
import {corruptIndexError, type IndexChunkWriter, writerInThread, writerOnWorker} from './flow-index-writer.js'
import {ChunkBuilder, chunkIds, endsLater, PENDING_SUMMARIES_TABLE, POSITION_COLUMNS, type PositionTable, SUMMARY_COLUMNS, SUMMARY_TABLES, SummaryFold, summaryUpsertSql, useWriterSettings} from './flow-index-writes.js'

/**
 * Records indexed between two commits, at most: a killed catch-up loses at most this much work.
 * A catch-up of fewer records commits about eight times, so that the writer thread has written
 * all but a small last chunk when the reading ends (100k records: 1.22–1.26 s with chunks of 50k,
 * 1.14–1.15 s with 12.5k).
 */
const CHUNK_RECORDS = 50_000
const MIN_CHUNK_RECORDS = 10_000

/**
 * From how many records to read a catch-up writes on a worker thread: below, what it would write
 * while the next chunk is read is too little to pay for starting the thread (50–100 ms).
 */
const WORKER_MIN_RECORDS = 50_000

/**
 * The ids' positions are appended in the order they are read (a rowid table) and found through
 * the first index. A B-tree keyed by id takes each insert at a random place, which cost 3–6× the
 * append; so a first build appends without it and sorts it in once at the end. The open flows'
 * index (for --stalled) changes with every summary update, half of their cost (1M events: 1.5 →
 * 0.8 s): a first build leaves it out as well. There is no index by position: one made a record
 * indexed twice (by two catch-ups at once) one row, but keeping it up was half the appends' cost
 * (1M rows in SQLite alone: 2.5 → 1.25 s). Such a record is two identical rows, which every read of
 * the positions (a UNION) takes as one. A catch-up into an empty recent level does the same with
 * that level's id index (the writer thread's inserts of 100k positions: 283 → 250 ms, one profile each).
 */
const LOOKUP_INDEXES: Record<PositionTable, Record<string, string>> = {
  ids: {flows_open: 'flows (ended, last_at)', ids_by_id: 'ids (id)'},
  recent_ids: {recent_ids_by_id: 'recent_ids (id)'},
}

/**
 * The positions in two levels, as a log-structured store keeps them: `ids` what the first build
 * indexed, `recent_ids` what catch-ups appended since. Inserted into an id B-tree of 10M entries,
 * a catch-up's 100k positions dirtied most of its pages, and writing them cost more than reading the
 * records (1.5–2 s in SQLite alone, 0.7–0.9 s into a recent level); the recent level's pages are as
 * few as what it holds. Each level keeps the summaries of what it indexed as well (`flows`,
 * `recent_flows`): upserted into a B-tree of every id, a catch-up's summaries landed on pages not in
 * SQLite's cache. Once the recent level holds as many positions as the first, both are merged into
 * it, a cost in proportion to what was read since (1M into 10M: 6 s).
 */
const ID_TABLES: PositionTable[] = ['ids', 'recent_ids']
/** SQL creating the look-ups of `tables` that are missing, or dropping them. */
const createLookups = (tables: PositionTable[]) => tables.flatMap((table) => Object.entries(LOOKUP_INDEXES[table]).map(([name, on]) => `CREATE INDEX IF NOT EXISTS ${name} ON ${on};`)).join(' ')
const dropLookups = (tables: PositionTable[]) => tables.flatMap((table) => Object.keys(LOOKUP_INDEXES[table]).map((name) => `DROP INDEX IF EXISTS ${name};`)).join(' ')

/** What the index has read of the flow's topics: what a scan of them would count. */
export interface IndexedSpan {
  newest?: number
  oldest?: number
  records: number
}

interface PartitionState {
  newest: null | number
  next: number
  oldest: null | number
  records: number
  start: number
}

/**
 * A local index of one flow on one cluster (a SQLite file under EVT_HOME/index): every flow id
 * with the positions of its records, and per partition how far it has read and what a scan of
 * that range would count. It is a cache: deleting it loses nothing. `catchUp` reads only what was
 * appended since; a partition whose log start moved past what was indexed, or whose end went back
 * (a recreated topic), and a changed flow definition are indexed again from the start.
 */
export class FlowIndex {
  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly flow: FlowConfig,
  ) {}

  /** Where the index of `flow` on `cluster` lives: named after the cluster and where it is (two `--brokers` clusters are two). */
  static fileFor(home: string, cluster: ClusterConfig, flow: string): string {
    const where = createHash('sha256').update(cluster.kind === 'embedded' ? path.resolve(cluster.path) : cluster.brokers.join(',')).digest('hex').slice(0, 12)
    return path.join(home, 'index', `${encodeURIComponent(cluster.name)}-${where}.${encodeURIComponent(flow)}.db`)
  }

  /**
   * Opens (or creates) the index of `flow` in `file`; `rebuild` forgets what it holds. The index is
   * a cache: a file SQLite cannot read as a database (cut short, overwritten) is deleted and started
   * over, which `warn` is told; so is a damaged one that `rebuild` was to empty.
   */
  static async open(file: string, flow: FlowConfig, {rebuild = false, warn}: {rebuild?: boolean; warn?: (message: string) => void} = {}): Promise<FlowIndex> {
    makeDirectories(path.dirname(file))
    try {
      return await FlowIndex.openFile(file, flow, rebuild)
    } catch (error) {
      if (!corruptIndexError(file, error)) throw error
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, {force: true})
      warn?.(`the flow index ${file} was unreadable (${(error as Error).message}): deleted, it is built again`)
      return FlowIndex.openFile(file, flow, false)
    }
  }

  private static async openFile(file: string, flow: FlowConfig, rebuild: boolean): Promise<FlowIndex> {
    const Sqlite = await loadSqlite()
    const db = new Sqlite(file, {timeout: 10_000})
    const hash = definitionHash(flow)
    // Several evt trace at once may open (or create) the same index.
    await retryWhileBusy(() => {
      db.pragma('journal_mode = WAL')
      useWriterSettings(db)
      db.exec('CREATE TABLE IF NOT EXISTS definition (hash TEXT NOT NULL)')
      // Another definition (or index format) finds other ids: nothing indexed before can be kept.
      db.transaction(() => {
        const stored = db.prepare('SELECT hash FROM definition').get() as undefined | {hash: string}
        if (stored?.hash === hash) return
        db.exec(`
          DROP TABLE IF EXISTS partitions; DROP TABLE IF EXISTS ids; DROP TABLE IF EXISTS recent_ids; DROP TABLE IF EXISTS pending_summaries; DELETE FROM definition;
          CREATE TABLE partitions (topic TEXT NOT NULL, partition INTEGER NOT NULL, start INTEGER NOT NULL, next INTEGER NOT NULL, records INTEGER NOT NULL, oldest INTEGER, newest INTEGER, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
          ${ID_TABLES.map((table) => `
            CREATE TABLE ${table} (id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, timestamp INTEGER NOT NULL, type TEXT NOT NULL, first INTEGER NOT NULL);`).join('')}
          ${Object.values(SUMMARY_TABLES).map((table) => `
            DROP TABLE IF EXISTS ${table};
            CREATE TABLE ${table} (id TEXT PRIMARY KEY, ended INTEGER NOT NULL, last_at INTEGER NOT NULL, last_event TEXT NOT NULL, topic_rank INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL) WITHOUT ROWID;`).join('')}
        `)
        db.prepare('INSERT INTO definition (hash) VALUES (?)').run(hash)
      }).immediate()
      // A catch-up into an empty level drops them while it appends (see catchUp); one killed then left them out.
      db.exec(createLookups(ID_TABLES))
      db.exec(PENDING_SUMMARIES_TABLE)
    }).catch((error: unknown) => {
      db.close()
      throw error
    })
    const index = new FlowIndex(db, file, flow)
    await retryWhileBusy(() => (rebuild ? index.clear() : index.summarizeAbandonedBuilds())).catch((error: unknown) => {
      db.close()
      throw error
    })
    return index
  }

  close(): void {
    this.db.close()
  }

  /** `error`, met while answering from the index, as evt's when SQLite found the index damaged. */
  failure(error: unknown): unknown {
    return corruptIndexError(this.file, error) ?? error
  }

  /** Forgets everything indexed: the next catch-up reads the flow's topics from their start. */
  private clear(): void {
    this.db.exec(['partitions', 'pending_summaries', ...ID_TABLES, ...Object.values(SUMMARY_TABLES)].map((table) => `DELETE FROM ${table};`).join(' '))
  }

  /**
   * Indexes what the flow's topics (those of `topics` that exist) hold now, up to their high
   * watermarks: only records appended since the last catch-up, unless a partition must start over.
   * `read` is what a scan of them from their start reads now (planRead's ranges).
   */
  async catchUp(options: {
    /** The decoder to use, when the caller has one: a trace's, whose schemas the catch-up then needs not ask for again. */
    decoder?: RecordDecoder
    log: EventLog
    onProgress?: (progress: {records: number; total: number}) => void
    registry: SchemaRegistry
    signal?: AbortSignal
    topics: string[]
    warn?: (message: string) => void
  }): Promise<{read: PartitionRange[]; records: number}> {
    const {log} = options
    // Per topic, per partition: looked up per record.
    const states = new Map<string, PartitionState[]>()
    const ranges: PartitionRange[] = []
    // A topic of the flow that is gone: a scan skips it, so the index forgets it.
    for (const {topic} of this.db.prepare('SELECT DISTINCT topic FROM partitions').all() as {topic: string}[]) {
      if (!options.topics.includes(topic)) this.resetTopic(topic)
    }

    // What a scan of the topics from their start reads now: up to these watermarks.
    const read = await planRead({follow: false, from: {kind: 'beginning'}, log, topics: options.topics})
    for (const topic of options.topics) {
      const live = new Set(read.filter((range) => range.topic === topic).map((range) => range.partition))
      this.db.prepare('SELECT partition FROM partitions WHERE topic = ?').all(topic).forEach((row) => {
        const {partition} = row as {partition: number}
        if (!live.has(partition)) this.resetPartition(topic, partition)
      })
    }

    for (const {from: low, partition, to: high, topic} of read as Required<PartitionRange>[]) {
      let state = this.db.prepare('SELECT start, next, records, oldest, newest FROM partitions WHERE topic = ? AND partition = ?').get(topic, partition) as PartitionState | undefined
      // Retention removed records the index counted, or the partition is shorter than what was read: a recreated topic.
      if (state && (state.start < low || state.next > high)) state = this.resetPartition(topic, partition)
      state ??= {newest: null, next: low, oldest: null, records: 0, start: low}
      if (!states.has(topic)) states.set(topic, [])
      states.get(topic)![partition] = state
      if (state.next < high) ranges.push({from: state.next, partition, to: high, topic})
    }

    const total = ranges.reduce((sum, range) => sum + (range.to! - range.from), 0)
    options.onProgress?.({records: 0, total})
    if (ranges.length === 0) return {read, records: 0}
    const decoder = options.decoder ?? new RecordDecoder(options.registry, options.warn)
    const decode: DecodeBytes = (bytes, topic) => decoder.decode(bytes, topic)
    // Of a value, only the field its id is in is decoded (the type is the schema's record name).
    const valueFields = new Map(Object.entries(this.flow.topics).map(([topic, {id}]) => [topic, idValueFields(id)]))
    const empty = (level: PositionTable) => this.db.prepare(`SELECT 1 FROM ${level} LIMIT 1`).get() === undefined
    const firstBuild = ID_TABLES.every((level) => empty(level))
    const table: PositionTable = firstBuild ? 'ids' : 'recent_ids'
    // Into an empty level, positions are appended without its look-ups, sorted in at the end.
    const appendOnly = firstBuild || empty(table)
    if (appendOnly) this.db.exec(dropLookups([table]))
    if (firstBuild) {
      // Until its writer has written the summaries it holds (flow-index-writes.ts): a killed build's are made from its positions at the next open.
      this.db.prepare('INSERT INTO pending_summaries (pid) VALUES (?)').run(process.pid)
    }

    const target = {ends: this.flow.ends, table, topics: Object.keys(this.flow.topics)}
    const writer: IndexChunkWriter = total >= WORKER_MIN_RECORDS ? writerOnWorker(this.file, target) : writerInThread(this.db, target)
    const chunkRecords = Math.min(CHUNK_RECORDS, Math.max(MIN_CHUNK_RECORDS, Math.ceil(total / 8)))
    const chunk = new ChunkBuilder(chunkRecords + 1024)
    const ranks = new Map(target.topics.map((topic, rank) => [topic, rank]))
    const commit = () => writer.write(chunk.take(partitionRows(states)))

    let completed = false
    let sinceCommit = 0
    let records = 0
    // Per record: what its partition and topic need, looked up again only when they change.
    let state!: PartitionState
    let rank = 0
    let locator!: IdLocator
    let fields: FieldSelection | undefined
    let at: undefined | {partition: number; topic: string}
    // The value decoded at most once, and only if the id or the type needs it.
    let record!: LogRecord
    let decoded: DecodedPayload | null | undefined
    const decodeValue = () => (decoded === undefined ? (decoded = decoder.decode(record.value, record.topic, fields)) : decoded)
    try {
      // In any order across partitions: positions and summaries do not depend on it, and a merge costs (1M events: 0.23 s).
      for await (const batch of readLive({log, ranges, signal: options.signal})) {
        await decoder.prepareRecords(batch)
        for (record of batch) {
          if (record.partition !== at?.partition || record.topic !== at.topic) {
            at = {partition: record.partition, topic: record.topic}
            state = states.get(record.topic)![record.partition]
            rank = ranks.get(record.topic)!
            locator = this.flow.topics[record.topic].id
            fields = valueFields.get(record.topic)
          }

          state.records++
          state.next = record.offset + 1
          state.oldest = state.oldest === null ? record.timestamp : Math.min(state.oldest, record.timestamp)
          state.newest = state.newest === null ? record.timestamp : Math.max(state.newest, record.timestamp)
          decoded = undefined
          const ids = flowIdsOf(locator, record, decodeValue, decode)
          if (ids.length === 0) continue
          // As a scan names it: the ce_type header, else the schema's record name.
          const type = eventTypeOf(record.headers, undefined) ?? eventTypeOf(record.headers, decodeValue()?.type) ?? (record.value === null ? 'tombstone' : 'event')
          for (let i = 0; i < ids.length; i++) chunk.add(ids[i], rank, record.partition, record.offset, record.timestamp, type, i === 0)
        }

        sinceCommit += batch.length
        records += batch.length
        options.onProgress?.({records, total})
        // The last chunkRecords in smaller chunks: what the writer has left when the reading ends is one of them.
        if (sinceCommit >= chunkRecords || (sinceCommit >= MIN_CHUNK_RECORDS && total - records < chunkRecords)) {
          await commit()
          sinceCommit = 0
        }

        if (options.signal?.aborted) break
        // Once a batch, not once a record: often enough for Ctrl-C and the progress bar (maybeYield is time-based).
        await maybeYield()
      }

      await commit()
      completed = true
    } finally {
      // A failed write is the error, unless reading failed first.
      await writer.close().catch((error: unknown) => {
        if (completed) throw error
      })
    }

    if (appendOnly) this.db.exec(createLookups([table]))
    if (!firstBuild) this.mergeRecentWhenLarge()
    return {read, records}
  }

  /** The positions of every record of `id` in `topics`. */
  lookup(id: string, topics: string[]): RecordPosition[] {
    // A record indexed by two catch-ups at once is two rows, in one level or both: UNION keeps one.
    const rows = this.db.prepare(ID_TABLES.map((table) => `SELECT topic, partition, offset FROM ${table} WHERE id = @id`).join(' UNION ')).all({id}) as RecordPosition[]
    return rows.filter((row) => topics.includes(row.topic))
  }

  /**
   * The ids without an end event, each with its last event: the latest timestamp, a tie going to
   * the record a scan reads last (the flow's topics in evt.yaml's order, each in timestamp,
   * partition, offset order). Kept up to date by every catch-up, so only these rows are read: the
   * first level's open flows that catch-ups have not seen since, and each id catch-ups saw folded
   * with its first-level row.
   */
  openFlows(): Map<string, {ended: false; lastAt: number; lastEvent: string}> {
    const pick = (column: string) => `CASE WHEN f.id IS NULL OR ${endsLater('r.', 'f.')} THEN r.${column} ELSE f.${column} END`
    const rows = this.db
      .prepare(
        `SELECT id, last_at AS lastAt, last_event AS lastEvent FROM flows WHERE ended = 0 AND id NOT IN (SELECT id FROM recent_flows)
         UNION ALL
         SELECT r.id, ${pick('last_at')}, ${pick('last_event')} FROM recent_flows r LEFT JOIN flows f ON f.id = r.id WHERE r.ended = 0 AND coalesce(f.ended, 0) = 0`,
      )
      .all() as {id: string; lastAt: number; lastEvent: string}[]
    return new Map(rows.map(({id, lastAt, lastEvent}) => [id, {ended: false, lastAt, lastEvent}]))
  }

  /** What a scan of `topics` from their start to the watermarks last caught up to would count. */
  span(topics: string[]): IndexedSpan {
    const span: IndexedSpan = {records: 0}
    for (const topic of topics) {
      for (const row of this.db.prepare('SELECT records, oldest, newest FROM partitions WHERE topic = ?').all(topic) as PartitionState[]) {
        span.records += row.records
        if (row.oldest !== null && (span.oldest === undefined || row.oldest < span.oldest)) span.oldest = row.oldest
        if (row.newest !== null && (span.newest === undefined || row.newest > span.newest)) span.newest = row.newest
      }
    }

    return span
  }

  /** Moves the recent level into the first once it holds as many positions (rowids count what each appended), its summaries with it. */
  private mergeRecentWhenLarge(): void {
    const size = (table: string) => (this.db.prepare(`SELECT max(rowid) AS size FROM ${table}`).get() as {size: null | number}).size ?? 0
    if (size('recent_ids') < size('ids')) return
    this.db
      .transaction(() => {
        this.db.exec(`INSERT INTO ids (${POSITION_COLUMNS}) SELECT ${POSITION_COLUMNS} FROM recent_ids ORDER BY id; DELETE FROM recent_ids;`)
        // WHERE true: without it, SQLite would read ON CONFLICT as a join's ON.
        this.db.exec(`${summaryUpsertSql('flows', `SELECT ${SUMMARY_COLUMNS} FROM recent_flows WHERE true`)}; DELETE FROM recent_flows;`)
      })
      .immediate()
  }

  private resetPartition(topic: string, partition: number): undefined {
    this.db.transaction(() => {
      for (const table of ID_TABLES) this.db.prepare(`DELETE FROM ${table} WHERE topic = ? AND partition = ?`).run(topic, partition)
      this.db.prepare('DELETE FROM partitions WHERE topic = ? AND partition = ?').run(topic, partition)
      this.resummarize()
    })()
    return undefined
  }

  private resetTopic(topic: string): void {
    this.db.transaction(() => {
      for (const table of ID_TABLES) this.db.prepare(`DELETE FROM ${table} WHERE topic = ?`).run(topic)
      this.db.prepare('DELETE FROM partitions WHERE topic = ?').run(topic)
      this.resummarize()
    })()
  }

  /**
   * A first build holds its summaries until it ends: one whose process is gone (killed) left
   * positions without them, so they are made from the positions. One still running writes its own.
   */
  private summarizeAbandonedBuilds(): void {
    const pids = this.db.prepare('SELECT pid FROM pending_summaries').pluck().all() as number[]
    const gone = pids.filter((pid) => !processRuns(pid))
    if (gone.length === 0) return
    this.db
      .transaction(() => {
        this.resummarize()
        for (const pid of gone) this.db.prepare('DELETE FROM pending_summaries WHERE pid = ?').run(pid)
      })
      .immediate()
  }

  /** Each id's summary again from the positions left, after some were forgotten (rare: retention, a recreated topic), or never written (a killed first build). */
  private resummarize(): void {
    this.db.exec(Object.values(SUMMARY_TABLES).map((table) => `DELETE FROM ${table};`).join(' '))
    const topics = Object.keys(this.flow.topics)
    const rows = this.db.prepare(ID_TABLES.map((table) => `SELECT id, topic, partition, offset, timestamp, type FROM ${table} WHERE first = 1`).join(' UNION ')).all() as {id: string; offset: number; partition: number; timestamp: number; topic: string; type: string}[]
    const chunk = new ChunkBuilder(rows.length + 1)
    for (const row of rows) chunk.add(row.id, topics.indexOf(row.topic), row.partition, row.offset, row.timestamp, row.type, true)
    const summaries = new SummaryFold(this.db, {ends: this.flow.ends, table: 'ids'})
    const taken = chunk.take()
    summaries.add(taken, chunkIds(taken))
    summaries.flush()
  }
}

/** Whether process `pid` (another than this one, which is not building yet) is running. */
function processRuns(pid: number): boolean {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Each partition's state as PARTITION_COLUMNS rows. */
function partitionRows(states: Map<string, PartitionState[]>): unknown[] {
  const rows: unknown[] = []
  for (const [topic, partitions] of states) {
    for (const [partition, state] of partitions.entries()) if (state) rows.push(topic, partition, state.start, state.next, state.records, state.oldest, state.newest)
  }

  return rows
}

/** The top-level value field an id is found in: none for a key or a header, undefined (all) for a path into the value itself. */
function idValueFields(locator: IdLocator): FieldSelection | undefined {
  if (locator.kind !== 'path') return new Set()
  const field = topLevelField(locator.path)
  return field === undefined ? undefined : new Set([field])
}

/** The index's format, the topics and where each carries the id (which records belong to which id), and the ends (which ids are over). */
function definitionHash(flow: FlowConfig): string {
  return createHash('sha256')
    .update(JSON.stringify({ends: flow.ends, format: 7, topics: Object.entries(flow.topics).map(([topic, {id}]) => [topic, id.text])}))
    .digest('hex')
}
