import {UsageError} from '../errors.js'

/** An Avro schema with named references resolved: what the compatibility rules walk over. */
export type AvroNode =
  | {fields: AvroField[]; fullName: string; kind: 'record'; names: string[]}
  | {default?: string; fullName: string; kind: 'enum'; names: string[]; symbols: string[]}
  | {fullName: string; kind: 'fixed'; names: string[]; size: number}
  | {items: AvroNode; kind: 'array'}
  | {kind: 'map'; values: AvroNode}
  | {branches: AvroNode[]; kind: 'union'}
  | {kind: 'primitive'; type: AvroPrimitive}

export interface AvroField {
  aliases: string[]
  hasDefault: boolean
  /** The default as written in the schema (for `schema diff`). */
  defaultValue?: unknown
  name: string
  type: AvroNode
}

export type AvroPrimitive = 'boolean' | 'bytes' | 'double' | 'float' | 'int' | 'long' | 'null' | 'string'
const PRIMITIVES = new Set<string>(['boolean', 'bytes', 'double', 'float', 'int', 'long', 'null', 'string'])

type Json = Record<string, unknown>

/**
 * Parses Avro JSON into nodes. Named types may be defined once and referred to by name later, in
 * this schema or in `referenced` schemas (schema references), so names are resolved lazily and
 * recursive types are allowed.
 */
export function parseAvro(schema: string, referenced: string[] = []): AvroNode {
  const named = new Map<string, AvroNode>()
  for (const text of referenced) toNode(parseJson(text), '', named)
  return toNode(parseJson(schema), '', named)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UsageError(`not valid Avro JSON: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
  }
}

function fullNameOf(definition: Json, namespace: string): {fullName: string; namespace: string} {
  const name = String(definition.name ?? '')
  if (!name) throw new UsageError(`an Avro ${definition.type} needs a name`, {code: 'SCHEMA_INVALID'})
  if (name.includes('.')) return {fullName: name, namespace: name.slice(0, name.lastIndexOf('.'))}
  const ns = typeof definition.namespace === 'string' ? definition.namespace : namespace
  return {fullName: ns ? `${ns}.${name}` : name, namespace: ns}
}

function aliasNames(definition: Json, namespace: string): string[] {
  const aliases = Array.isArray(definition.aliases) ? (definition.aliases as string[]) : []
  return aliases.map((alias) => (alias.includes('.') || !namespace ? alias : `${namespace}.${alias}`))
}

function toNode(schema: unknown, namespace: string, named: Map<string, AvroNode>): AvroNode {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return {kind: 'primitive', type: schema as AvroPrimitive}
    const found = named.get(schema) ?? named.get(namespace ? `${namespace}.${schema}` : schema)
    if (!found) throw new UsageError(`unknown Avro type '${schema}' (define it first, or add a schema reference)`, {code: 'SCHEMA_INVALID'})
    return found
  }

  if (Array.isArray(schema)) return {branches: schema.map((branch) => toNode(branch, namespace, named)), kind: 'union'}
  if (!schema || typeof schema !== 'object') throw new UsageError(`not an Avro schema: ${JSON.stringify(schema)}`, {code: 'SCHEMA_INVALID'})
  const definition = schema as Json
  const type = definition.type
  if (typeof type !== 'string') return toNode(type, namespace, named)

  switch (type) {
    case 'record':
    case 'error': {
      const {fullName, namespace: ns} = fullNameOf(definition, namespace)
      // Registered before its fields are read, so a field may refer to the record itself.
      const node: AvroNode = {fields: [], fullName, kind: 'record', names: [fullName, ...aliasNames(definition, ns)]}
      named.set(fullName, node)
      if (!Array.isArray(definition.fields)) throw new UsageError(`record ${fullName} needs a fields list`, {code: 'SCHEMA_INVALID'})
      for (const field of definition.fields as Json[]) {
        node.fields.push({
          aliases: Array.isArray(field.aliases) ? (field.aliases as string[]) : [],
          defaultValue: field.default,
          hasDefault: 'default' in field,
          name: String(field.name),
          type: toNode(field.type, ns, named),
        })
      }

      return node
    }

    case 'enum': {
      const {fullName, namespace: ns} = fullNameOf(definition, namespace)
      const node: AvroNode = {
        default: typeof definition.default === 'string' ? definition.default : undefined,
        fullName,
        kind: 'enum',
        names: [fullName, ...aliasNames(definition, ns)],
        symbols: (definition.symbols as string[]) ?? [],
      }
      named.set(fullName, node)
      return node
    }

    case 'fixed': {
      const {fullName, namespace: ns} = fullNameOf(definition, namespace)
      const node: AvroNode = {fullName, kind: 'fixed', names: [fullName, ...aliasNames(definition, ns)], size: Number(definition.size)}
      named.set(fullName, node)
      return node
    }

    case 'array': {
      return {items: toNode(definition.items, namespace, named), kind: 'array'}
    }

    case 'map': {
      return {kind: 'map', values: toNode(definition.values, namespace, named)}
    }

    default: {
      // A primitive written as {"type": "long", "logicalType": ...}: logical types do not change resolution.
      return toNode(type, namespace, named)
    }
  }
}

/** A short name for messages: `long`, `retail.Order`, `array<string>`, `[null, string]`. */
export function describeAvro(node: AvroNode): string {
  switch (node.kind) {
    case 'primitive': {
      return node.type
    }

    case 'array': {
      return `array<${describeAvro(node.items)}>`
    }

    case 'map': {
      return `map<${describeAvro(node.values)}>`
    }

    case 'union': {
      return `[${node.branches.map((branch) => describeAvro(branch)).join(', ')}]`
    }

    default: {
      return node.fullName
    }
  }
}
