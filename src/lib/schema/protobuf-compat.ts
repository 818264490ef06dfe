import {createRequire} from 'node:module'

import {UsageError} from '../errors.js'
import type {Incompatibility, ReadRoles} from './avro-compat.js'

interface ProtoField {
  id: number
  name: string
  repeated: boolean
  type: string
}

interface ProtoMessage {
  fields: ProtoField[]
  fullName: string
  reserved: (number | string | [number, number])[]
}

const require = createRequire(import.meta.url)

/** Scalar types that share a wire encoding and so read each other's bytes (Protobuf's language guide). */
const WIRE_GROUPS = [
  ['int32', 'uint32', 'int64', 'uint64', 'bool'],
  ['sint32', 'sint64'],
  ['fixed32', 'sfixed32'],
  ['fixed64', 'sfixed64'],
  ['string', 'bytes'],
]
const SCALARS = new Set(['double', 'float', ...WIRE_GROUPS.flat()])

/** Parses .proto text into its messages (nested ones included), by full name. */
export function parseProto(text: string): Map<string, ProtoMessage> {
  const protobuf = require('protobufjs') as typeof import('protobufjs')
  let root: import('protobufjs').Root
  try {
    root = protobuf.parse(text, {keepCase: true}).root
  } catch (error) {
    throw new UsageError(`not a valid .proto file: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
  }

  const messages = new Map<string, ProtoMessage>()
  const visit = (namespace: import('protobufjs').NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) {
        messages.set(nested.fullName.replace(/^\./, ''), {
          fields: nested.fieldsArray.map((field) => ({id: field.id, name: field.name, repeated: field.repeated, type: field.type})),
          fullName: nested.fullName.replace(/^\./, ''),
          reserved: (nested.reserved ?? []) as ProtoMessage['reserved'],
        })
      }

      if ('nestedArray' in nested) visit(nested as import('protobufjs').NamespaceBase)
    }
  }

  visit(root)
  return messages
}

function wireCompatible(a: string, b: string): boolean {
  if (a === b) return true
  if (!SCALARS.has(a) || !SCALARS.has(b)) return false
  return WIRE_GROUPS.some((group) => group.includes(a) && group.includes(b))
}

function isReserved(message: ProtoMessage, field: ProtoField): boolean {
  return message.reserved.some((entry) =>
    typeof entry === 'string' ? entry === field.name : Array.isArray(entry) ? field.id >= entry[0] && field.id <= entry[1] : entry === field.id,
  )
}

/**
 * Protobuf compatibility by field number, as the wire sees it: a number whose type changed to one
 * with another wire encoding, a number reused, a field removed without reserving its number (so a
 * later field could reuse it), singular ↔ repeated, a message removed.
 */
export function protobufReadIssues(readerText: string, writerText: string, roles: ReadRoles): Incompatibility[] {
  const [oldText, newText] = roles.readerIsNew ? [writerText, readerText] : [readerText, writerText]
  const before = parseProto(oldText)
  const after = parseProto(newText)
  const written = roles.readerIsNew ? `written by ${roles.writer}` : `written with ${roles.writer}`
  const issues: Incompatibility[] = []

  for (const [name, oldMessage] of before) {
    const newMessage = after.get(name)
    if (!newMessage) {
      issues.push({change: `message ${name} removed`, path: name, reason: `a reader on ${roles.reader} ${roles.readerIsNew ? 'no longer knows' : 'expects'} ${name}, ${written}`})
      continue
    }

    const newFields = new Map(newMessage.fields.map((field) => [field.id, field] as const))
    for (const oldField of oldMessage.fields) {
      const path = `${name}.${oldField.name}`
      const newField = newFields.get(oldField.id)
      if (!newField) {
        if (!isReserved(newMessage, oldField)) {
          issues.push({
            change: `field '${path}' (#${oldField.id}) removed without reserving its number`,
            path,
            reason: `a later field could reuse #${oldField.id} and misread data ${roles.readerIsNew ? written : 'written before'}; add \`reserved ${oldField.id};\``,
          })
        }

        continue
      }

      if (!wireCompatible(oldField.type, newField.type)) {
        issues.push({
          change: `field #${oldField.id} of ${name} changed ${oldField.type} ${oldField.name} → ${newField.type} ${newField.name}`,
          path,
          reason: `a reader on ${roles.reader} cannot read field #${oldField.id} ${written}: the types have different wire encodings`,
        })
      } else if (oldField.repeated !== newField.repeated) {
        issues.push({
          change: `field '${path}' (#${oldField.id}) changed ${oldField.repeated ? 'repeated → singular' : 'singular → repeated'}`,
          path,
          reason: `a reader on ${roles.reader} reads #${oldField.id} ${written} with a different cardinality`,
        })
      }
    }
  }

  return issues
}
