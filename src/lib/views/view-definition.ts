import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {headersToJson} from '../codec/json-shape.js'
import {asKeyText} from '../codec/record-key.js'
import type {ColumnLocator, IdLocator, RecordField} from '../config/locator.js'
import {requireTrustedModule} from '../config/trust.js'
import type {ViewConfig} from '../config/types.js'
import {ConfigError} from '../errors.js'
import {lastHeader, type LogRecord} from '../log/event-log.js'
import {isoTime} from '../util/time.js'
import {readValuePath} from '../util/value-path.js'

/** The primary-key column every view table has. */
export const KEY_COLUMN = 'key'

/** What a column mapping or a projection module sees of one record. */
export interface ProjectionInput {
  /** The decoded record key (text, number or object), null when the record has none. */
  key: unknown
  record: LogRecord
  type: null | string
  /** The decoded value; null for a tombstone. */
  value: unknown
}

export type Projection =
  | {key: string; kind: 'delete'}
  | {key: string; kind: 'upsert'; row: Record<string, unknown>}
  | {kind: 'missing-key'}
  | {kind: 'skip'}

/**
 * A column mapping: the row key depends only on the record (its key, a header) or on the value
 * (`keyReadsValue`), and the row only on the record, so a builder can keep the last record per
 * key and project just that one.
 */
export interface ColumnProjection {
  keyOf(input: ProjectionInput): string | undefined
  /** The key is a value field: values must be decoded to find it. */
  keyReadsValue: boolean
  kind: 'columns'
  /** The row key is the record key. */
  keyIsRecordKey: boolean
  /** A column is $key: rows need the decoded record key. */
  rowReadsKey: boolean
  /** A column is $type: rows need the event type. */
  rowReadsType: boolean
  rowOf(input: ProjectionInput): Record<string, unknown>
}

/** A projection module: any record may become a row, a delete or nothing, so each is projected. */
export interface ModuleProjection {
  kind: 'module'
  project(input: ProjectionInput): Projection
}

export interface CompiledView {
  /** The columns the mapping names (a module's columns are only known from its rows). */
  columns: string[]
  /** The definition as stored in the view file, to refuse --resume after it changed. */
  definition: string
  hash: string
  name: string
  projection: ColumnProjection | ModuleProjection
  /**
   * Rows keep the key of the record that wrote them (`_evt_key`), so that a tombstone — which has
   * no value to find a row key in — deletes the rows its record key wrote: a mapping keyed by a
   * value path or a header.
   */
  rowsKeepRecordKey: boolean
  table: string
  /** Where evt.yaml says the view is built, if it says. */
  target?: string
  topics: string[]
}

/** What a projection module's `project(record)` returns: a row, 'delete', or nothing to skip. */
type ModuleResult = 'delete' | null | Record<string, unknown> | undefined

type Extract = (input: ProjectionInput) => unknown

const IDENTIFIER = /^[A-Za-z_][\w]*$/

/**
 * Turns a view of evt.yaml into a projection: the row key and the columns of each record, or a
 * delete for a tombstone. `configDir` anchors a relative projection module path. A module runs only
 * when `configFile`, the evt.yaml naming it, is trusted (`evt trust`); undefined means the view
 * comes from no file (a program built it), so there is nothing to trust.
 */
export async function compileView(name: string, config: ViewConfig, configDir: string, configFile: string | undefined): Promise<CompiledView> {
  const where = `view '${name}'`
  if (!IDENTIFIER.test(config.table)) throw new ConfigError(`${where}: table '${config.table}' is not a plain SQL name`, {hint: 'use letters, digits and _'})
  if (config.from.length === 0) throw new ConfigError(`${where}: 'from' names no topic`)
  const key = keyExtractor(config.key)
  let moduleText = ''
  let projection: ColumnProjection | ModuleProjection
  if (config.module === undefined) {
    projection = columnProjection(where, config, key)
  } else {
    if (Object.keys(config.columns).length > 0) throw new ConfigError(`${where}: give either columns or a module, not both`)
    const file = path.resolve(configDir, config.module)
    try {
      moduleText = readFileSync(file, 'utf8')
    } catch (error) {
      throw new ConfigError(`${where}: cannot read projection module ${file}: ${(error as Error).message}`)
    }

    if (configFile !== undefined) requireTrustedModule({configFile, moduleFile: file})
    projection = {kind: 'module', project: moduleProjection(where, await loadProjectModule(where, file), key)}
  }

  // As written in evt.yaml, so a view built before locators were parsed keeps its hash.
  const columnTexts = Object.entries(config.columns).map(([column, locator]) => [column, locator.text])
  const rowsKeepRecordKey = projection.kind === 'columns' && !projection.keyIsRecordKey
  // Marked, so a build from before rows kept their record key cannot be resumed (its rows lack it).
  const definition = JSON.stringify({
    columns: columnTexts,
    from: config.from,
    key: config.key.text,
    module: config.module ?? null,
    table: config.table,
    ...(rowsKeepRecordKey ? {rowsKeepRecordKey} : {}),
  })
  const hash = createHash('sha256').update(definition).update(moduleText).digest('hex')
  const columns = Object.keys(config.columns).filter((column) => column !== '*')
  return {columns, definition, hash, name, projection, rowsKeepRecordKey, table: config.table, target: config.target, topics: config.from}
}

function columnProjection(where: string, config: ViewConfig, key: Extract): ColumnProjection {
  const extractors: [string, Extract][] = []
  const spreads: Extract[] = []
  for (const [column, spec] of Object.entries(config.columns)) {
    if (column === '*') {
      spreads.push(columnExtractor(spec))
      continue
    }

    if (!IDENTIFIER.test(column) || column === KEY_COLUMN || column.startsWith('_evt')) {
      throw new ConfigError(`${where}: column name '${column}' is not allowed`, {hint: `use letters, digits and _; '${KEY_COLUMN}' and _evt* are evt's own`})
    }

    extractors.push([column, columnExtractor(spec)])
  }

  return {
    keyOf: (input) => asKeyText(key(input)),
    keyReadsValue: config.key.kind === 'path',
    kind: 'columns',
    keyIsRecordKey: config.key.kind === 'key',
    rowReadsKey: readsRecordField(config, 'key'),
    rowReadsType: readsRecordField(config, 'type'),
    rowOf(input) {
      const row: Record<string, unknown> = {}
      for (const spread of spreads) {
        const fields = spread(input)
        if (fields !== null && typeof fields === 'object' && !Array.isArray(fields)) {
          for (const [field, value] of Object.entries(fields)) if (IDENTIFIER.test(field) && field !== KEY_COLUMN) row[field] = value
        }
      }

      for (const [column, extract] of extractors) row[column] = extract(input)
      return row
    },
  }
}

function moduleProjection(where: string, projectRecord: (record: object) => ModuleResult, key: Extract): (input: ProjectionInput) => Projection {
  return (input) => {
    const {record} = input
    const result = projectRecord({
      headers: headersToJson(record.headers),
      key: input.key,
      offset: record.offset,
      partition: record.partition,
      timestamp: record.timestamp,
      topic: record.topic,
      type: input.type,
      value: input.value,
    })
    if (result === null || result === undefined) return {kind: 'skip'}
    const rowKey = asKeyText(typeof result === 'object' && KEY_COLUMN in result ? result[KEY_COLUMN] : key(input))
    if (rowKey === undefined) return {kind: 'missing-key'}
    if (result === 'delete') return {key: rowKey, kind: 'delete'}
    if (typeof result !== 'object') throw new ConfigError(`${where}: project() returned ${JSON.stringify(result)}; expected a row object, 'delete', or nothing to skip`)
    const row: Record<string, unknown> = {}
    for (const [column, value] of Object.entries(result)) {
      if (column === KEY_COLUMN) continue
      if (!IDENTIFIER.test(column) || column.startsWith('_evt')) throw new ConfigError(`${where}: project() returned column '${column}', which is not a plain SQL name`)
      row[column] = value
    }

    return {key: rowKey, kind: 'upsert', row}
  }
}

async function loadProjectModule(where: string, file: string): Promise<(record: object) => ModuleResult> {
  let loaded: {project?: unknown}
  try {
    if (/\.[cm]?ts$/.test(file)) {
      // TypeScript modules load through tsx, which Node 20 needs to strip the types.
      const {tsImport} = await import('tsx/esm/api')
      loaded = (await tsImport(pathToFileURL(file).href, import.meta.url)) as {project?: unknown}
    } else {
      loaded = (await import(pathToFileURL(file).href)) as {project?: unknown}
    }
  } catch (error) {
    throw new ConfigError(`${where}: cannot load projection module ${file}: ${(error as Error).message}`)
  }

  const project = loaded.project ?? (loaded as {default?: {project?: unknown}}).default?.project
  if (typeof project !== 'function') throw new ConfigError(`${where}: ${file} does not export a function project(record)`)
  return project as (record: object) => ModuleResult
}

const readsRecordField = (config: ViewConfig, field: RecordField) => Object.values(config.columns).some((locator) => locator.kind === 'record' && locator.field === field)

function keyExtractor(locator: IdLocator): Extract {
  return locator.kind === 'key' ? (input) => input.key : columnExtractor(locator)
}

const RECORD_FIELD: Record<RecordField, Extract> = {
  key: (input) => input.key,
  offset: (input) => input.record.offset,
  partition: (input) => input.record.partition,
  timestamp: (input) => isoTime(input.record.timestamp),
  topic: (input) => input.record.topic,
  type: (input) => input.type,
}

function columnExtractor(locator: ColumnLocator): Extract {
  switch (locator.kind) {
    case 'header': {
      return headerExtractor(locator.name)
    }

    case 'path': {
      const {path} = locator
      // A wildcard path collects every match; a plain path is the one value it reaches, or null.
      if (locator.wildcard) return (input) => readValuePath(input.value, path)
      return (input) => readValuePath(input.value, path)[0] ?? null
    }

    case 'record': {
      return RECORD_FIELD[locator.field]
    }

    case 'value': {
      return (input) => input.value
    }
  }
}

function headerExtractor(name: string): Extract {
  return (input) => lastHeader(input.record.headers, name)?.toString('utf8') ?? null
}

