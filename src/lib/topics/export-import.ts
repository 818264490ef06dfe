import {UsageError} from '../errors.js'
import {wireSchemaId} from '../codec/wire-format.js'
import {RestError} from '../registry/server/rest-error.js'
import {validateSchema} from '../registry/server/validate-schema.js'
import type {EventLog, LogRecord, OutgoingRecord} from '../log/event-log.js'
import type {CompressionName} from '../log/kafka/compression.js'
import type {SchemaDefinition, SchemaReference, SchemaRegistry, SchemaType} from '../registry/schema-registry.js'
import type {EmptyReadSummary} from '../tail/read-summary.js'
import type {StartPosition} from '../tail/start-position.js'
import {readRecords, requireTopics} from '../tail/tail-records.js'
import type {WhereFilter} from '../tail/where-filter.js'

/**
 * The export format: JSON lines of three kinds. Topics and schemas come before the records that
 * need them, so an import can create topics and register schemas (with new ids) as it goes.
 * Keys, values and header values are base64 of the exact bytes, null for null; headers are every
 * [name, value] pair in order, a repeated name as often as it occurs: a round trip is byte-identical.
 */
export type ExportLine =
  | {headers: [string, null | string][]; key: null | string; kind: 'record'; offset: number; partition: number; timestamp: number; topic: string; value: null | string}
  | {id: number; kind: 'schema'; references: SchemaReference[]; schema: string; schemaType: SchemaType; subject: string; version: number}
  | {kind: 'topic'; name: string; partitions: number}

export async function* exportTopics(options: {
  from: StartPosition
  limit?: number
  log: EventLog
  /** Nothing was selected: what the read went through (see tail-records.ts). */
  onEmpty?: (summary: EmptyReadSummary) => void
  partitions?: number[]
  registry: SchemaRegistry
  signal?: AbortSignal
  topics: string[]
  until?: number
  warn?: (message: string) => void
  where?: WhereFilter
}): AsyncIterable<ExportLine[]> {
  const {log, registry} = options
  await requireTopics(log, options.topics)
  const partitions = new Map((await log.listTopics()).map((t) => [t.name, t.partitions]))
  yield options.topics.map((name) => ({kind: 'topic', name, partitions: partitions.get(name)!}))

  const exported = new Set<number>()
  const exportedVersions = new Set<string>()
  const schemaLines = async (id: number): Promise<ExportLine[]> => {
    if (exported.has(id)) return []
    exported.add(id)
    const pairs = await registry.subjectVersionsForId(id)
    if (pairs.length === 0) {
      options.warn?.(`schema id ${id} is not in the registry: its records are exported, its schema is not`)
      return []
    }

    const lines: ExportLine[] = []
    for (const {subject, version} of pairs) {
      const stored = await registry.getVersion(subject, version)
      for (const reference of stored.references) {
        const key = `${reference.subject}/${reference.version}`
        if (exportedVersions.has(key)) continue
        const referenced = await registry.getVersion(reference.subject, reference.version)
        lines.push(...(await schemaLines(referenced.id)))
      }

      exportedVersions.add(`${subject}/${version}`)
      lines.push({id, kind: 'schema', references: stored.references, schema: stored.schema, schemaType: stored.schemaType, subject, version})
    }

    return lines
  }

  for await (const batch of readRecords({...options, follow: false})) {
    const lines: ExportLine[] = []
    for (const {record} of batch) {
      for (const bytes of [record.key, record.value]) {
        const id = wireSchemaId(bytes)
        if (id !== undefined && !exported.has(id)) lines.push(...(await schemaLines(id).catch(() => [])))
      }

      lines.push(toRecordLine(record))
    }

    yield lines
  }
}

function toRecordLine(record: LogRecord): ExportLine {
  return {
    headers: record.headers.map(([name, value]) => [name, value?.toString('base64') ?? null]),
    key: record.key?.toString('base64') ?? null,
    kind: 'record',
    offset: record.offset,
    partition: record.partition,
    timestamp: record.timestamp,
    topic: record.topic,
    value: record.value?.toString('base64') ?? null,
  }
}

export interface ImportResult {
  records: number
  schemas: {from: number; subject: string; to: number}[]
  topicsCreated: string[]
}

/**
 * Imports an export into the current cluster: creates missing topics with the exported partition
 * counts, registers the schemas (the target assigns its own ids; record bytes are rewritten to
 * them) and produces each record to its original partition with its original timestamp.
 */
export async function importExport(options: {compression?: CompressionName; lines: AsyncIterable<string>; log: EventLog; registry: SchemaRegistry; signal?: AbortSignal}): Promise<ImportResult> {
  const {log, registry} = options
  const result: ImportResult = {records: 0, schemas: [], topicsCreated: []}
  const existing = new Map((await log.listTopics()).map((t) => [t.name, t.partitions]))
  const idMap = new Map<number, number>()
  const versionMap = new Map<string, number>()
  let batch: OutgoingRecord[] = []
  let lineNumber = 0
  const flush = async () => {
    if (batch.length > 0) await log.produce(batch, {compression: options.compression})
    result.records += batch.length
    batch = []
  }

  for await (const text of options.lines) {
    // Stopped: what was read so far is written (the batch in hand), nothing more.
    if (options.signal?.aborted) break
    lineNumber++
    if (text.trim() === '') continue
    let line: ExportLine
    try {
      line = JSON.parse(text)
    } catch (error) {
      throw new UsageError(`line ${lineNumber}: not JSON: ${(error as Error).message}`, {code: 'INPUT_INVALID', hint: 'import reads what evt topic export writes'})
    }

    if (line.kind === 'topic') {
      const partitions = existing.get(line.name)
      if (partitions === undefined) {
        await log.createTopic(line.name, {partitions: line.partitions, retainForever: true})
        existing.set(line.name, line.partitions)
        result.topicsCreated.push(line.name)
      } else if (partitions < line.partitions) {
        throw new UsageError(`topic '${line.name}' has ${partitions} partitions here but ${line.partitions} in the export: records could not keep their partitions`, {code: 'INPUT_INVALID'})
      }
    } else if (line.kind === 'schema') {
      const registered = await registry.register(line.subject, await validImportedSchema(line, lineNumber, versionMap, registry))
      idMap.set(line.id, registered.id)
      versionMap.set(`${line.subject}/${line.version}`, registered.version)
      result.schemas.push({from: line.id, subject: line.subject, to: registered.id})
    } else if (line.kind === 'record') {
      batch.push({
        headers: line.headers.map(([name, value]) => [name, value === null ? null : Buffer.from(value, 'base64')]),
        key: remapWireId(line.key, idMap),
        partition: line.partition,
        timestamp: line.timestamp,
        topic: line.topic,
        value: remapWireId(line.value, idMap),
      })
      if (batch.length >= 1000) await flush()
    } else {
      throw new UsageError(`line ${lineNumber}: unknown kind ${JSON.stringify((line as {kind?: unknown}).kind)}`, {code: 'INPUT_INVALID'})
    }
  }

  await flush()
  return result
}

/** The record's bytes with the schema id rewritten to the id the target registry gave that schema. */
function remapWireId(base64: null | string, idMap: Map<number, number>): Buffer | null {
  if (base64 === null) return null
  const bytes = Buffer.from(base64, 'base64')
  const id = wireSchemaId(bytes)
  const target = id === undefined ? undefined : idMap.get(id)
  if (target !== undefined && target !== id) bytes.writeUInt32BE(target, 1)
  return bytes
}

const SCHEMA_TYPES = new Set<unknown>(['AVRO', 'JSON', 'PROTOBUF'])

/**
 * The schema line's definition, its references pointing at the versions this import registered,
 * validated as `registry serve` validates a registration (parsed with its references, which must
 * exist): an export edited by hand or written by another tool must not store a schema that no
 * client could use and that would block every later version of its subject.
 */
async function validImportedSchema(
  line: Extract<ExportLine, {kind: 'schema'}>,
  lineNumber: number,
  versionMap: Map<string, number>,
  registry: SchemaRegistry,
): Promise<SchemaDefinition> {
  const refuse = (why: string) => new UsageError(`line ${lineNumber}: schema for subject '${String(line.subject)}' refused: ${why}`, {code: 'SCHEMA_INVALID', hint: 'nothing of this schema was stored'})
  if (typeof line.subject !== 'string' || line.subject.trim() === '') throw refuse('it names no subject')
  if (!SCHEMA_TYPES.has(line.schemaType)) throw refuse(`unknown schema type ${JSON.stringify(line.schemaType)}: AVRO, JSON or PROTOBUF`)
  if (typeof line.schema !== 'string') throw refuse('its schema is not a string')
  if (!Array.isArray(line.references)) throw refuse('its references are not a list')
  const references = line.references.map((r) => ({...r, version: versionMap.get(`${r.subject}/${r.version}`) ?? r.version}))
  const definition = {references, schema: line.schema, schemaType: line.schemaType}
  try {
    await validateSchema(definition, registry)
  } catch (error) {
    if (error instanceof RestError) throw refuse(error.message)
    throw error
  }

  return definition
}
