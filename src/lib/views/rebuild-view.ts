import {copyFileSync, statSync} from 'node:fs'

import {CheckFailedError, EvtError, InterruptedError, UsageError} from '../errors.js'
import {EVT_APPLICATION_ID} from '../util/sqlite-file.js'
import type {EventLog} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readLive, readMerged} from '../read/merged-read.js'
import type {PartitionRange} from '../read/read-plan.js'
import {requireTopics} from '../read/read-records.js'
import {ViewBuilder, type ViewCounts} from './view-builder.js'
import type {CompiledView} from './view-definition.js'
import {buildingPath, openSqlite, removeAbandonedBuilds, removeBuild, replaceAtomically, requireViewFileOrAbsent} from './view-file.js'
import {type PartitionOffsets, setOffset, type TypeMismatch, ViewStore} from './view-store.js'

export interface RebuildProgress {
  records: number
  /** Records between the start offsets and the watermarks captured at start. */
  total: number
}

export interface RebuildOptions {
  file: string
  log: EventLog
  now?: () => number
  onProgress?: (progress: RebuildProgress) => void
  registry: SchemaRegistry
  /** Catch up from the offsets stored in `file` instead of reading from the beginning. */
  resume?: boolean
  signal?: AbortSignal
  /** Fail (leaving the previous file in place) when a record has no key or a value has the wrong type. */
  strict?: boolean
  view: CompiledView
  warn?: (message: string) => void
}

export interface RebuildResult {
  file: string
  missingKey: ViewCounts['missingKey']
  /** Next offset per topic and partition, as stored in the file. */
  offsets: Record<string, Record<string, number>>
  records: number
  resumed: boolean
  rows: number
  seconds: number
  tombstones: number
  typeMismatches: TypeMismatch[]
  view: string
}

/**
 * Rebuilds a view from the log into a new SQLite file next to `file` and renames it over `file`
 * once complete: readers never see a half-built view, and an interrupt, a crash or a broker
 * failure leaves the previous file as it was. Bounded by the high watermarks captured at start.
 */
export async function rebuildView(options: RebuildOptions): Promise<RebuildResult> {
  const {file, log, view} = options
  const now = options.now ?? Date.now
  const started = now()
  await requireTopics(log, view.topics)
  const exists = await requireViewFileOrAbsent(file, 'refusing to replace it')
  const resumed = Boolean(options.resume && exists)
  if (options.resume && !exists) options.warn?.(`no earlier build of view '${view.name}' at ${file}: building it from the beginning`)
  removeAbandonedBuilds(file)
  const building = buildingPath(file)
  let store: undefined | ViewStore
  try {
    if (resumed) copyFileSync(file, building)
    store = new ViewStore(await openSqlite(building), view.table, view)
    // Marked as evt's: a later rebuild or diff tells it from another application's database.
    store.db.pragma(`application_id = ${EVT_APPLICATION_ID}`)
    tuneForBulkLoad(store.db)
    const stored: PartitionOffsets = resumed ? requireSameDefinition(store, view, file) : new Map()
    const ranges = await planRebuild(log, view.topics, stored)
    const total = ranges.reduce((sum, range) => sum + (range.to! - range.from), 0)
    const positions: PartitionOffsets = new Map()
    for (const range of ranges) setOffset(positions, range.topic, range.partition, range.from)
    const builder = new ViewBuilder(view, store, {positions, registry: options.registry, warn: options.warn})
    options.onProgress?.({records: 0, total})
    for await (const batch of readMerged({log, ranges, signal: options.signal})) {
      const progress = () => options.onProgress?.({records: builder.counts.records, total})
      await builder.add(batch, options.signal, progress)
      progress()
    }

    if (options.signal?.aborted) throw new InterruptedError(`rebuild of view '${view.name}' interrupted; ${file} is unchanged`)
    builder.flush({meta: {builtAt: new Date(now()).toISOString(), definition: view.definition, hash: view.hash, name: view.name, table: view.table}})
    const result: RebuildResult = {
      file,
      missingKey: builder.counts.missingKey,
      offsets: offsetsObject(builder.positions),
      records: builder.counts.records,
      resumed,
      rows: store.rowCount(),
      seconds: (now() - started) / 1000,
      tombstones: builder.counts.tombstones,
      typeMismatches: [...store.mismatches.values()],
      view: view.name,
    }
    if (options.strict) requireClean(result)
    store.db.close()
    replaceAtomically(building, file)
    return result
  } catch (error) {
    if (store?.db.open) store.db.close()
    removeBuild(building)
    if ((error as {code?: string}).code === 'SQLITE_FULL') {
      throw new EvtError('DISK_FULL', `the disk is full: view '${view.name}' could not be built; ${file} is unchanged`, {cause: error, hint: 'free some space, or --db a path on another disk'})
    }

    throw error
  }
}

/**
 * Applies new records to a built view as they arrive, each batch in one transaction with its
 * offsets, until `signal` aborts. Returns the number of records applied. When another rebuild
 * renames a new file over `file`, that file is the view now: the follower switches to it and goes
 * on from the offsets stored in it, so the file at the path stays live (writing on into the old,
 * unlinked one would be lost, and SQLite refuses it).
 */
export async function followView(options: Omit<RebuildOptions, 'onProgress' | 'resume' | 'strict'> & {onApplied?: (records: number) => void}): Promise<number> {
  let applied = 0
  for (let replacement = false; ; replacement = true) {
    const followed = await followFile(options, applied, replacement)
    applied = followed.applied
    if (!followed.replaced) return applied
    options.warn?.(`${options.file} was replaced by another rebuild of view '${options.view.name}': following the new file from the offsets stored in it`)
  }
}

/** Follows the file now at `file` until the signal aborts, or until another file takes its place (`replaced`). */
async function followFile(
  options: Parameters<typeof followView>[0],
  appliedBefore: number,
  replacement: boolean,
): Promise<{applied: number; replaced: boolean}> {
  const {file, log, view} = options
  if (!(await requireViewFileOrAbsent(file, 'refusing to write into it'))) {
    throw new UsageError(`${file} was removed while following view '${view.name}' (${appliedBefore} records applied)`, {code: 'FILE_NOT_FOUND', data: {file}, hint: `run evt rebuild view ${view.name} --follow to build it again`})
  }

  const store = new ViewStore(await openSqlite(file), view.table, view)
  const identity = fileIdentity(file)
  let applied = appliedBefore
  try {
    store.db.pragma('busy_timeout = 5000')
    const stored = replacement ? requireSameDefinitionAfterReplacement(store, view, file, applied) : requireSameDefinition(store, view, file)
    const ranges = (await planRebuild(log, view.topics, stored)).map((range) => ({...range, to: undefined}))
    const builder = new ViewBuilder(view, store, {positions: stored, registry: options.registry, warn: options.warn})
    for await (const batch of readLive({log, ranges, signal: options.signal})) {
      if (fileIdentity(file) !== identity) return {applied, replaced: true}
      try {
        await builder.add(batch, options.signal)
        builder.flush({offsets: true})
      } catch (error) {
        // Replaced between the check above and this write: the batch is applied to the new file instead.
        if ((error as {code?: string}).code === 'SQLITE_READONLY_DBMOVED') return {applied, replaced: true}
        throw error
      }

      applied = appliedBefore + builder.counts.records
      options.onApplied?.(applied)
    }

    return {applied, replaced: false}
  } finally {
    store.db.close()
  }
}

/** Device and inode: what a rename over the path changes. Undefined once nothing is there. */
function fileIdentity(file: string): string | undefined {
  const stat = statSync(file, {bigint: true, throwIfNoEntry: false})
  return stat && `${stat.dev}:${stat.ino}`
}

function requireSameDefinitionAfterReplacement(store: ViewStore, view: CompiledView, file: string, applied: number): PartitionOffsets {
  try {
    return requireSameDefinition(store, view, file)
  } catch (error) {
    if (!(error instanceof EvtError) || error.code !== 'RESUME_IMPOSSIBLE') throw error
    throw new UsageError(`${file} was replaced by a build of another view or definition while following view '${view.name}'; stopped after applying ${applied} records`, {
      cause: error,
      code: 'RESUME_IMPOSSIBLE',
      data: {file},
      hint: `run evt rebuild view ${view.name} --resume --follow to follow the new build with the current evt.yaml`,
    })
  }
}

/** Per partition of the view's topics: from the stored offset (or the beginning) to the high watermark now. */
async function planRebuild(log: EventLog, topics: string[], stored: PartitionOffsets): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = []
  for (const topic of topics) {
    for (const {high, low, partition} of await log.watermarks(topic)) {
      const from = stored.get(topic)?.get(partition) ?? low
      if (from < low) {
        throw new UsageError(`records ${from}-${low - 1} of ${topic}/${partition} were deleted by retention after the view was built; it cannot catch up`, {code: 'RESUME_IMPOSSIBLE', hint: 'run a full rebuild (without --resume)',
        })
      }

      ranges.push({from, partition, to: Math.max(from, high), topic})
    }
  }

  return ranges
}

function requireSameDefinition(store: ViewStore, view: CompiledView, file: string): PartitionOffsets {
  const meta = store.meta()
  if (!meta) throw new UsageError(`${file} holds no finished build of a view`, {code: 'RESUME_IMPOSSIBLE', hint: 'run a full rebuild (without --resume)'})
  if (meta.name !== view.name || meta.hash !== view.hash) {
    throw new UsageError(`the definition of view '${view.name}' changed since ${file} was built (from '${meta.name}'), so it cannot catch up`, {code: 'RESUME_IMPOSSIBLE', hint: 'run a full rebuild (without --resume)',
    })
  }

  return store.offsets()
}

/** The build file is discarded on failure, so it needs no journal and no fsync per transaction. */
function tuneForBulkLoad(db: ViewStore['db']): void {
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  db.pragma('locking_mode = EXCLUSIVE')
  db.pragma('cache_size = -65536')
  db.pragma('temp_store = MEMORY')
}

function requireClean(result: RebuildResult): void {
  const problems = [
    result.missingKey.count > 0 ? `${result.missingKey.count} records without a row key (first at ${result.missingKey.first.join(', ')})` : '',
    ...result.typeMismatches.map((m) => `${m.count} values of column ${m.column} were ${m.got}, not ${m.expected} (first at ${m.first.join(', ')})`),
  ].filter(Boolean)
  if (problems.length > 0) throw new CheckFailedError('VIEW_DATA_INVALID', `view '${result.view}' not replaced (--strict): ${problems.join('; ')}`)
}

function offsetsObject(positions: PartitionOffsets): Record<string, Record<string, number>> {
  return Object.fromEntries([...positions].map(([topic, partitions]) => [topic, Object.fromEntries(partitions)]))
}
