import type {SchemaDefinition} from '../registry/schema-registry.js'
import {type AvroNode, describeAvro, parseAvro} from './avro-model.js'
import {parseProto} from './protobuf-compat.js'
import {compareText} from '../util/text-order.js'

export interface FieldChange {
  after?: string
  before?: string
  kind: 'added' | 'default changed' | 'removed' | 'type changed'
  path: string
}

interface FieldShape {
  default?: string
  type: string
}

/** Field-level differences between two schemas of the same format, by field path. */
export function diffSchemas(before: SchemaDefinition, after: SchemaDefinition, referenced: {after: string[]; before: string[]} = {after: [], before: []}): FieldChange[] {
  const flatten = (definition: SchemaDefinition, refs: string[]) => {
    if (definition.schemaType === 'AVRO') return avroFields(parseAvro(definition.schema, refs))
    if (definition.schemaType === 'JSON') return jsonFields(JSON.parse(definition.schema))
    return protoFields(definition.schema)
  }

  const old = flatten(before, referenced.before)
  const next = flatten(after, referenced.after)
  const changes: FieldChange[] = []
  for (const [path, shape] of old) {
    const now = next.get(path)
    if (!now) changes.push({before: shape.type, kind: 'removed', path})
    else if (now.type !== shape.type) changes.push({after: now.type, before: shape.type, kind: 'type changed', path})
    else if (now.default !== shape.default) changes.push({after: now.default ?? '(none)', before: shape.default ?? '(none)', kind: 'default changed', path})
  }

  for (const [path, shape] of next) if (!old.has(path)) changes.push({after: shape.type, kind: 'added', path})
  return changes.sort((a, b) => compareText(a.path, b.path))
}

function avroFields(root: AvroNode): Map<string, FieldShape> {
  const fields = new Map<string, FieldShape>()
  const seen = new Set<AvroNode>()
  const walk = (node: AvroNode, prefix: string) => {
    if (seen.has(node)) return
    if (node.kind === 'record') {
      seen.add(node)
      for (const field of node.fields) {
        const path = prefix ? `${prefix}.${field.name}` : field.name
        fields.set(path, {default: field.hasDefault ? JSON.stringify(field.defaultValue) : undefined, type: describeAvro(field.type)})
        walk(field.type, path)
      }

      seen.delete(node)
    } else if (node.kind === 'array') walk(node.items, `${prefix}[]`)
    else if (node.kind === 'map') walk(node.values, `${prefix}{}`)
    else if (node.kind === 'union') for (const branch of node.branches) walk(branch, prefix)
  }

  walk(root, '')
  return fields
}

function jsonFields(root: Record<string, unknown>): Map<string, FieldShape> {
  const fields = new Map<string, FieldShape>()
  const walk = (schema: Record<string, unknown>, prefix: string, depth: number) => {
    if (depth > 32) return
    const required = new Set((schema.required as string[] | undefined) ?? [])
    for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      const path = prefix ? `${prefix}.${name}` : name
      const type = `${JSON.stringify(child.type ?? child.$ref ?? 'any')}${required.has(name) ? ' (required)' : ''}`
      fields.set(path, {default: child.default === undefined ? undefined : JSON.stringify(child.default), type})
      walk(child, path, depth + 1)
      if (child.items && typeof child.items === 'object') walk(child.items as Record<string, unknown>, `${path}[]`, depth + 1)
    }
  }

  walk(root, '', 0)
  return fields
}

function protoFields(text: string): Map<string, FieldShape> {
  const fields = new Map<string, FieldShape>()
  for (const message of parseProto(text).values()) {
    for (const field of message.fields) fields.set(`${message.fullName}.${field.name}`, {type: `${field.repeated ? 'repeated ' : ''}${field.type} = ${field.id}`})
  }

  return fields
}
