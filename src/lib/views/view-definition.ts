import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {headersToJson} from '../codec/json-shape.js'
import type {FieldSelection} from '../codec/schema-codec.js'
import type {ValueKind} from '../codec/value-kinds.js'
import {asKeyText} from '../codec/record-key.js'
import type {ColumnLocator, IdLocator, RecordField} from '../config/locator.js'
import {requireTrustedModule} from '../config/trust.js'
import type {ColumnType, ViewConfig} from '../config/types.js'
import {ConfigError} from '../errors.js'
import {lastHeader, type LogRecord, positionOf} from '../log/event-log.js'
import {importEsm} from '../util/import-esm.js'
import {isoTime} from '../util/time.js'
import {parseValuePath, readOneValue, readValuePath, topLevelField, type ValueStep} from '../util/value-path.js'
import {SQL_TYPE_OF_KIND, type SqlType} from './column-types.js'

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
  /**
   * The columns' types that do not depend on values: a record field's, a wildcard path's (JSON
   * text), and through `valueKind` what the record's schema says a value path reaches.
   */
  typesOf(valueKind: (steps: readonly ValueStep[]) => undefined | ValueKind): Map<string, SqlType>
  /** The top-level value fields the key and columns read (undefined: the whole value), so a decoder can skip the others. */
  valueFields?: FieldSelection
}

/**
 * A join view: each topic finds the row by its own key locator and updates only its own columns;
 * tombstones of `deletes` (keyed by the record key or a header) delete the row, others are ignored.
 */
export interface JoinProjection {
  deletes?: string
  kind: 'join'
  sources: Map<string, ColumnProjection>
}

/** A projection module: any record may become a row, a delete or nothing, so each is projected. */
export interface ModuleProjection {
  kind: 'module'
  project(input: ProjectionInput): Projection
}

export interface CompiledView {
  /** The columns the mapping names (a module's columns are only known from its rows). */
  columns: string[]
  /** The SQL type evt.yaml declares for some of them (`type:`); the others take their values' type. */
  columnTypes: Map<string, SqlType>
  /** The definition as stored in the view file, to refuse --resume after it changed. */
  definition: string
  hash: string
  /** The row key column: `key`, or a join view's `key: NAME`. */
  keyColumn: string
  name: string
  projection: ColumnProjection | JoinProjection | ModuleProjection
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
  if (config.join) return compileJoinView(name, config, where)
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

  const rowsKeepRecordKey = projection.kind === 'columns' && !projection.keyIsRecordKey
  // As written in evt.yaml, so a view built before locators were parsed keeps its hash.
  // Marked, so a build from before rows kept their record key cannot be resumed (its rows lack it).
  const definition = JSON.stringify({
    columns: columnTexts(config.columns),
    from: config.from,
    key: config.key.text,
    module: config.module ?? null,
    table: config.table,
    ...(rowsKeepRecordKey ? {rowsKeepRecordKey} : {}),
    // Only when declared, so a view without types keeps the hash it had before types could be.
    ...(Object.keys(config.columnTypes ?? {}).length > 0 ? {types: config.columnTypes} : {}),
  })
  const hash = createHash('sha256').update(definition).update(moduleText).digest('hex')
  const columns = Object.keys(config.columns).filter((column) => column !== '*')
  return {columns, columnTypes: sqlTypes(config.columnTypes), definition, hash, keyColumn: KEY_COLUMN, name, projection, rowsKeepRecordKey, table: config.table, target: config.target, topics: config.from}
}

function compileJoinView(name: string, config: ViewConfig, where: string): CompiledView {
  const keyColumn = config.keyColumn ?? KEY_COLUMN
  if (!IDENTIFIER.test(keyColumn) || keyColumn.startsWith('_evt')) throw new ConfigError(`${where}: key column name '${keyColumn}' is not a plain SQL name`, {hint: 'use letters, digits and _, like orderId'})
  const sources = new Map<string, ColumnProjection>()
  const columns: string[] = []
  for (const [topic, source] of Object.entries(config.join!)) {
    if ('*' in source.columns) throw new ConfigError(`${where}: topic ${topic}: a join view names its columns ('*' would let topics overwrite each other's)`)
    sources.set(topic, columnProjection(`${where}, topic ${topic}`, source, keyExtractor(source.key), {keyColumn, partial: true}))
    for (const column of Object.keys(source.columns)) {
      const owner = columns.includes(column) && Object.entries(config.join!).find(([other, spec]) => other !== topic && column in spec.columns)?.[0]
      if (owner) throw new ConfigError(`${where}: column '${column}' is given by both ${owner} and ${topic}`, {hint: 'each column comes from one topic: rename one of them'})
      columns.push(column)
    }
  }

  if (config.deletes !== undefined && config.join![config.deletes].key.kind === 'path') {
    throw new ConfigError(`${where}: deletes: ${config.deletes} finds rows by a value path, and a tombstone has no value`, {hint: `key ${config.deletes} by its record key (key: key) or a header, or leave deletes out`})
  }

  const types = Object.assign({}, ...Object.values(config.join!).map((source) => source.columnTypes ?? {})) as Record<string, ColumnType>
  const definition = JSON.stringify({
    deletes: config.deletes ?? null,
    from: Object.entries(config.join!).map(([topic, source]) => [topic, source.key.text, columnTexts(source.columns)]),
    key: keyColumn,
    table: config.table,
    ...(Object.keys(types).length > 0 ? {types} : {}),
  })
  const hash = createHash('sha256').update(definition).digest('hex')
  return {columns, columnTypes: sqlTypes(types), definition, hash, keyColumn, name, projection: {deletes: config.deletes, kind: 'join', sources}, rowsKeepRecordKey: false, table: config.table, target: config.target, topics: config.from}
}

function sqlTypes(types: Record<string, ColumnType> = {}): Map<string, SqlType> {
  return new Map(Object.entries(types).map(([column, type]) => [column, type.toUpperCase() as SqlType]))
}

function columnTexts(columns: ViewConfig['columns']): [string, string][] {
  return Object.entries(columns).map(([column, locator]) => [column, locator.text])
}

/**
 * `partial` (a join view's topic): a column whose path or header the record lacks is left out of
 * the row — the record says nothing about it, so the row keeps what another record wrote there.
 */
function columnProjection(where: string, config: Pick<ViewConfig, 'columns' | 'key'>, key: Extract, {keyColumn = KEY_COLUMN, partial = false} = {}): ColumnProjection {
  const extractors: [string, Extract][] = []
  const spreads: Extract[] = []
  for (const [column, spec] of Object.entries(config.columns)) {
    if (column === '*') {
      spreads.push(columnExtractor(spec))
      continue
    }

    if (!IDENTIFIER.test(column) || column === keyColumn || column.startsWith('_evt')) {
      throw new ConfigError(`${where}: column name '${column}' is not allowed`, {hint: `use letters, digits and _; '${keyColumn}' and _evt* are evt's own`})
    }

    extractors.push([column, columnExtractor(spec, {partial})])
  }

  return {
    keyOf: (input) => asKeyText(key(input)),
    keyReadsValue: config.key.kind === 'path',
    valueFields: valueFieldsOf([config.key, ...Object.values(config.columns)], '*' in config.columns),
    typesOf(valueKind) {
      const types = new Map<string, SqlType>()
      for (const [column, locator] of Object.entries(config.columns)) {
        const type = column === '*' ? undefined : locatorType(locator, valueKind)
        if (type !== undefined) types.set(column, type)
      }

      return types
    },
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

      for (const [column, extract] of extractors) {
        const value = extract(input)
        if (value !== undefined) row[column] = value
      }

      return row
    },
  }
}

function moduleProjection(where: string, projectRecord: (record: object) => ModuleResult, key: Extract): (input: ProjectionInput) => Projection {
  return (input) => {
    const {record} = input
    let result: ModuleResult
    try {
      result = projectRecord({
        headers: headersToJson(record.headers),
        key: input.key,
        offset: record.offset,
        partition: record.partition,
        timestamp: record.timestamp,
        topic: record.topic,
        type: input.type,
        value: input.value,
      })
    } catch (error) {
      // The module's bug, not evt's: said with the record it failed on (a tombstone's value is null).
      const tombstone = input.value === null ? ' (a tombstone: its value is null)' : ''
      throw new ConfigError(`${where}: project() threw on ${positionOf(record)}${tombstone}: ${error instanceof Error ? error.message : String(error)}`)
    }

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
      const {tsImport} = await importEsm<typeof import('tsx/esm/api')>('tsx/esm/api')
      loaded = (await tsImport(pathToFileURL(file).href, import.meta.url)) as {project?: unknown}
    } else {
      loaded = await importEsm<{project?: unknown}>(pathToFileURL(file).href)
    }
  } catch (error) {
    throw new ConfigError(`${where}: cannot load projection module ${file}: ${(error as Error).message}`)
  }

  const project = loaded.project ?? (loaded as {default?: {project?: unknown}}).default?.project
  if (typeof project !== 'function') throw new ConfigError(`${where}: ${file} does not export a function project(record)`)
  return project as (record: object) => ModuleResult
}

const readsRecordField = (config: Pick<ViewConfig, 'columns'>, field: RecordField) => Object.values(config.columns).some((locator) => locator.kind === 'record' && locator.field === field)

function keyExtractor(locator: IdLocator): Extract {
  return locator.kind === 'key' ? (input) => input.key : columnExtractor(locator)
}

/** The top-level fields value paths start with; undefined when some locator reads the whole value (`$`, `*`, `$[0]`). */
function valueFieldsOf(locators: (ColumnLocator | IdLocator)[], spreads: boolean): FieldSelection | undefined {
  const fields = new Set<string>()
  for (const locator of locators) {
    if (locator.kind === 'value') return undefined
    if (locator.kind !== 'path') continue
    const field = topLevelField(locator.path)
    if (field === undefined) return undefined
    fields.add(field)
  }

  return spreads ? undefined : fields
}

/** The record fields whose type is known; the key and the event type are typed by their values. */
const RECORD_FIELD_TYPES: Partial<Record<RecordField, SqlType>> = {offset: 'INTEGER', partition: 'INTEGER', timestamp: 'TIMESTAMP', topic: 'TEXT'}

function locatorType(locator: ColumnLocator, valueKind: (steps: readonly ValueStep[]) => undefined | ValueKind): SqlType | undefined {
  if (locator.kind === 'record') return RECORD_FIELD_TYPES[locator.field]
  if (locator.kind === 'header') return 'TEXT'
  if (locator.kind === 'path' && locator.wildcard) return 'TEXT'
  const kind = valueKind(locator.kind === 'path' ? parseValuePath(locator.path) : [])
  return kind === undefined ? undefined : SQL_TYPE_OF_KIND[kind]
}

const RECORD_FIELD: Record<RecordField, Extract> = {
  key: (input) => input.key,
  offset: (input) => input.record.offset,
  partition: (input) => input.record.partition,
  timestamp: (input) => isoTime(input.record.timestamp),
  topic: (input) => input.record.topic,
  type: (input) => input.type,
}

/** A plain path or a header the record lacks gives null, or with `partial` undefined (to leave the column out). */
function columnExtractor(locator: ColumnLocator, {partial = false} = {}): Extract {
  const absent = partial ? undefined : null
  switch (locator.kind) {
    case 'header': {
      const {name} = locator
      return (input) => lastHeader(input.record.headers, name)?.toString('utf8') ?? absent
    }

    case 'path': {
      const {path} = locator
      // A wildcard path collects every match; a plain path is the one value it reaches, or `absent`.
      if (locator.wildcard) return (input) => readValuePath(input.value, path)
      return (input) => {
        const value = readOneValue(input.value, path)
        return value === undefined ? absent : value
      }
    }

    case 'record': {
      return RECORD_FIELD[locator.field]
    }

    case 'value': {
      return (input) => input.value
    }
  }
}

