import {InterruptedError} from '../errors.js'
import type {EventLog} from '../log/event-log.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {readMerged} from '../read/merged-read.js'
import {planRead} from '../read/read-plan.js'
import {requireTopics} from '../read/read-records.js'
import {TIMESTAMP_FORM} from './column-types.js'
import {openSqlite} from './sqlite/view-file.js'
import {SqliteViewTable} from './sqlite/sqlite-view-table.js'
import {ViewBuilder} from './view-builder.js'
import type {CompiledView} from './view-definition.js'
import {quote, RECORD_KEY_COLUMN} from './view-table.js'
import type {ViewTarget} from './view-target.js'

type Row = Record<string, unknown>

export interface ViewDiff {
  changed: {columns: Record<string, {local: unknown; log: unknown}>; key: string}[]
  /** Columns the log gives that the local copy lacks, and the other way round. */
  columns: {extra: string[]; missing: string[]}
  db: string
  /** Rows in the local copy the log does not have. */
  extra: {key: string; row: Row}[]
  /** Rows the log has that the local copy lacks. */
  missing: {key: string; row: Row}[]
  records: number
  rows: {local: number; log: number}
  view: string
}

/**
 * Compares a local copy of a view (any SQLite file or PostgreSQL database with the view's table,
 * perhaps edited by hand) with what the log says now: rows missing, extra and changed column by
 * column. The log side is built in memory; the copy is only read, never modified.
 */
export async function diffView(options: {log: EventLog; registry: SchemaRegistry; signal?: AbortSignal; target: ViewTarget; view: CompiledView; warn?: (message: string) => void}): Promise<ViewDiff> {
  const {log, target, view} = options
  await requireTopics(log, view.topics)
  const local = await target.readTable(view.table, view.keyColumn)
  const expected = new SqliteViewTable(await openSqlite(':memory:'), view.table, view)
  try {
    const localColumns = ownColumns(local.columns, view.keyColumn)
    const ranges = await planRead({follow: false, from: {kind: 'beginning'}, log, topics: view.topics})
    const builder = new ViewBuilder(view, expected, {positions: new Map(), registry: options.registry, warn: options.warn})
    for await (const batch of readMerged({log, ranges, signal: options.signal})) await builder.add(batch, options.signal)
    // Interrupted: a diff against part of the log would be wrong, and comparing takes a while.
    if (options.signal?.aborted) throw new InterruptedError(`diff of view '${view.name}' interrupted`)
    await builder.flush({meta: {builtAt: new Date().toISOString(), definition: view.definition, hash: view.hash, name: view.name, table: view.table}})

    const logColumns = ownColumns((expected.db.pragma(`table_info(${quote(view.table)})`) as {name: string}[]).map((c) => c.name), view.keyColumn)
    const common = logColumns.filter((column) => localColumns.includes(column))
    const localRows = new Map<string, Row>()
    for (const row of local.rows) localRows.set(String(row[view.keyColumn]), row)
    const diff: ViewDiff = {
      changed: [],
      columns: {extra: localColumns.filter((c) => !logColumns.includes(c)), missing: logColumns.filter((c) => !localColumns.includes(c))},
      db: target.where,
      extra: [],
      missing: [],
      records: builder.counts.records,
      rows: {local: localRows.size, log: await expected.rowCount()},
      view: view.name,
    }
    for (const row of expected.db.prepare(`SELECT * FROM ${quote(view.table)} ORDER BY ${quote(view.keyColumn)}`).iterate() as Iterable<Row>) {
      const key = row[view.keyColumn] as string
      const mine = localRows.get(key)
      localRows.delete(key)
      if (!mine) {
        diff.missing.push({key, row: jsonRow(row, view.keyColumn)})
        continue
      }

      const columns: ViewDiff['changed'][number]['columns'] = {}
      for (const column of common) if (!sameValue(mine[column], row[column])) columns[column] = {local: jsonValue(mine[column]), log: jsonValue(row[column])}
      if (Object.keys(columns).length > 0) diff.changed.push({columns, key})
    }

    for (const [key, row] of [...localRows].sort(([a], [b]) => (a < b ? -1 : 1))) diff.extra.push({key, row: jsonRow(row, view.keyColumn)})
    return diff
  } finally {
    expected.db.close()
  }
}

export function hasDifferences(diff: ViewDiff): boolean {
  return diff.missing.length + diff.extra.length + diff.changed.length + diff.columns.missing.length > 0
}

/** The row key matches rows; evt's own _evt_key is bookkeeping a copy need not have. */
function ownColumns(columns: string[], keyColumn: string): string[] {
  return columns.filter((c) => c !== keyColumn && c !== RECORD_KEY_COLUMN)
}

/**
 * Numbers compare by value (12 = 12.0, INTEGER or REAL), and ISO timestamps by instant (a
 * PostgreSQL timestamp reads back without trailing zeros: .5Z = .500Z = .500000Z); everything else
 * must be identical.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint'
  if (numeric(a) && numeric(b)) return Number(a) === Number(b)
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b)
  if (typeof a === 'string' && typeof b === 'string') return TIMESTAMP_FORM.test(a) && TIMESTAMP_FORM.test(b) && trimFraction(a) === trimFraction(b)
  return false
}

const trimFraction = (timestamp: string) => timestamp.replace(/\.?0*Z$/, 'Z')

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Buffer.isBuffer(value)) return value.toString('base64')
  return value
}

function jsonRow(row: Row, keyColumn: string): Row {
  const out: Row = {}
  for (const column in row) if (column !== keyColumn && column !== RECORD_KEY_COLUMN) out[column] = jsonValue(row[column])
  return out
}
