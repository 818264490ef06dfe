import {EvtError, NotFoundError, UnreachableError} from '../errors.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {decodeRaw, MAX_NESTING, nestsTooDeep, type RawEncoding} from './raw.js'
import type {ValueStep} from '../util/value-path.js'
import {buildSchemaCodec, type FieldSelection, type SchemaCodec} from './schema-codec.js'
import {isSubjectOfTopic} from './subject-names.js'
import type {ValueKind} from './value-kinds.js'
import {wirePayload, wireSchemaId} from './wire-format.js'

export interface SchemaRef {
  id: number
  subject: null | string
  version: null | number
}

export interface DecodedPayload {
  encoding: 'avro' | 'json-schema' | 'protobuf' | RawEncoding
  /** Set when the bytes looked like the wire format but could not be decoded with their schema. */
  error?: string
  schema: null | SchemaRef
  /** The record name of the schema (Avro full name), when known. */
  type?: string
  value: unknown
}

interface LoadedSchema {
  codec?: SchemaCodec
  encoding: DecodedPayload['encoding']
  /** Why this id cannot decode (unknown to the registry, unsupported type). */
  problem?: string
  /** The SchemaRef shown with this id's records, per topic: built once, shared by every record (do not mutate). */
  refs: Map<string, SchemaRef>
  subjects: {subject: string; version: number}[]
}

/**
 * Decodes record keys and values. Schemas are fetched once per id (`prepare`, async), after
 * which `decode` is synchronous: no await per record on the hot path.
 */
export class RecordDecoder {
  /** Whether the registry has answered once: a registry never reached is a wrong URL or a registry that is down, not an outage. */
  private registryAnswered = false
  private readonly schemas = new Map<number, LoadedSchema>()
  /** The loads under way: an id asked for again meanwhile (by reads sharing this decoder) waits on the same requests. */
  private readonly loading = new Map<number, Promise<LoadedSchema>>()

  /**
   * `rawWhenRegistryGoesAway`: once the registry has answered, a schema it can no longer be reached
   * for is shown raw (one warning per id, for the rest of this decoder's life) instead of failing —
   * for a tail, which must go on through a registry outage. Without it, and for a registry never
   * reached, the UnreachableError stands (exit 3).
   */
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly warn: (message: string) => void = () => {},
    private readonly options: {rawWhenRegistryGoesAway?: boolean} = {},
  ) {}

  /** Fetches the schemas of every wire-format buffer not seen before. */
  async prepare(buffers: Iterable<Buffer | null>): Promise<void> {
    const missing = new Set<number>()
    for (const bytes of buffers) this.noteUnknown(bytes, missing)
    await this.loadAll(missing)
  }

  /** `prepare` for the keys and values of records, without building an array of them per batch. */
  async prepareRecords(records: readonly {key: Buffer | null; value: Buffer | null}[]): Promise<void> {
    const missing = new Set<number>()
    for (const record of records) {
      this.noteUnknown(record.key, missing)
      this.noteUnknown(record.value, missing)
    }

    await this.loadAll(missing)
  }

  /** `fields`: the top-level fields the caller looks at; the value may lack the others. */
  decode(bytes: Buffer | null, topic: string, fields?: FieldSelection): DecodedPayload | null {
    if (bytes === null) return null
    const id = wireSchemaId(bytes)
    const loaded = id === undefined ? undefined : this.schemas.get(id)
    if (id === undefined || !loaded) return {...decodeRaw(bytes), schema: null}

    let schema = loaded.refs.get(topic)
    if (!schema) loaded.refs.set(topic, (schema = {id, ...pickSubject(loaded.subjects, topic)}))
    if (!loaded.codec) return {...decodeRaw(bytes), error: loaded.problem, schema}
    try {
      const value = loaded.codec.decode(wirePayload(bytes), fields)
      if (nestsTooDeep(value, bytes.length)) throw new EvtError('DATA_CORRUPT', `the value nests deeper than ${MAX_NESTING} levels`)
      return {encoding: loaded.encoding, schema, type: loaded.codec.recordName, value}
    } catch (error) {
      return {...decodeRaw(bytes), error: `cannot decode with schema ${id}: ${(error as Error).message}`, schema}
    }
  }

  /** What the schema a payload was decoded with says `steps` reaches; undefined for raw payloads. */
  valueKind(payload: DecodedPayload, steps: readonly ValueStep[]): undefined | ValueKind {
    if (payload.schema === null || payload.error !== undefined) return undefined
    return this.schemas.get(payload.schema.id)?.codec?.valueKind(steps)
  }

  private noteUnknown(bytes: Buffer | null, missing: Set<number>): void {
    const id = wireSchemaId(bytes)
    if (id !== undefined && !this.schemas.has(id)) missing.add(id)
  }

  /**
   * The schemas of `ids`, asked for all at once: over HTTP each costs round trips, and a trace of
   * one order meets a schema per event type. A failure is the first id's in order, as one by one.
   */
  private async loadAll(ids: Set<number>): Promise<void> {
    const ordered = [...ids]
    const loads = await Promise.allSettled(
      ordered.map((id) => {
        let load = this.loading.get(id)
        if (!load) {
          load = this.load(id).finally(() => this.loading.delete(id))
          this.loading.set(id, load)
        }

        return load
      }),
    )
    for (const [i, id] of ordered.entries()) {
      const load = loads[i]
      if (load.status === 'rejected') throw load.reason
      this.schemas.set(id, load.value)
    }
  }

  private async load(id: number): Promise<LoadedSchema> {
    // Both questions at once; the schema's own answer (found, not found, unreachable) decides.
    const subjectsOf = this.registry.subjectVersionsForId(id)
    subjectsOf.catch(() => {})
    try {
      const stored = await this.registry.getSchema(id)
      this.registryAnswered = true
      const subjects = await subjectsOf
      const encoding = stored.schemaType === 'AVRO' ? 'avro' : stored.schemaType === 'JSON' ? 'json-schema' : 'protobuf'
      try {
        return {codec: await buildSchemaCodec(stored, this.registry), encoding, refs: new Map(), subjects}
      } catch (error) {
        const problem = `schema ${id} (${stored.schemaType}) cannot be used: ${(error as Error).message}`
        this.warn(`${problem}; its records are shown raw`)
        return {encoding, problem, refs: new Map(), subjects}
      }
    } catch (error) {
      if (error instanceof UnreachableError && this.options.rawWhenRegistryGoesAway && this.registryAnswered) {
        const problem = `schema ${id} could not be fetched: ${error.message}`
        this.warn(`${problem}; its records are shown raw`)
        return {encoding: 'base64', problem, refs: new Map(), subjects: []}
      }

      if (!(error instanceof NotFoundError)) throw error
      this.registryAnswered = true
      const problem = error.message
      this.warn(`${problem}; its records are shown raw`)
      return {encoding: 'base64', problem, refs: new Map(), subjects: []}
    }
  }
}

/** A schema id can sit under several subjects: prefer the one named after the record's topic. */
function pickSubject(subjects: {subject: string; version: number}[], topic: string): {subject: null | string; version: null | number} {
  const match = subjects.find((s) => s.subject === `${topic}-value`) ?? subjects.find((s) => isSubjectOfTopic(s.subject, topic)) ?? subjects[0]
  return match ? {subject: match.subject, version: match.version} : {subject: null, version: null}
}
