import type {Type as AvroType} from 'avsc'
import type {Enum, Field, MapField, Type as ProtobufType} from 'protobufjs'

import type {ValueStep} from '../util/value-path.js'
import {wellKnownJsonType, wellKnownKind} from './protobuf-well-known-json.js'

/**
 * What a schema says a value path reaches once a payload is decoded as evt decodes it: the JSON
 * shape, plus the logical types a database has a type for. Undefined when the schema does not say
 * one thing (a union of different kinds, a path the schema does not declare).
 */
export type ValueKind = 'boolean' | 'date' | 'decimal' | 'integer' | 'json' | 'number' | 'text' | 'timestamp'

const AVRO_KINDS: Record<string, ValueKind> = {
  array: 'json',
  boolean: 'boolean',
  // Bytes and fixed are shown as base64 text (JSON has no bytes).
  bytes: 'text',
  double: 'number',
  enum: 'text',
  fixed: 'text',
  float: 'number',
  int: 'integer',
  'logical:date': 'date',
  'logical:decimal': 'decimal',
  'logical:timestamp-micros': 'timestamp',
  'logical:timestamp-millis': 'timestamp',
  long: 'integer',
  map: 'json',
  record: 'json',
  string: 'text',
  // Ambiguous unions decode wrapped: {"branch": value}.
  'union:wrapped': 'json',
}

interface AvroTypeShape {
  fields?: {name: string; type: AvroTypeShape}[]
  itemsType?: AvroTypeShape
  typeName: string
  types?: AvroTypeShape[]
  underlyingType?: AvroTypeShape
  valuesType?: AvroTypeShape
}

/** The kind of value `steps` reaches in records decoded with an Avro type. */
export function avroValueKind(type: AvroType, steps: readonly ValueStep[]): undefined | ValueKind {
  let current: AvroTypeShape[] = [type as unknown as AvroTypeShape]
  for (const step of steps) {
    current = current.flatMap(avroBranches).flatMap((node): AvroTypeShape[] => {
      if ('key' in step) {
        if (node.typeName === 'record') return node.fields!.filter((field) => field.name === step.key).map((field) => field.type)
        return node.typeName === 'map' ? [node.valuesType!] : []
      }

      return node.typeName === 'array' ? [node.itemsType!] : []
    })
  }

  return oneKind(current.flatMap(avroBranches).map((node) => AVRO_KINDS[node.typeName] ?? fromUnderlying(node)))
}

/** An unwrapped union stands for its branches (null only ever gives NULL, so it says nothing). */
function avroBranches(node: AvroTypeShape): AvroTypeShape[] {
  if (node.typeName === 'union:unwrapped') return node.types!.filter((branch) => branch.typeName !== 'null')
  return node.typeName === 'null' ? [] : [node]
}

/** A logical type evt does not decode specially (time-millis, uuid…) is its underlying type. */
function fromUnderlying(node: AvroTypeShape): undefined | ValueKind {
  return node.underlyingType ? AVRO_KINDS[node.underlyingType.typeName] : undefined
}

type JsonSchemaNode = boolean | Record<string, unknown>

/** The kind of value `steps` reaches in JSON values valid for a JSON Schema (local $refs followed). */
export function jsonSchemaValueKind(root: unknown, steps: readonly ValueStep[]): undefined | ValueKind {
  let current = jsonAlternatives(root, root as JsonSchemaNode)
  for (const step of steps) {
    current = current.flatMap((node) => jsonAlternatives(root, jsonChild(node, step)))
  }

  return oneKind(current.map(jsonKind))
}

function jsonChild(node: Record<string, unknown>, step: ValueStep): JsonSchemaNode | undefined {
  if ('key' in step) {
    const properties = node.properties as Record<string, JsonSchemaNode> | undefined
    if (properties && step.key in properties) return properties[step.key]
    return typeof node.additionalProperties === 'object' ? (node.additionalProperties as JsonSchemaNode) : undefined
  }

  const prefix = (Array.isArray(node.prefixItems) ? node.prefixItems : Array.isArray(node.items) ? node.items : undefined) as JsonSchemaNode[] | undefined
  if ('index' in step && prefix && step.index < prefix.length) return prefix[step.index]
  if (prefix) return undefined
  return typeof node.items === 'object' ? (node.items as JsonSchemaNode) : undefined
}

/** A schema node as the object schemas it may be: a local $ref followed, anyOf/oneOf as their branches, allOf's typed branches. */
function jsonAlternatives(root: unknown, node: JsonSchemaNode | undefined, depth = 0): Record<string, unknown>[] {
  if (node === undefined || typeof node !== 'object' || node === null || depth > 32) return []
  if (typeof node.$ref === 'string') return jsonAlternatives(root, resolvePointer(root, node.$ref), depth + 1)
  for (const combiner of ['anyOf', 'oneOf']) {
    const branches = node[combiner]
    if (Array.isArray(branches) && node.type === undefined) return branches.flatMap((branch) => jsonAlternatives(root, branch as JsonSchemaNode, depth + 1))
  }

  if (Array.isArray(node.allOf) && node.type === undefined && node.properties === undefined) {
    return node.allOf.flatMap((branch) => jsonAlternatives(root, branch as JsonSchemaNode, depth + 1)).filter((branch) => branch.type !== undefined || branch.properties !== undefined)
  }

  return [node]
}

function resolvePointer(root: unknown, ref: string): JsonSchemaNode | undefined {
  if (!ref.startsWith('#')) return undefined
  let node: unknown = root
  for (const part of ref.slice(1).split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')]
  }

  return node as JsonSchemaNode | undefined
}

const JSON_KINDS: Record<string, ValueKind> = {array: 'json', boolean: 'boolean', integer: 'integer', number: 'number', object: 'json', string: 'text'}

/** `type` as one kind, null dropped; a schema without a type may hold anything. */
function jsonKind(node: Record<string, unknown>): undefined | ValueKind {
  const types = (Array.isArray(node.type) ? node.type : [node.type]).filter((type) => type !== 'null')
  if (types.length === 0 && node.properties !== undefined) return 'json'
  // integer and number together are numbers.
  if (types.length === 2 && types.includes('integer') && types.includes('number')) return 'number'
  return types.length === 1 ? JSON_KINDS[String(types[0])] : undefined
}

const PROTOBUF_KINDS: Record<string, ValueKind> = {
  bool: 'boolean',
  // Shown as base64 text.
  bytes: 'text',
  double: 'number',
  fixed32: 'integer',
  // 64-bit integers are shown as decimal strings (JSON has no 64-bit integers); still integers.
  fixed64: 'integer',
  float: 'number',
  int32: 'integer',
  int64: 'integer',
  sfixed32: 'integer',
  sfixed64: 'integer',
  sint32: 'integer',
  sint64: 'integer',
  string: 'text',
  uint32: 'integer',
  uint64: 'integer',
}

/** Where a path has got to in a message: a field, or one element (entry) of a repeated (map) field. */
type ProtobufNode = {element: boolean; field: Field}

/** The kind of value `steps` reaches in messages of a Protobuf type, as evt decodes them (enums by name). */
export function protobufValueKind(type: ProtobufType, steps: readonly ValueStep[]): undefined | ValueKind {
  if (steps.length === 0) return 'json'
  let node: ProtobufNode | undefined
  for (const step of steps) {
    if (node && !node.element && isCollection(node.field)) {
      // A map's entries by key; a repeated field's elements by index or [*].
      const byKey = isMap(node.field)
      node = byKey === 'key' in step ? {element: true, field: node.field} : undefined
    } else {
      const message = node ? node.field.resolvedType : type
      // Inside a well-known type's JSON form (a Struct's keys) the message's fields are not the path's steps.
      if (message && wellKnownJsonType(message.fullName)) return undefined
      const field = message && 'fields' in message && 'key' in step ? message.fields[step.key] : undefined
      node = field ? {element: false, field} : undefined
    }

    if (!node) return undefined
  }

  const {element, field} = node!
  if (!element && isCollection(field)) return 'json'
  const resolved = field.resolvedType as Enum | null | ProtobufType
  const wellKnown = resolved && wellKnownJsonType(resolved.fullName)
  if (wellKnown) return wellKnownKind(wellKnown)
  if (resolved) return 'values' in resolved ? 'text' : 'json'
  return PROTOBUF_KINDS[field.type]
}

function isCollection(field: Field): boolean {
  return field.repeated || isMap(field)
}

/** One kind when every alternative agrees (integers and numbers agree as numbers), else undefined. */
function oneKind(kinds: (undefined | ValueKind)[]): undefined | ValueKind {
  if (kinds.length === 0 || kinds.includes(undefined)) return undefined
  const distinct = new Set(kinds)
  if (distinct.size === 2 && distinct.has('integer') && distinct.has('number')) return 'number'
  return distinct.size === 1 ? kinds[0] : undefined
}

function isMap(field: Field): boolean {
  return (field as unknown as MapField).map === true
}
