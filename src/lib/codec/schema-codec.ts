import type {Schema, Type} from 'avsc'

import {EvtError} from '../errors.js'
import {referencedSchemas, referencedTexts} from '../registry/references.js'
import {avroMismatch} from './avro-mismatch.js'
import {boundedCollections} from './avro-collections.js'
import {jsonSchemaCheck} from './json-schema-values.js'
import {preciseLong} from './avro-long.js'
import {naturalLogicalTypes} from './avro-logical-types.js'
import type {SchemaRegistry, StoredSchema} from '../registry/schema-registry.js'
import type {ValueStep} from '../util/value-path.js'
import {avroValueKind, jsonSchemaValueKind, type ValueKind} from './value-kinds.js'

/** A schema made ready to decode and encode payloads (the bytes after the wire-format header). */
export interface SchemaCodec {
  /**
   * With `fields`, a reader that looks only at those top-level fields may leave the others out of
   * the value (Avro skips their bytes: no strings or objects made for them).
   */
  decode(payload: Buffer, fields?: FieldSelection): unknown
  encode(value: unknown): Buffer
  /** The record/message name: an Avro full name, a JSON Schema title. */
  recordName?: string
  /** What the schema says a value path reaches in decoded values (views type their columns by it). */
  valueKind(steps: readonly ValueStep[]): undefined | ValueKind
}

/** Top-level fields of a value a reader needs: one object per reader, reused (codecs cache by it). */
export type FieldSelection = ReadonlySet<string>

/** What evt uses of avsc: its types. */
export type Avsc = Pick<typeof import('avsc'), 'Type' | 'types'>

/**
 * Loads avsc's types on first use, so commands that never touch Avro do not pay for them. Only its
 * types module: avsc's entry point also loads its container files, RPC services and the streams and
 * zlib they need, twice the time (15 → 33 ms on a slow machine) for nothing evt uses.
 */
export async function loadAvsc(): Promise<Avsc> {
  const module = await import('avsc/lib/types.js')
  const {Type, builtins} = module.default ?? module
  return {Type, types: builtins}
}

/**
 * Builds a codec for a stored schema; references (Avro named types in other subjects) are fetched
 * from the registry first, depth first, so the referring schema can name them.
 */
export async function buildSchemaCodec(schema: StoredSchema, registry: SchemaRegistry): Promise<SchemaCodec> {
  switch (schema.schemaType) {
    case 'AVRO': {
      return buildAvroCodec(schema, registry)
    }

    case 'JSON': {
      let parsed: unknown
      try {
        parsed = JSON.parse(schema.schema)
      } catch {
        // The title and value kinds are niceties: without them values still decode.
      }

      const check = jsonSchemaCheck(parsed, await referencedSchemas(schema, registry))
      return {
        decode: (payload) => JSON.parse(payload.toString('utf8')),
        encode(value) {
          const problem = check(value)
          if (problem) throw new EvtError('RECORD_INVALID', problem)
          return Buffer.from(JSON.stringify(value), 'utf8')
        },
        recordName: (parsed as {title?: string} | undefined)?.title,
        valueKind: (steps) => jsonSchemaValueKind(parsed, steps),
      }
    }

    case 'PROTOBUF': {
      const {buildProtobufCodec} = await import('./protobuf-codec.js')
      return buildProtobufCodec(schema, registry)
    }
  }
}

async function buildAvroCodec(schema: StoredSchema, registry: SchemaRegistry): Promise<SchemaCodec> {
  const avro = await loadAvsc()
  // Also where avsc looks up primitive names: `long` becomes one that keeps values beyond 2^53.
  const named: Record<string, Type> = {long: preciseLong(avro)}
  const options = {logicalTypes: naturalLogicalTypes(avro), registry: named, typeHook: boundedCollections(avro)}
  // Referenced named types first, so the schema can name them.
  for (const text of await referencedTexts(schema, registry)) avro.Type.forSchema(JSON.parse(text), options)
  const type = avro.Type.forSchema(JSON.parse(schema.schema), options)
  const hasBytes = usesBytes(type)
  const readers = new Map<FieldSelection, ((payload: Buffer) => unknown) | undefined>()
  const readerOf = (fields: FieldSelection) => {
    if (!readers.has(fields)) readers.set(fields, projectedReader(avro, type, fields, options))
    return readers.get(fields)
  }

  return {
    decode: (payload, fields) => {
      const read = fields && readerOf(fields)
      const value = read ? read(payload) : type.fromBuffer(payload)
      return hasBytes ? bytesToBase64(value) : value
    },
    encode(value) {
      const mismatch = avroMismatch(type, value)
      if (mismatch) throw new EvtError('RECORD_INVALID', mismatch)
      return type.toBuffer(value)
    },
    recordName: (type as {name?: string}).name,
    valueKind: (steps) => avroValueKind(type, steps),
  }
}

/**
 * A reader of a record type's payloads that decodes only `fields` (Avro schema resolution, the
 * others skipped); undefined when nothing would be left out, or the type is no record, or the
 * pruned schema no longer stands alone (a kept field names a type a dropped one defined).
 */
function projectedReader(avro: Avsc, type: Type, fields: FieldSelection, options: object): ((payload: Buffer) => unknown) | undefined {
  const schema = type.schema({exportAttrs: true}) as {fields?: {name: string}[]; type?: string}
  if (schema.type !== 'record' || !schema.fields) return undefined
  const kept = schema.fields.filter((field) => fields.has(field.name))
  if (kept.length === schema.fields.length) return undefined
  try {
    // Its own registry: the writer's names are taken in the codec's, and avsc refuses a name twice.
    const reader = avro.Type.forSchema({...schema, fields: kept} as Schema, {...options, registry: {long: preciseLong(avro)}})
    const resolver = reader.createResolver(type)
    return (payload) => reader.fromBuffer(payload, resolver)
  } catch {
    return undefined
  }
}

function usesBytes(type: Type): boolean {
  return /"type":"(bytes|fixed)"|"(bytes|fixed)"/.test(JSON.stringify(type.schema()))
}

/** JSON has no bytes: Avro bytes and fixed values are shown as base64. */
function bytesToBase64(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64')
  if (Array.isArray(value)) return value.map(bytesToBase64)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, field] of Object.entries(value)) out[key] = bytesToBase64(field)
    return out
  }

  return value
}
