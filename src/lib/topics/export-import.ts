import {createHash} from 'node:crypto'

import {UsageError} from '../errors.js'
import {maybeYield} from '../util/yield.js'
import {wireSchemaId} from '../codec/wire-format.js'
import {validateSchema} from '../registry/validate-schema.js'
import type {EventLog, LogRecord, OutgoingRecord} from '../log/event-log.js'
import {validateTopicName} from '../log/topic-name.js'
import type {CompressionName} from '../log/kafka/compression.js'
import type {SchemaReference, SchemaRegistry, SchemaType} from '../registry/schema-registry.js'
import {readRecords, requireTopics, type TailOptions} from '../read/read-records.js'

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

/** The read's options are the one read pipeline's (read-records.ts), bounded: an export never follows. */
export async function* exportTopics(options: Omit<TailOptions, 'follow' | 'onLag' | 'rawWhenRegistryGoesAway'>): AsyncIterable<ExportLine[]> {
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
  /** Records written. */
  records: number
  schemas: {from: number; subject: string; to: number}[]
  /** Records not written because their partition already holds them (an earlier run of this import). */
  skipped: number
  topicsCreated: string[]
}

type RecordLine = Extract<ExportLine, {kind: 'record'}>
type SchemaLine = Extract<ExportLine, {kind: 'schema'}>

/**
 * Imports an export into the current cluster: creates missing topics with the exported partition
 * counts, registers the schemas (the target assigns its own ids; record bytes are rewritten to
 * them) and produces each record to its original partition with its original timestamp.
 *
 * The file is read twice (`lines` opens it again): first every line is checked and nothing is
 * written, so a truncated or bad file imports nothing; then it is written. A record is skipped
 * when its partition already holds an identical one (key, value, headers and timestamp) that no
 * other record of this import has been matched with, so running an import again, or after a
 * kill, writes only what is missing. Offsets cannot say this: the target assigns its own, and a
 * topic that held records before the first import shifts them all. `append` writes everything.
 */
export async function importExport(options: {
  append?: boolean
  compression?: CompressionName
  /** Opens the export (again) as lines. */
  lines: () => AsyncIterable<string>
  log: EventLog
  registry: SchemaRegistry
  signal?: AbortSignal
}): Promise<ImportResult> {
  const {log, registry, signal} = options
  const result: ImportResult = {records: 0, schemas: [], skipped: 0, topicsCreated: []}
  const existing = new Map((await log.listTopics()).map((t) => [t.name, t.partitions]))
  const plan = await checkExport(options.lines(), existing, signal)
  if (signal?.aborted) return result

  // Every schema is checked before any is stored: a file with one bad schema stores none. A
  // reference may name a schema of an earlier line, which is not registered yet.
  const withFileSchemas = registryWithSchemaLines(registry, plan.schemas)
  for (const {line, lineNumber} of plan.schemas) await checkImportedSchema(line, lineNumber, withFileSchemas)

  const idMap = new Map<number, number>()
  const versionMap = new Map<string, number>()
  for (const {line} of plan.schemas) {
    const references = line.references.map((r) => ({...r, version: versionMap.get(`${r.subject}/${r.version}`) ?? r.version}))
    const registered = await registry.register(line.subject, {references, schema: line.schema, schemaType: line.schemaType})
    idMap.set(line.id, registered.id)
    versionMap.set(`${line.subject}/${line.version}`, registered.version)
    result.schemas.push({from: line.id, subject: line.subject, to: registered.id})
  }

  for (const [name, partitions] of plan.topics) {
    if (existing.has(name)) continue
    await log.createTopic(name, {partitions, retainForever: true})
    result.topicsCreated.push(name)
  }

  const present = options.append ? new Map<string, Map<string, number>>() : await presentFingerprints(log, plan.earliest, existing, signal)
  let batch: OutgoingRecord[] = []
  const flush = async () => {
    if (batch.length > 0) await log.produce(batch, {compression: options.compression})
    result.records += batch.length
    batch = []
  }

  let lineNumber = 0
  for await (const text of options.lines()) {
    // Stopped: what was read so far is written (the batch in hand), nothing more.
    if (signal?.aborted) break
    const line = parseExportLine(text, ++lineNumber)
    if (line?.kind !== 'record') continue
    const record: OutgoingRecord = {
      headers: line.headers.map(([name, value]) => [name, value === null ? null : Buffer.from(value, 'base64')]),
      key: remapWireId(line.key, idMap),
      partition: line.partition,
      timestamp: line.timestamp,
      topic: line.topic,
      value: remapWireId(line.value, idMap),
    }
    const fingerprints = present.get(partitionKey(line.topic, line.partition))
    if (fingerprints) {
      const print = fingerprint(record)
      const count = fingerprints.get(print) ?? 0
      if (count > 0) {
        fingerprints.set(print, count - 1)
        result.skipped++
        continue
      }
    }

    batch.push(record)
    if (batch.length >= 1000) await flush()
  }

  await flush()
  return result
}

interface ImportPlan {
  /** Per `topic/partition` of the records, the earliest timestamp among them. */
  earliest: Map<string, number>
  schemas: {line: SchemaLine; lineNumber: number}[]
  /** Every topic the export declares, with its partition count. */
  topics: Map<string, number>
}

/** The first pass: every line checked against the format and the target's topics, nothing written. */
async function checkExport(lines: AsyncIterable<string>, existing: Map<string, number>, signal?: AbortSignal): Promise<ImportPlan> {
  const plan: ImportPlan = {earliest: new Map(), schemas: [], topics: new Map()}
  let lineNumber = 0
  for await (const text of lines) {
    if (signal?.aborted) break
    const line = parseExportLine(text, ++lineNumber)
    if (line === undefined) continue
    if (line.kind === 'topic') {
      const here = existing.get(line.name)
      if (here !== undefined && here < line.partitions) {
        throw new UsageError(`line ${lineNumber}: topic '${line.name}' has ${here} partitions here but ${line.partitions} in the export: records could not keep their partitions`, {
          code: 'INPUT_INVALID',
          hint: `import into a cluster where '${line.name}' has at least ${line.partitions} partitions, or where it does not exist yet`,
        })
      }

      try {
        validateTopicName(line.name)
      } catch (error) {
        throw importLineError(lineNumber, (error as Error).message, 'rename the topic in the topic line and in its records')
      }

      plan.topics.set(line.name, Math.max(here ?? 0, line.partitions, plan.topics.get(line.name) ?? 0))
    } else if (line.kind === 'schema') {
      plan.schemas.push({line, lineNumber})
    } else {
      const partitions = plan.topics.get(line.topic) ?? existing.get(line.topic)
      if (partitions === undefined) {
        throw importLineError(lineNumber, `the record's topic '${line.topic}' is neither declared by an earlier topic line nor in the cluster`, `put a line {"kind":"topic","name":"${line.topic}","partitions":N} before it`)
      }

      if (line.partition >= partitions) {
        throw importLineError(lineNumber, `field 'partition' is ${line.partition} but topic '${line.topic}' has ${partitions} partitions (0-${partitions - 1})`, 'give a partition the topic has')
      }

      const key = partitionKey(line.topic, line.partition)
      plan.earliest.set(key, Math.min(plan.earliest.get(key) ?? Number.POSITIVE_INFINITY, line.timestamp))
    }

    // Parsing is synchronous: let Ctrl-C through on a long file.
    await maybeYield()
  }

  return plan
}

const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`

/** What makes two records the same here: key, value, headers (in order) and timestamp; hashed to keep memory small. */
function fingerprint(record: {headers?: [string, Buffer | null][]; key: Buffer | null; timestamp?: number; value: Buffer | null}): string {
  const base64 = (bytes: Buffer | null) => bytes?.toString('base64') ?? null
  const text = JSON.stringify([record.timestamp, base64(record.key), base64(record.value), (record.headers ?? []).map(([name, value]) => [name, base64(value)])])
  return createHash('sha256').update(text).digest('base64')
}

/**
 * Per partition the import writes to (and that existed before it), how often each record
 * fingerprint occurs among the records there whose timestamp is at or after the import's earliest
 * for that partition: an identical record has the same timestamp, and the log's offset-for-time
 * is the first offset with a timestamp that late, so nothing before it can match.
 */
async function presentFingerprints(log: EventLog, earliest: Map<string, number>, existing: Map<string, number>, signal?: AbortSignal): Promise<Map<string, Map<string, number>>> {
  const present = new Map<string, Map<string, number>>()
  const byTopic = new Map<string, number>()
  for (const [key, timestamp] of earliest) {
    const topic = key.slice(0, key.lastIndexOf('/'))
    if (existing.has(topic)) byTopic.set(topic, Math.min(byTopic.get(topic) ?? Number.POSITIVE_INFINITY, timestamp))
  }

  for (const [topic, timestamp] of byTopic) {
    const highs = new Map((await log.watermarks(topic)).map((w) => [w.partition, w.high]))
    for (const {offset, partition} of await log.offsetsForTime(topic, timestamp)) {
      const key = partitionKey(topic, partition)
      const high = highs.get(partition) ?? offset
      if (!earliest.has(key) || offset >= high) continue
      const counts = new Map<string, number>()
      for await (const records of log.read({from: offset, partition, signal, to: high, topic})) {
        for (const record of records) {
          const print = fingerprint(record)
          counts.set(print, (counts.get(print) ?? 0) + 1)
        }
      }

      present.set(key, counts)
    }
  }

  return present
}

const importLineError = (lineNumber: number, message: string, hint: string) =>
  new UsageError(`line ${lineNumber}: ${message}`, {code: 'INPUT_INVALID', data: {line: lineNumber}, hint})

/** A value as the message shows it: short, and the same for every kind of value. */
function shown(value: unknown): string {
  if (value === undefined) return 'missing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

const BASE64 = /^[\d+/A-Za-z]*={0,2}$/
const isBytes = (value: unknown): value is null | string => value === null || (typeof value === 'string' && BASE64.test(value))
const isCount = (value: unknown, min: number): value is number => Number.isSafeInteger(value) && (value as number) >= min

/**
 * One line of an export, checked field by field (undefined for a blank line): whatever the file
 * holds, a bad line is exit 2 naming the line, the field and what it should be.
 */
function parseExportLine(text: string, lineNumber: number): ExportLine | undefined {
  if (text.trim() === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw importLineError(lineNumber, `not JSON: ${(error as Error).message}`, 'import reads what evt topic export writes: one JSON object per line')
  }

  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw importLineError(lineNumber, `expected a JSON object, got ${shown(parsed)}`, 'each line is a topic, schema or record object as evt topic export writes them')
  }

  const line = parsed as Record<string, unknown>
  const field = (name: string, what: string) => importLineError(lineNumber, `field '${name}' is ${shown(line[name])}: ${what}`, 'import reads what evt topic export writes')
  switch (line.kind) {
    case 'record': {
      if (typeof line.topic !== 'string' || line.topic === '') throw field('topic', 'give the topic name')
      if (!isCount(line.partition, 0)) throw field('partition', 'give a partition number (0 or more)')
      if (line.offset !== undefined && !isCount(line.offset, 0)) throw field('offset', 'give the source offset (0 or more), or leave it out')
      if (!isCount(line.timestamp, 0)) throw field('timestamp', 'give milliseconds since the epoch as a whole number')
      if (!isBytes(line.key)) throw field('key', 'give base64 of the key bytes, or null')
      if (!isBytes(line.value)) throw field('value', 'give base64 of the value bytes, or null for a tombstone')
      if (!Array.isArray(line.headers)) throw field('headers', 'give a list of [name, base64 value or null] pairs, [] for none')
      const bad = line.headers.findIndex((h) => !Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || !isBytes(h[1]))
      if (bad !== -1) {
        throw importLineError(lineNumber, `header ${bad + 1} is ${shown(line.headers[bad])}: give a [name, base64 value or null] pair`, 'import reads what evt topic export writes')
      }

      return line as RecordLine
    }

    case 'schema': {
      const refuse = (why: string) =>
        new UsageError(`line ${lineNumber}: schema for subject '${String(line.subject)}' refused: ${why}`, {code: 'SCHEMA_INVALID', data: {line: lineNumber}, hint: 'nothing of the file was stored'})
      if (typeof line.subject !== 'string' || line.subject.trim() === '') throw refuse('it names no subject')
      if (!SCHEMA_TYPES.has(line.schemaType)) throw refuse(`unknown schema type ${JSON.stringify(line.schemaType)}: AVRO, JSON or PROTOBUF`)
      if (typeof line.schema !== 'string') throw refuse('its schema is not a string')
      if (!isCount(line.id, 0)) throw refuse(`field 'id' is ${shown(line.id)}: give the schema id the records use`)
      if (!isCount(line.version, 1)) throw refuse(`field 'version' is ${shown(line.version)}: give the version number (1 or more)`)
      if (!Array.isArray(line.references)) throw refuse(`field 'references' is ${shown(line.references)}: give a list of {name, subject, version}, [] for none`)
      const badReference = line.references.find((r) => r === null || typeof r !== 'object' || typeof r.name !== 'string' || typeof r.subject !== 'string' || !isCount(r.version, 1))
      if (badReference !== undefined) throw refuse(`a reference is ${shown(badReference)}: give {name, subject, version}`)
      return line as SchemaLine
    }

    case 'topic': {
      if (typeof line.name !== 'string' || line.name === '') throw field('name', 'give the topic name')
      if (!isCount(line.partitions, 1)) throw field('partitions', 'give the partition count (1 or more)')
      return line as Extract<ExportLine, {kind: 'topic'}>
    }

    default: {
      throw importLineError(lineNumber, `unknown kind ${shown(line.kind)}`, 'kind is topic, schema or record')
    }
  }
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
 * A schema line validated as `registry serve` validates a registration (parsed with its
 * references, which must exist): an export edited by hand or written by another tool must not
 * store a schema that no client could use and that would block every later version of its subject.
 */
async function checkImportedSchema(line: Extract<ExportLine, {kind: 'schema'}>, lineNumber: number, registry: SchemaRegistry): Promise<void> {
  // The line's shape was checked by parseExportLine; this checks the schema itself.
  const refuse = (why: string) => new UsageError(`line ${lineNumber}: schema for subject '${line.subject}' refused: ${why}`, {code: 'SCHEMA_INVALID', data: {line: lineNumber}, hint: 'nothing of the file was stored'})
  try {
    await validateSchema({references: line.references, schema: line.schema, schemaType: line.schemaType}, registry)
  } catch (error) {
    if (error instanceof UsageError && error.code === 'SCHEMA_INVALID') throw refuse(error.message)
    throw error
  }
}

/** The registry as the import will have made it: a subject and version of the file's schema lines is found there first. */
function registryWithSchemaLines(registry: SchemaRegistry, schemas: ImportPlan['schemas']): SchemaRegistry {
  const fromFile = new Map(schemas.map(({line}) => [`${line.subject}/${line.version}`, line]))
  const getVersion: SchemaRegistry['getVersion'] = async (subject, version) => {
    const line = fromFile.get(`${subject}/${version}`)
    return line ? {id: line.id, references: line.references, schema: line.schema, schemaType: line.schemaType, subject, version: line.version} : registry.getVersion(subject, version)
  }

  return Object.assign(Object.create(registry) as SchemaRegistry, {getVersion})
}
