import type {Statement} from 'better-sqlite3'
import {setTimeout as sleep} from 'node:timers/promises'

import type {EmbeddedDatabase} from '../../embedded/database.js'
import {EvtError, NotFoundError, UsageError} from '../../errors.js'
import type {
  EventLog,
  GroupOffset,
  LogRecord,
  OutgoingRecord,
  PartitionWatermarks,
  ProducedRecord,
  ReadRange,
  TopicInfo,
} from '../event-log.js'
import {sortGroupOffsets} from '../event-log.js'
import {partitionForKey} from '../partitioner.js'
import {validateTopicName} from '../topic-name.js'
import {maybeYield} from '../../util/yield.js'
import {type BatchEntry, type BatchMeta, type BatchPosition, checkBatch, decodeRecords, encodeBatch} from './record-batch.js'

interface TopicRow {
  id: number
  name: string
  partitions: number
}

interface BatchRow {
  base_offset: number
  last_offset: number
  records: Buffer
}

export interface EmbeddedLogOptions {
  /**
   * Told about each stored batch that is corrupt, which a read then skips (as kcat skips a bad
   * message); without it such a batch ends the read with DATA_CORRUPT.
   */
  warn?: (message: string) => void
}

/** Batches larger than this are split, so a read can start near any offset without decoding much. */
const MAX_BATCH_RECORDS = 2048
/** Records decoded and handed on at once: a stored batch holds up to MAX_BATCH_RECORDS. */
const READ_SLICE_RECORDS = 128
const FOLLOW_POLL_MS = 200
/** Creating a topic holds the log's write lock for every partition row; 10,000 take about 20 ms. */
export const MAX_EMBEDDED_PARTITIONS = 10_000

/** The embedded log: Kafka's partition/offset model, and its record batches, in one SQLite file (design §2). */
export class EmbeddedEventLog implements EventLog {
  private readonly roundRobin = new Map<string, number>()
  private readonly statements: {
    batchStart: Statement
    insertBatch: Statement
    nextOffsets: Statement
    readBatches: Statement
    setNextOffset: Statement
    topic: Statement
  }

  constructor(
    private readonly db: EmbeddedDatabase,
    private readonly options: EmbeddedLogOptions = {},
  ) {
    this.statements = {
      batchStart: db.prepare('SELECT MAX(base_offset) AS base FROM batches WHERE topic_id = ? AND partition = ? AND base_offset <= ?'),
      insertBatch: db.prepare(
        'INSERT INTO batches (topic_id, partition, base_offset, last_offset, max_timestamp, records) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      nextOffsets: db.prepare('SELECT partition, next_offset AS next FROM partitions WHERE topic_id = ? ORDER BY partition'),
      readBatches: db.prepare(
        `SELECT base_offset, last_offset, records FROM batches WHERE topic_id = ? AND partition = ? AND base_offset >= ? AND base_offset < ?
         ORDER BY base_offset LIMIT 1`,
      ),
      setNextOffset: db.prepare('UPDATE partitions SET next_offset = ? WHERE topic_id = ? AND partition = ?'),
      topic: db.prepare('SELECT id, name, partitions FROM topics WHERE name = ?'),
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }

  async commitGroupOffsets(group: string, offsets: Omit<GroupOffset, 'group'>[]): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO group_offsets (group_id, topic, partition, offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET offset = excluded.offset`,
    )
    this.db.transaction(() => {
      for (const {offset, partition, topic} of offsets) upsert.run(group, topic, partition, offset)
    })()
  }

  /** The embedded log keeps every record: it has no cleanup policy to tell. */
  async compacts(): Promise<undefined> {
    return undefined
  }

  async createTopic(name: string, {partitions}: {partitions: number}): Promise<void> {
    validateTopicName(name)
    if (!Number.isInteger(partitions) || partitions < 1) throw new UsageError(`invalid partition count ${partitions}: give a whole number ≥ 1`)
    if (partitions > MAX_EMBEDDED_PARTITIONS) {
      throw new UsageError(`${partitions} partitions is more than the embedded log takes (at most ${MAX_EMBEDDED_PARTITIONS})`, {code: 'INPUT_INVALID', data: {max: MAX_EMBEDDED_PARTITIONS, partitions}, hint: `give --partitions ${MAX_EMBEDDED_PARTITIONS} or fewer`})
    }

    this.db.transaction(() => {
      if (this.statements.topic.get(name)) throw new UsageError(`topic '${name}' already exists`, {code: 'TOPIC_EXISTS'})
      const {lastInsertRowid} = this.db
        .prepare('INSERT INTO topics (name, partitions, created_at) VALUES (?, ?, ?)')
        .run(name, partitions, Date.now())
      const addPartition = this.db.prepare('INSERT INTO partitions (topic_id, partition) VALUES (?, ?)')
      for (let partition = 0; partition < partitions; partition++) addPartition.run(lastInsertRowid, partition)
    }).immediate()
  }

  async groupOffsets(topics: string[]): Promise<GroupOffset[]> {
    for (const topic of topics) this.requireTopic(topic)
    const select = this.db.prepare('SELECT group_id AS "group", topic, partition, offset FROM group_offsets WHERE topic = ?')
    return sortGroupOffsets(topics.flatMap((topic) => select.all(topic) as GroupOffset[]))
  }

  async listTopics(): Promise<TopicInfo[]> {
    return this.db.prepare('SELECT name, partitions FROM topics ORDER BY name').all() as TopicInfo[]
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<{offset: number; partition: number}[]> {
    const {id} = this.requireTopic(topic)
    // Kafka's semantics: the earliest offset whose timestamp is ≥ the given one. Timestamps need not be
    // monotonic, so the first batch whose maximum qualifies is searched record by record.
    const firstBatch = this.db.prepare(
      'SELECT base_offset, last_offset, records FROM batches WHERE topic_id = ? AND partition = ? AND max_timestamp >= ? ORDER BY base_offset LIMIT 1',
    )
    return (await this.watermarks(topic)).map(({high, partition}) => {
      const row = firstBatch.get(id, partition, timestamp) as BatchRow | undefined
      if (!row) return {offset: high, partition}
      // A corrupt batch cannot say where in it the time falls: start at it, and the read reports it.
      const meta = {baseOffset: row.base_offset, from: 0, lastOffset: row.last_offset, partition, to: high, topic}
      const position = this.checkOrSkip(row, meta)
      const records = position && decodeRecords(row.records, meta, position, Number.POSITIVE_INFINITY)
      return {offset: records === undefined ? row.base_offset : (records.find((record) => record.timestamp >= timestamp)?.offset ?? high), partition}
    })
  }

  async produce(records: OutgoingRecord[]): Promise<ProducedRecord[]> {
    return this.db.transaction(() => {
      const topics = new Map<string, {next: number[]; pending: BatchEntry[][]; row: TopicRow}>()
      const produced: ProducedRecord[] = []
      const now = Date.now()
      for (const record of records) {
        let state = topics.get(record.topic)
        if (!state) {
          const row = this.requireTopic(record.topic)
          const next = (this.statements.nextOffsets.all(row.id) as {next: number; partition: number}[]).map((p) => p.next)
          state = {next, pending: next.map(() => []), row}
          topics.set(record.topic, state)
        }

        const partition = this.choosePartition(record, state.row)
        produced.push({offset: state.next[partition] + state.pending[partition].length, partition, topic: record.topic})
        state.pending[partition].push(record.timestamp === undefined ? {...record, timestamp: now} : (record as BatchEntry))
      }

      for (const {next, pending, row} of topics.values()) {
        for (const [partition, entries] of pending.entries()) {
          if (entries.length === 0) continue
          for (let start = 0; start < entries.length; start += MAX_BATCH_RECORDS) {
            const chunk = entries.slice(start, start + MAX_BATCH_RECORDS)
            const base = next[partition] + start
            const maxTimestamp = chunk.reduce((max, entry) => Math.max(max, entry.timestamp), 0)
            this.statements.insertBatch.run(row.id, partition, base, base + chunk.length - 1, maxTimestamp, encodeBatch(chunk))
          }

          this.statements.setNextOffset.run(next[partition] + entries.length, row.id, partition)
        }
      }

      return produced
    }).immediate()
  }

  async *read({from, partition, signal, to, topic}: ReadRange): AsyncIterable<LogRecord[]> {
    const {id, partitions} = this.requireTopic(topic)
    if (partition < 0 || partition >= partitions) {
      throw new UsageError(`topic '${topic}' has no partition ${partition} (it has ${partitions}: 0-${partitions - 1})`, {code: 'PARTITION_NOT_FOUND'})
    }

    let next = Math.max(from, 0)
    const end = to ?? Number.MAX_SAFE_INTEGER
    // A slice of a stored batch per yield: a merged read of many partitions holds one slice of
    // each, so what is held does not grow with what is read, and most of it dies young.
    while (next < end && !signal?.aborted) {
      const start = (this.statements.batchStart.get(id, partition, next) as {base: null | number}).base ?? next
      const row = this.statements.readBatches.get(id, partition, start, end) as BatchRow | undefined
      // Offsets are dense, one batch follows another: a skipped batch moves the read on all the same.
      const after = row ? Math.min(row.last_offset + 1, end) : next
      if (row && after > next) {
        const meta = {baseOffset: row.base_offset, from: next, lastOffset: row.last_offset, partition, to: end, topic}
        const position = this.checkOrSkip(row, meta)
        next = after
        while (position && !signal?.aborted) {
          const records = decodeRecords(row.records, meta, position, READ_SLICE_RECORDS)
          if (records.length === 0) break
          yield records
        }

        // SQLite answers synchronously: without this a long read never lets a signal handler run.
        await maybeYield()
      } else if (to === undefined) {
        await sleep(FOLLOW_POLL_MS, undefined, {signal}).catch(() => {})
      } else {
        // The log ends before `to` (a watermark captured earlier, or a range past the end): done.
        return
      }
    }
  }

  /** Where the batch's records from `meta.from` start, or undefined for a corrupt batch the caller skips once `warn` has been told. */
  private checkOrSkip(row: BatchRow, meta: BatchMeta): BatchPosition | undefined {
    try {
      return checkBatch(row.records, meta)
    } catch (error) {
      if (!(error instanceof EvtError) || error.code !== 'DATA_CORRUPT' || !this.options.warn) throw error
      this.options.warn(`${error.message}: skipped its ${row.last_offset - row.base_offset + 1} records`)
      return undefined
    }
  }

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    const {id} = this.requireTopic(topic)
    const lows = this.db.prepare('SELECT MIN(base_offset) AS low FROM batches WHERE topic_id = ? AND partition = ?')
    return (this.statements.nextOffsets.all(id) as {next: number; partition: number}[]).map(({next, partition}) => ({
      high: next,
      low: (lows.get(id, partition) as {low: null | number}).low ?? next,
      partition,
    }))
  }

  private choosePartition(record: OutgoingRecord, topic: TopicRow): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= topic.partitions) {
        throw new UsageError(`topic '${topic.name}' has no partition ${record.partition} (it has ${topic.partitions})`, {code: 'PARTITION_NOT_FOUND'})
      }

      return record.partition
    }

    if (record.key) return partitionForKey(record.key, topic.partitions)
    const next = this.roundRobin.get(topic.name) ?? 0
    this.roundRobin.set(topic.name, next + 1)
    return next % topic.partitions
  }

  private requireTopic(name: string): TopicRow {
    const row = this.statements.topic.get(name) as TopicRow | undefined
    if (row) return row
    const available = (this.db.prepare('SELECT name FROM topics ORDER BY name').all() as {name: string}[]).map((t) => t.name)
    throw new NotFoundError('TOPIC_NOT_FOUND', `unknown topic '${name}'`, {available})
  }
}
