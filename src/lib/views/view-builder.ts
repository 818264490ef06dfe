import {asKeyText, type DecodeBytes, decodedKey} from '../codec/record-key.js'
import {type DecodedPayload, RecordDecoder} from '../codec/record-decoder.js'
import {type LogRecord, positionOf, type RecordPosition} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {eventTypeOf} from '../util/event-type.js'
import {unrepresentableTimeWarning} from '../util/time.js'
import {maybeYield} from '../util/yield.js'
import type {ColumnProjection, CompiledView, JoinProjection, Projection, ProjectionInput} from './view-definition.js'
import type {SqlType} from './column-types.js'
import {type ApplyExtras, type PartitionOffsets, setOffset, type ViewChange, type ViewMeta, type ViewTable} from './view-table.js'

/** The schema id of records decoded without a schema. */
const RAW = -1

const FIRST_POSITIONS = 5
/**
 * A chunk that keeps records (a mapping keyed by the record key projects only the last record of
 * each key) keeps their stored batches alive with them: it gathers at most this many.
 */
const CHUNK_KEEPING_RECORDS = 50_000

export interface ViewCounts {
  /** Records whose row key could not be found: skipped. */
  missingKey: {count: number; first: string[]}
  records: number
  tombstones: number
}

/**
 * The last change per key in a chunk; a mapped view whose row key is not in the value keeps the
 * record itself and projects it at write time (only if it is still the last of its key).
 */
type PendingChange = ({kind: 'record'; record: LogRecord; recordKey?: string} | ViewChange) & Added

/** With rowsKeepRecordKey: the count of records added when a change came, to tell which tombstones of its record key came after it. */
type Added = {added?: number}

/**
 * Projects records into a view store, keeping only the last change per key of each chunk and
 * writing a chunk in one transaction. With a column mapping, values are decoded only for the
 * records that survive that deduplication (and for every record when the key is a value field).
 */
export class ViewBuilder {
  readonly counts: ViewCounts = {missingKey: {count: 0, first: []}, records: 0, tombstones: 0}
  private chunk = new Map<string, PendingChange>()
  /** With rowsKeepRecordKey: the record keys of this chunk's tombstones, each with the count of records added at its last. */
  private deletedRecordKeys = new Map<string, number>()
  private chunkRecords = 0
  private readonly decoder: RecordDecoder
  private readonly decode: DecodeBytes = (bytes, topic) => this.decoder.decode(bytes, topic)
  private readonly warnTime: (record: LogRecord) => void
  /** Next offset per topic and partition, covering every record added so far (updated in place). */
  readonly positions: PartitionOffsets
  /** Per mapping (a join view has one per topic), per schema id: its columns' types. */
  private readonly typesBySchema = new Map<ColumnProjection, Map<number, ReadonlyMap<string, SqlType>>>()
  /** The column types the schemas of this chunk's records give, and which of the maps above went into it. */
  private chunkTypes = new Map<string, SqlType>()
  private chunkTypeSources = new Set<ReadonlyMap<string, SqlType>>()
  /** The full chunk being written while the next one gathers (a database server writes on another core). */
  private writing?: Promise<unknown>
  /** Records gathered before a chunk is written. */
  private readonly chunkLimit: number

  constructor(
    private readonly view: CompiledView,
    private readonly store: ViewTable,
    options: {positions: PartitionOffsets; registry: SchemaRegistry; warn?: (message: string) => void},
  ) {
    this.decoder = new RecordDecoder(options.registry, options.warn)
    this.warnTime = unrepresentableTimeWarning(options.warn)
    this.positions = options.positions
    const {projection} = view
    const keepsRecords = projection.kind === 'columns' && !projection.keyReadsValue
    this.chunkLimit = keepsRecords ? Math.min(store.chunkRecords, CHUNK_KEEPING_RECORDS) : store.chunkRecords
  }

  /**
   * Adds a batch of records (in log order); writes a chunk when enough have gathered. Stops early
   * once `signal` aborts. `onYield` runs whenever the loop lets the event loop in (~every 50 ms),
   * so progress shows within a batch of slowly projected records too.
   */
  async add(records: LogRecord[], signal?: AbortSignal, onYield?: () => void): Promise<void> {
    await this.decoder.prepareRecords(records)
    for (const record of records) {
      // A projection module may be slow: let signals and the progress bar through.
      const yielded = maybeYield()
      if (yielded) {
        await yielded
        onYield?.()
      }

      if (signal?.aborted) return
      this.counts.records++
      if (record.value === null) this.counts.tombstones++
      this.warnTime(record)
      setOffset(this.positions, record.topic, record.partition, record.offset + 1)
      const {projection} = this.view
      if (projection.kind === 'module') this.applyProjection(projection.project(this.input(record)), record)
      else if (projection.kind === 'join') this.addJoined(record, projection)
      else this.addMapped(record, projection)
    }

    this.chunkRecords += records.length
    if (this.chunkRecords < this.chunkLimit) return
    // One chunk in flight at most: chunks apply in order, and a failure surfaces here.
    await this.writing
    const [changes, extras] = this.takeChunk()
    const written = this.store.apply(changes, extras)
    // Held until awaited above or in flush, so a failure is not an unhandled rejection meanwhile.
    written.catch(() => {})
    this.writing = written
  }

  /**
   * Writes what is buffered in one transaction, after the chunk in flight; with `offsets` the
   * positions reached go in it too (each live batch), and with `meta` also the definition (the end of a build).
   */
  async flush(options: {meta?: ViewMeta; offsets?: boolean} = {}): Promise<void> {
    const writing = this.writing
    this.writing = undefined
    await writing
    const {meta} = options
    if (this.chunk.size === 0 && this.deletedRecordKeys.size === 0 && !meta && !options.offsets) return
    const [changes, extras] = this.takeChunk()
    await this.store.apply(changes, {...extras, meta, offsets: meta || options.offsets ? this.positions : undefined})
  }

  /** Waits for the chunk in flight, whatever its outcome: before a failed build is discarded. */
  async settle(): Promise<void> {
    await this.writing?.catch(() => {})
    this.writing = undefined
  }

  private addMapped(record: LogRecord, projection: ColumnProjection): void {
    const value = projection.keyReadsValue ? this.decoder.decode(record.value, record.topic, projection.valueFields) : undefined
    const key = projection.keyOf({
      key: projection.keyIsRecordKey ? this.decodeKey(record) : null,
      record,
      type: null,
      value: value?.value ?? null,
    })
    if (this.view.rowsKeepRecordKey) {
      this.addKeepingRecordKey(record, key, value)
    } else if (record.value === null) {
      if (key !== undefined) this.chunk.set(key, {kind: 'delete'})
    } else if (key === undefined) {
      this.countMissingKey(record)
    } else {
      this.chunk.set(key, this.pendingChange(record, projection, value))
    }
  }

  /**
   * A record that writes a row: projected now when its value was decoded already (the row key is
   * a value field), so the chunk holds the row and not the record, whose key and value would keep
   * its whole stored batch alive; else kept to be projected if it is still the last of its key.
   */
  private pendingChange(record: LogRecord, projection: ColumnProjection, value: DecodedPayload | null | undefined, recordKey?: string, added?: number): PendingChange {
    if (value === undefined) return {added, kind: 'record', record, recordKey}
    return this.upsertOf(record, projection, value, recordKey, added)
  }

  private upsertOf(record: LogRecord, mapping: ColumnProjection, payload: DecodedPayload | null, recordKey: string | undefined, added?: number): Added & ViewChange {
    const input = this.input(record, payload, {key: mapping.rowReadsKey, type: mapping.rowReadsType})
    this.noteTypes(mapping, payload)
    return {added, kind: 'upsert', record: positionIn(record), recordKey, row: mapping.rowOf(input)}
  }

  /**
   * A view keyed by a value path or a header: a tombstone has no value to find its row key in, so
   * it deletes the rows its record key wrote — those of this chunk when the chunk is taken (the
   * changes its record key made before it), those written before by the store (`deletedRecordKeys`,
   * applied before this chunk's rows).
   */
  private addKeepingRecordKey(record: LogRecord, key: string | undefined, value: DecodedPayload | null | undefined): void {
    const recordKey = asKeyText(decodedKey(record, this.decode))
    if (record.value === null) {
      if (recordKey !== undefined) this.deletedRecordKeys.set(recordKey, this.counts.records)
    } else if (key === undefined) {
      this.countMissingKey(record)
    } else {
      this.chunk.set(key, this.pendingChange(record, this.view.projection as ColumnProjection, value, recordKey, this.counts.records))
    }
  }

  /** A change whose record key a later tombstone of this chunk deleted. */
  private deletedLater(change: Added & {recordKey?: string}): boolean {
    if (change.recordKey === undefined) return false
    const tombstone = this.deletedRecordKeys.get(change.recordKey)
    return tombstone !== undefined && tombstone > change.added!
  }

  /**
   * A join view's record updates its topic's columns of the row: merged into what this chunk has
   * for that row already. After a delete in the same chunk the row starts again from this record.
   */
  private addJoined(record: LogRecord, projection: JoinProjection): void {
    const source = projection.sources.get(record.topic)!
    if (record.value === null) {
      if (record.topic !== projection.deletes) return
      const key = source.keyOf({key: source.keyIsRecordKey ? this.decodeKey(record) : null, record, type: null, value: null})
      if (key !== undefined) this.chunk.set(key, {kind: 'delete'})
      return
    }

    const payload = this.decoder.decode(record.value, record.topic, source.valueFields)
    const input = this.input(record, payload, {key: source.keyIsRecordKey || source.rowReadsKey, type: source.rowReadsType})
    const key = source.keyOf(input)
    if (key === undefined) {
      this.countMissingKey(record)
      return
    }

    const row = source.rowOf(input)
    this.noteTypes(source, payload)
    const at = positionIn(record)
    const pending = this.chunk.get(key)
    if (pending === undefined) {
      this.chunk.set(key, {kind: 'merge', record: at, row})
    } else if (pending.kind === 'delete') {
      this.chunk.set(key, {kind: 'upsert', record: at, row})
    } else if (pending.kind === 'merge' || pending.kind === 'upsert') {
      // The chunk's own objects: merged in place, one allocation fewer per record.
      Object.assign(pending.row, row)
      pending.record = at
    }
  }

  private applyProjection(projection: Projection, record: LogRecord): void {
    switch (projection.kind) {
      case 'delete': {
        this.chunk.set(projection.key, {kind: 'delete'})
        break
      }

      case 'missing-key': {
        this.countMissingKey(record)
        break
      }

      case 'skip': {
        break
      }

      case 'upsert': {
        this.chunk.set(projection.key, {kind: 'upsert', record: positionIn(record), row: projection.row})
        break
      }
    }
  }

  /** The chunk as rows to write (mapped records projected now) with what goes along, and a fresh chunk. */
  private takeChunk(): [Map<string, ViewChange>, ApplyExtras] {
    const changes = new Map<string, ViewChange>()
    const {projection} = this.view
    for (const [key, change] of this.chunk) {
      if (change.kind === 'delete' || change.kind === 'merge') {
        changes.set(key, change)
        continue
      }

      if (this.deletedLater(change)) {
        changes.set(key, {kind: 'delete'})
        continue
      }

      if (change.kind === 'upsert') {
        changes.set(key, change)
        continue
      }

      // Only a column mapping keeps records to project later.
      const mapping = projection as ColumnProjection
      const payload = this.decoder.decode(change.record.value, change.record.topic, mapping.valueFields)
      changes.set(key, this.upsertOf(change.record, mapping, payload, change.recordKey))
    }

    const extras: ApplyExtras = {deletedRecordKeys: new Set(this.deletedRecordKeys.keys()), schemaTypes: this.chunkTypes}
    this.chunk = new Map()
    this.deletedRecordKeys = new Map()
    this.chunkTypes = new Map()
    this.chunkTypeSources = new Set()
    this.chunkRecords = 0
    return [changes, extras]
  }

  /**
   * Notes the column types a written record's schema (and the mapping) give, for the chunk: a
   * column is typed by them before it holds a value. Computed once per mapping and schema.
   */
  private noteTypes(mapping: ColumnProjection, payload: DecodedPayload | null): void {
    const schemaId = payload && payload.schema && payload.error === undefined ? payload.schema.id : RAW
    let bySchema = this.typesBySchema.get(mapping)
    if (!bySchema) this.typesBySchema.set(mapping, (bySchema = new Map()))
    let types = bySchema.get(schemaId)
    if (!types) bySchema.set(schemaId, (types = mapping.typesOf((steps) => (schemaId === RAW ? undefined : this.decoder.valueKind(payload!, steps)))))
    if (this.chunkTypeSources.has(types)) return
    this.chunkTypeSources.add(types)
    // The first schema to type a column in a chunk types it.
    for (const [column, type] of types) if (!this.chunkTypes.has(column)) this.chunkTypes.set(column, type)
  }

  private countMissingKey(record: LogRecord): void {
    this.counts.missingKey.count++
    if (this.counts.missingKey.first.length < FIRST_POSITIONS) this.counts.missingKey.first.push(positionOf(record))
  }

  private decodeKey(record: LogRecord): unknown {
    return decodedKey(record, this.decode)
  }

  /** What a projection sees; `needs` leaves out the key and type a mapping does not read. */
  private input(record: LogRecord, decoded?: DecodedPayload | null, needs = {key: true, type: true}): ProjectionInput {
    const value = decoded === undefined ? this.decoder.decode(record.value, record.topic) : decoded
    return {
      key: needs.key ? this.decodeKey(record) : null,
      record,
      type: needs.type ? eventTypeOf(record.headers, value?.type) : null,
      value: value?.value ?? null,
    }
  }
}

/**
 * Only where a record sits, for reports: a chunk that held the record would hold its stored batch
 * too, and what lives that long is costly to collect.
 */
function positionIn(record: LogRecord): RecordPosition {
  return {offset: record.offset, partition: record.partition, topic: record.topic}
}
