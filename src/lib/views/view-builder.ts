import {RecordDecoder} from '../codec/record-decoder.js'
import type {LogRecord} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {eventTypeOf} from '../util/event-type.js'
import type {CompiledView} from './view-definition.js'
import type {PartitionOffsets, ViewChange, ViewMeta, ViewStore} from './view-store.js'

/** Records buffered before they are written: one transaction each, deduplicated by key. */
const CHUNK_RECORDS = 50_000
const FIRST_POSITIONS = 5

export interface ViewCounts {
  /** Records whose row key could not be found: skipped. */
  missingKey: {count: number; first: string[]}
  records: number
  tombstones: number
}

/**
 * Projects records into a view store: decodes what the view reads (schemas fetched once per
 * batch), keeps the last change per key in a chunk, and writes each chunk in one transaction.
 */
export class ViewBuilder {
  readonly counts: ViewCounts = {missingKey: {count: 0, first: []}, records: 0, tombstones: 0}
  /** Next offset per partition, covering every record added so far. */
  readonly positions: PartitionOffsets
  private chunk = new Map<string, ViewChange>()
  private chunkRecords = 0
  private readonly decoder: RecordDecoder

  constructor(
    private readonly view: CompiledView,
    private readonly store: ViewStore,
    options: {positions: PartitionOffsets; registry: SchemaRegistry; warn?: (message: string) => void},
  ) {
    this.decoder = new RecordDecoder(options.registry, options.warn)
    this.positions = options.positions
  }

  /** Adds a batch of records (in log order); writes a chunk when enough have gathered. */
  async add(records: LogRecord[]): Promise<void> {
    const {needsValue} = this.view
    await this.decoder.prepare(needsValue ? records.flatMap((r) => [r.key, r.value]) : records.map((r) => r.key))
    for (const record of records) {
      const value = needsValue ? this.decoder.decode(record.value, record.topic) : null
      const projection = this.view.project({
        key: this.decoder.decode(record.key, record.topic)?.value ?? null,
        record,
        type: eventTypeOf(record.headers, value?.type),
        value: value?.value ?? null,
      })
      this.counts.records++
      if (record.value === null) this.counts.tombstones++
      this.positions.set(`${record.topic}/${record.partition}`, record.offset + 1)
      switch (projection.kind) {
        case 'delete': {
          this.chunk.set(projection.key, {kind: 'delete'})
          break
        }

        case 'missing-key': {
          this.counts.missingKey.count++
          if (this.counts.missingKey.first.length < FIRST_POSITIONS) this.counts.missingKey.first.push(positionOf(record))
          break
        }

        case 'skip': {
          break
        }

        case 'upsert': {
          this.chunk.set(projection.key, {kind: 'upsert', position: positionOf(record), row: projection.row})
          break
        }
      }
    }

    this.chunkRecords += records.length
    if (this.chunkRecords >= CHUNK_RECORDS) this.flush()
  }

  /** Writes what is buffered; with `meta`, the offsets, the definition and every column go in the same transaction. */
  flush(meta?: ViewMeta): void {
    if (this.chunk.size === 0 && !meta) return
    this.store.apply(this.chunk, meta ? {columns: this.view.columns, meta, offsets: this.positions} : {})
    this.chunk = new Map()
    this.chunkRecords = 0
  }

  /** Writes the buffered chunk together with the offsets reached: used per live batch. */
  flushWithOffsets(): void {
    this.store.apply(this.chunk, {offsets: this.positions})
    this.chunk = new Map()
    this.chunkRecords = 0
  }
}

export function positionOf(record: LogRecord): string {
  return `${record.topic}/${record.partition}@${record.offset}`
}
