import {CheckFailedError, EvtError, InterruptedError, UsageError} from '../errors.js'
import {watermarksInOrder, type EventLog} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readLive, readMerged} from '../read/merged-read.js'
import type {PartitionRange} from '../read/read-plan.js'
import {requireTopics} from '../read/read-records.js'
import type {TypeMismatch} from './column-types.js'
import {ViewBuilder, type ViewCounts} from './view-builder.js'
import type {CompiledView} from './view-definition.js'
import {type PartitionOffsets, setOffset, type ViewTable} from './view-table.js'
import type {ViewBuild, ViewTarget} from './view-target.js'

export interface RebuildProgress {
  records: number
  /** Records between the start offsets and the watermarks captured at start. */
  total: number
}

export interface RebuildOptions {
  log: EventLog
  now?: () => number
  onProgress?: (progress: RebuildProgress) => void
  registry: SchemaRegistry
  /** Catch up from the offsets stored with the current build instead of reading from the beginning. */
  resume?: boolean
  signal?: AbortSignal
  /** Fail (leaving the current build in place) when a record has no key or a value has the wrong type. */
  strict?: boolean
  target: ViewTarget
  view: CompiledView
  warn?: (message: string) => void
}

export interface RebuildResult {
  /** Where the view was built: a path, or a PostgreSQL URL (without its password) and table. */
  db: string
  missingKey: ViewCounts['missingKey']
  /** Next offset per topic and partition, as stored with the build. */
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
 * Rebuilds a view from the log into a new build beside the current one (a file next to it, a
 * table next to it) and swaps it in once complete: readers never see a half-built view, and an
 * interrupt, a crash or a broker failure leaves the current build as it was. Bounded by the high
 * watermarks captured at start.
 */
export async function rebuildView(options: RebuildOptions): Promise<RebuildResult> {
  const {log, target, view} = options
  const now = options.now ?? Date.now
  const started = now()
  await requireTopics(log, view.topics)
  const exists = await target.requireOwnOrAbsent('refusing to replace it').catch((error: unknown) => Promise.reject(target.explain(error)))
  const resumed = Boolean(options.resume && exists)
  if (options.resume && !exists) options.warn?.(`no earlier build of view '${view.name}' at ${target.where}: building it from the beginning`)
  let build: undefined | ViewBuild
  let builder: undefined | ViewBuilder
  try {
    build = await target.startBuild(view, {copyCurrent: resumed})
    const {table} = build
    const stored: PartitionOffsets = resumed ? await requireSameDefinition(table, view, target.where) : new Map()
    const ranges = await planRebuild(log, view.topics, stored)
    const total = ranges.reduce((sum, range) => sum + (range.to! - range.from), 0)
    const positions: PartitionOffsets = new Map()
    for (const range of ranges) setOffset(positions, range.topic, range.partition, range.from)
    builder = new ViewBuilder(view, table, {positions, registry: options.registry, warn: options.warn})
    options.onProgress?.({records: 0, total})
    for await (const batch of readMerged({log, ranges, signal: options.signal})) {
      const progress = () => options.onProgress?.({records: builder!.counts.records, total})
      await builder.add(batch, options.signal, progress)
      progress()
    }

    if (options.signal?.aborted) throw new InterruptedError(`rebuild of view '${view.name}' interrupted; ${target.where} is unchanged`)
    await builder.flush({meta: {builtAt: new Date(now()).toISOString(), definition: view.definition, hash: view.hash, name: view.name, table: view.table}})
    const result: RebuildResult = {
      db: target.where,
      missingKey: builder.counts.missingKey,
      offsets: offsetsObject(builder.positions),
      records: builder.counts.records,
      resumed,
      rows: await table.rowCount(),
      seconds: (now() - started) / 1000,
      tombstones: builder.counts.tombstones,
      typeMismatches: [...table.columnTypes.mismatches.values()],
      view: view.name,
    }
    if (options.strict) requireClean(result)
    await build.commit()
    return result
  } catch (error) {
    await builder?.settle()
    await build?.discard()
    throw target.explain(error)
  }
}

/**
 * Applies new records to a built view as they arrive, each batch in one transaction with its
 * offsets, until `signal` aborts. Returns the number of records applied. When another rebuild
 * puts a new build in place, that build is the view now: the follower switches to it and goes on
 * from the offsets stored in it, so the view stays live (writing on into the old one would be lost).
 */
export async function followView(options: Omit<RebuildOptions, 'onProgress' | 'resume' | 'strict'> & {onApplied?: (records: number) => void}): Promise<number> {
  let applied = 0
  for (let replacement = false; ; replacement = true) {
    const followed = await followBuild(options, applied, replacement)
    applied = followed.applied
    if (!followed.replaced) return applied
    options.warn?.(`${options.target.where} was replaced by another rebuild of view '${options.view.name}': following the new build from the offsets stored in it`)
  }
}

/** Follows the build now in place until the signal aborts, or until another build takes its place (`replaced`). */
async function followBuild(
  options: Parameters<typeof followView>[0],
  appliedBefore: number,
  replacement: boolean,
): Promise<{applied: number; replaced: boolean}> {
  const {log, target, view} = options
  if (!(await target.requireOwnOrAbsent('refusing to write into it').catch((error: unknown) => Promise.reject(target.explain(error))))) {
    throw new UsageError(`${target.where} was removed while following view '${view.name}' (${appliedBefore} records applied)`, {code: 'FILE_NOT_FOUND', data: {db: target.where}, hint: `run evt rebuild view ${view.name} --follow to build it again`})
  }

  const live = await target.openLive(view)
  let applied = appliedBefore
  try {
    const stored = replacement ? await requireSameDefinitionAfterReplacement(live.table, view, target.where, applied) : await requireSameDefinition(live.table, view, target.where)
    const ranges = (await planRebuild(log, view.topics, stored)).map((range) => ({...range, to: undefined}))
    const builder = new ViewBuilder(view, live.table, {positions: stored, registry: options.registry, warn: options.warn})
    for await (const batch of readLive({log, ranges, signal: options.signal})) {
      if (await live.replaced()) return {applied, replaced: true}
      try {
        await builder.add(batch, options.signal)
        await builder.flush({offsets: true})
      } catch (error) {
        // Replaced between the check above and this write: the batch is applied to the new build instead.
        if (live.isReplacedError(error)) return {applied, replaced: true}
        throw target.explain(error)
      }

      applied = appliedBefore + builder.counts.records
      options.onApplied?.(applied)
    }

    return {applied, replaced: false}
  } finally {
    await live.close()
  }
}

async function requireSameDefinitionAfterReplacement(table: ViewTable, view: CompiledView, where: string, applied: number): Promise<PartitionOffsets> {
  try {
    return await requireSameDefinition(table, view, where)
  } catch (error) {
    if (!(error instanceof EvtError) || error.code !== 'RESUME_IMPOSSIBLE') throw error
    throw new UsageError(`${where} was replaced by a build of another view or definition while following view '${view.name}'; stopped after applying ${applied} records`, {
      cause: error,
      code: 'RESUME_IMPOSSIBLE',
      data: {db: where},
      hint: `run evt rebuild view ${view.name} --resume --follow to follow the new build with the current evt.yaml`,
    })
  }
}

/** Per partition of the view's topics: from the stored offset (or the beginning) to the high watermark now. */
async function planRebuild(log: EventLog, topics: string[], stored: PartitionOffsets): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = []
  for await (const [topic, marks] of watermarksInOrder(log, topics)) {
    for (const {high, low, partition} of marks) {
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

async function requireSameDefinition(table: ViewTable, view: CompiledView, where: string): Promise<PartitionOffsets> {
  const meta = await table.meta()
  if (!meta) throw new UsageError(`${where} holds no finished build of a view`, {code: 'RESUME_IMPOSSIBLE', hint: 'run a full rebuild (without --resume)'})
  if (meta.name !== view.name || meta.hash !== view.hash) {
    throw new UsageError(`the definition of view '${view.name}' changed since ${where} was built (from '${meta.name}'), so it cannot catch up`, {code: 'RESUME_IMPOSSIBLE', hint: 'run a full rebuild (without --resume)',
    })
  }

  return table.offsets()
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
