import type {Type} from 'protobufjs'

import {EvtError} from '../errors.js'
import type {SchemaRegistry, StoredSchema} from '../registry/schema-registry.js'
import {referencedTexts} from '../registry/references.js'
import {loadProtobufjs, nestedMessages, parseProtobuf, topLevelMessages} from '../schema/protobuf-schema.js'
import type {SchemaCodec} from './schema-codec.js'
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
      return type.toObject(message, {bytes: String, defaults: true, enums: String, longs: String})
    },
    encode(value) {
      const type = topLevel[0]
      const message = withJsonForms(type, value) as Record<string, unknown>
      const problem = type.verify(message)
      if (problem) throw new EvtError('SCHEMA_INVALID', problem)
      return Buffer.concat([Buffer.from([0]), Buffer.from(type.encode(type.fromObject(message)).finish())])
    },
    recordName: topLevel[0].fullName.replace(/^\./, ''),
    // Kinds of the first message, the one a payload names in the common case (indexes [0]).
    valueKind: (steps) => protobufValueKind(topLevel[0], steps),
  }
}

/** What protobufjs's util.Long (the `long` package) offers and its typing leaves out. */
interface LongStatics {
  fromString(text: string, unsigned: boolean): {toString(): string}
}

/**
 * `value` with the JSON forms that protobufjs's verify refuses but the decoder writes (so that
 * what `topic tail --json` printed can be produced again) and Confluent's JSON mapping reads:
 * 64-bit integers as decimal strings, enums by name. Anything else is left for verify to name.
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
      if (resolvedType instanceof protobuf.Type) return withJsonForms(resolvedType, item)
      if (typeof item !== 'string') return item
      if (resolvedType instanceof protobuf.Enum) return Object.hasOwn(resolvedType.values, item) ? resolvedType.values[item] : item
      if (!field.long || !/^-?\d+$/.test(item)) return item
      const long = (protobuf.util.Long as unknown as LongStatics).fromString(item, /^(uint64|fixed64)$/.test(field.type))
      // Out of range, Long wraps around: left as text, verify then names the field.
      return long.toString() === item.replace(/^(-?)0+(?=\d)/, '$1') ? long : item
    }

    if (field.map) message[field.name] = typeof given === 'object' && !Array.isArray(given) ? Object.fromEntries(Object.entries(given).map(([key, item]) => [key, convert(item)])) : given
    else if (field.repeated) message[field.name] = Array.isArray(given) ? given.map(convert) : given
    else message[field.name] = convert(given)
  }

  return message
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
