import type {Field, Type} from 'protobufjs'

import {EvtError} from '../errors.js'
import type {SchemaRegistry, StoredSchema} from '../registry/schema-registry.js'
import {referencedTexts} from '../registry/references.js'
import {loadProtobufjs, nestedMessages, parseProtobuf, topLevelMessages} from '../schema/protobuf-schema.js'
import {wellKnownFromJson, wellKnownJsonType, wellKnownToJson} from './protobuf-well-known-json.js'
import type {SchemaCodec} from './schema-codec.js'
import {shownValue} from './value-shown.js'
import {protobufValueKind} from './value-kinds.js'

/**
 * Confluent's Protobuf payload: after the 5-byte header, the *message indexes* — a zig-zag varint
 * count, then that many zig-zag varint indexes into the file's message declarations (nested ones
 * by position too), with the common case [0] written as a single 0 byte — then the message.
 * @kafkajs/confluent-schema-registry reads these wrongly for other producers (its issue #152);
 * this follows the format Confluent's serializers write.
 */
export async function buildProtobufCodec(schema: StoredSchema, registry: SchemaRegistry): Promise<SchemaCodec> {
  // Parse errors are already SCHEMA_INVALID UsageErrors; callers say which schema cannot be used.
  const {file, root} = parseProtobuf(schema.schema, await referencedTexts(schema, registry))
  const topLevel = topLevelMessages(file).map((name) => root.lookupType(name))
  if (topLevel.length === 0) throw new EvtError('SCHEMA_INVALID', `Protobuf schema ${schema.id} declares no message`)
  return {
    decode(payload) {
      const [indexes, at] = readIndexes(payload)
      let type: Type | undefined = topLevel[indexes[0]]
      for (const index of indexes.slice(1)) type = type && nestedMessages(type)[index]
      if (!type) throw new EvtError('DATA_CORRUPT', `message indexes [${indexes.join(', ')}] name no message of this schema`)
      const message = type.decode(payload.subarray(at))
      return withWellKnownJson(type, type.toObject(message, {bytes: String, defaults: true, enums: String, longs: String}))
    },
    encode(value) {
      const type = topLevel[0]
      const message = withJsonForms(type, value) as Record<string, unknown>
      const problem = type.verify(message)
      if (problem) throw new EvtError('SCHEMA_INVALID', describeVerifyProblem(type, value, problem))
      return Buffer.concat([Buffer.from([0]), Buffer.from(type.encode(type.fromObject(message)).finish())])
    },
    recordName: topLevel[0].fullName.replace(/^\./, ''),
    // Kinds of the first message, the one a payload names in the common case (indexes [0]).
    valueKind: (steps) => protobufValueKind(topLevel[0], steps),
  }
}

const STRUCTURAL = new Set(['ListValue', 'Struct', 'Value'])

/** What protobufjs's util.Long (the `long` package) offers and its typing leaves out. */
interface LongStatics {
  fromString(text: string, unsigned: boolean): {toString(): string}
}

/**
 * `value` with the JSON forms that protobufjs's verify refuses but the decoder writes (so that
 * what `topic tail --json` printed can be produced again) and Confluent's JSON mapping reads:
 * 64-bit integers as decimal strings, enums by name, the well-known types' JSON forms. Anything
 * else is left for verify to name.
 */
function withJsonForms(type: Type, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const protobuf = loadProtobufjs()
  const message: Record<string, unknown> = {...value}
  for (const field of type.fieldsArray) {
    const given = message[field.name]
    if (given === undefined || given === null) continue
    const {resolvedType} = field
    const convert = (item: unknown): unknown => {
      const wellKnown = resolvedType instanceof protobuf.Type ? wellKnownJsonType(resolvedType.fullName) : undefined
      // A Struct, Value or ListValue comes back whole; the others may hold 64-bit text to convert.
      if (wellKnown) return STRUCTURAL.has(wellKnown) ? wellKnownFromJson(wellKnown, item) : withJsonForms(resolvedType as Type, wellKnownFromJson(wellKnown, item))
      if (resolvedType instanceof protobuf.Type) return withJsonForms(resolvedType, item)
      if (typeof item !== 'string') return item
      if (resolvedType instanceof protobuf.Enum) return Object.hasOwn(resolvedType.values, item) ? resolvedType.values[item] : item
      if (!field.long || !/^-?\d+$/.test(item)) return item
      const long = (protobuf.util.Long as unknown as LongStatics).fromString(item, /^(uint64|fixed64)$/.test(field.type))
      // Out of range, Long wraps around: left as text, verify then names the field.
      return long.toString() === item.replace(/^(-?)0+(?=\d)/, '$1') ? long : item
    }

    message[field.name] = eachValue(field, given, convert)
  }

  return message
}

/** `convert` applied to a field's value: to each entry's value of a map, each element of a repeated field; a map or list given as something else is left for verify to name. */
function eachValue(field: Field, given: unknown, convert: (item: unknown) => unknown): unknown {
  if (field.map) return typeof given === 'object' && given !== null && !Array.isArray(given) ? Object.fromEntries(Object.entries(given).map(([key, item]) => [key, convert(item)])) : given
  if (field.repeated) return Array.isArray(given) ? given.map(convert) : given
  return convert(given)
}

/** What a field of a well-known type takes in JSON, for a value that is neither of its forms. */
const WELL_KNOWN_EXPECTED: Record<string, string> = {
  Duration: 'a duration such as "1.5s"',
  Timestamp: 'an RFC 3339 timestamp such as "2026-01-05T09:30:00Z"',
}

/**
 * protobufjs's verify says "lines.qty: integer expected" or "at.object expected": said as the
 * other codecs say it, "field 'at' is "yesterday" (a string), expected an RFC 3339 timestamp".
 */
function describeVerifyProblem(type: Type, value: unknown, problem: string): string {
  // "path: what expected" for a scalar, "path.object expected" for a message, "object expected" at the top.
  const match = /^(?:(.+): (.+)|(?:(.+)\.)?(object)) expected$/.exec(problem)
  if (!match) return problem
  const path = (match[1] ?? match[3])?.split('.') ?? []
  let expected = (match[2] ?? match[4]).replaceAll('|Long', '').replace(/^integer\{k:\w+\}$/, 'a map of integers').replace('enum value', 'one of its enum names')
  // The field's type, and the value given there when no repeated field is on the way (verify names no index).
  let fieldType: null | Type | undefined = type
  let given: unknown = value
  for (const step of path) {
    const field: Field | undefined = fieldType?.fields[step]
    given = field && !field.repeated && typeof given === 'object' && given !== null ? (given as Record<string, unknown>)[step] : undefined
    fieldType = field?.resolvedType && 'fieldsArray' in field.resolvedType ? field.resolvedType : undefined
  }

  const wellKnown = fieldType ? wellKnownJsonType(fieldType.fullName) : undefined
  if (wellKnown && WELL_KNOWN_EXPECTED[wellKnown]) expected = WELL_KNOWN_EXPECTED[wellKnown]
  const where = path.length === 0 ? 'the value' : `field '${path.join('.')}'`
  return given === undefined ? `${where}: expected ${expected}` : `${where} is ${shownValue(given)}, expected ${expected}`
}

/** Per message type: whether any field, at any depth, is a well-known type with a JSON form of its own. */
const reachesWellKnown = new WeakMap<Type, boolean>()

function hasWellKnownFields(type: Type, visiting = new Set<Type>()): boolean {
  const known = reachesWellKnown.get(type)
  if (known !== undefined) return known
  // A recursive message: the cycle adds nothing the other fields do not.
  if (visiting.has(type)) return false
  visiting.add(type)
  const found = type.fieldsArray.some((field) => {
    const resolved = field.resolvedType
    return resolved !== null && 'fieldsArray' in resolved && (wellKnownJsonType(resolved.fullName) !== undefined || hasWellKnownFields(resolved, visiting))
  })
  visiting.delete(type)
  // Inside a cycle an answer may lack what the rest of the cycle reaches: only the outermost is kept.
  if (visiting.size === 0) reachesWellKnown.set(type, found)
  return found
}

/** toObject's output with each well-known type's message in its JSON form (a message without such fields is returned as it is). */
function withWellKnownJson(type: Type, object: Record<string, unknown>): Record<string, unknown> {
  if (!hasWellKnownFields(type)) return object
  for (const field of type.fieldsArray) {
    const given = object[field.name]
    const resolved = field.resolvedType
    if (given === undefined || given === null || resolved === null || !('fieldsArray' in resolved)) continue
    const wellKnown = wellKnownJsonType(resolved.fullName)
    object[field.name] = eachValue(field, given, (item) => (wellKnown ? wellKnownToJson(wellKnown, item as Record<string, unknown>) : withWellKnownJson(resolved, item as Record<string, unknown>)))
  }

  return object
}

function readIndexes(payload: Buffer): [number[], number] {
  let at = 0
  const varint = () => {
    let result = 0
    let shift = 0
    for (;;) {
      if (at >= payload.length) throw new EvtError('DATA_CORRUPT', 'truncated message indexes')
      const byte = payload[at++]
      result |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) break
      shift += 7
      if (shift > 28) throw new EvtError('DATA_CORRUPT', 'message index varint too long')
    }

    return (result >>> 1) ^ -(result & 1)
  }

  const count = varint()
  if (count === 0) return [[0], at]
  if (count < 0 || count > 64) throw new EvtError('DATA_CORRUPT', `implausible message index count ${count}`)
  return [Array.from({length: count}, varint), at]
}
