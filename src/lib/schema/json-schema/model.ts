import {UsageError} from '../../errors.js'

/** A JSON Schema object (boolean schemas are kept as `true` / `false`). */
export type Json = Record<string, unknown>
export type Schema = boolean | Json

/** A schema and the document it is in: its local $refs resolve against that document. */
export interface SchemaNode {
  root: Json
  schema: Schema
}

export const COMBINERS = ['allOf', 'anyOf', 'oneOf'] as const
export type Combiner = (typeof COMBINERS)[number]

/** Keywords that annotate or hold definitions but accept or reject nothing by themselves. */
const ANNOTATIONS = new Set([
  '$anchor',
  '$comment',
  '$defs',
  '$id',
  '$schema',
  '$vocabulary',
  'contentEncoding',
  'contentMediaType',
  'default',
  'definitions',
  'deprecated',
  'description',
  'examples',
  'id',
  'readOnly',
  'title',
  'writeOnly',
])

/** Keywords that, without a `type`, imply one (as Confluent's everit loader reads them). */
const IMPLIED_TYPES: [string, string[]][] = [
  ['object', ['properties', 'required', 'additionalProperties', 'patternProperties', 'minProperties', 'maxProperties', 'dependencies', 'dependentRequired', 'dependentSchemas', 'propertyNames', 'unevaluatedProperties']],
  ['array', ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'contains', 'minContains', 'maxContains', 'unevaluatedItems']],
  ['string', ['minLength', 'maxLength', 'pattern']],
  ['number', ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']],
]

/** The schema every shared "accepts anything" node stands for: one object, so compared pairs stay memoisable. */
export const ANYTHING: Json = Object.freeze({}) as Json

/** Whether a schema accepts every value: `true`, `{}`, or only annotations. */
export function acceptsAnything(schema: unknown): boolean {
  if (schema === true) return true
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return false
  return Object.keys(schema).every((key) => ANNOTATIONS.has(key))
}

/** Whether a schema holds only a combiner (allOf, anyOf or oneOf) and annotations. */
export function onlyCombines(schema: Json): boolean {
  return Object.keys(schema).every((key) => ANNOTATIONS.has(key) || (COMBINERS as readonly string[]).includes(key))
}

export function combinersOf(schema: Json): Combiner[] {
  return COMBINERS.filter((keyword) => Array.isArray(schema[keyword]))
}

/** Whether a $ref names a place in the same document (the only kind evt can follow). */
export function isLocalRef(ref: unknown): ref is string {
  return typeof ref === 'string' && (ref === '#' || ref.startsWith('#/'))
}

/** Follows local $refs to the schema they name, however long the chain; a chain that loops is an error. */
export function resolve(node: SchemaNode): SchemaNode {
  let current = node.schema
  const seen = new Set<Json>()
  while (typeof current === 'object' && isLocalRef(current.$ref)) {
    if (seen.has(current)) throw new UsageError(`the JSON Schema's $ref '${current.$ref}' refers to itself through other $refs: the compatibility check is incomplete`, {code: 'SCHEMA_INVALID'})
    seen.add(current)
    const target = current.$ref
      .slice(1)
      .split('/')
      .slice(1)
      .reduce<unknown>((at, key) => (at as Json | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], node.root)
    if (typeof target !== 'boolean' && (target === undefined || target === null || typeof target !== 'object')) {
      throw new UsageError(`the JSON Schema's $ref '${current.$ref}' names nothing in the schema: the compatibility check is incomplete`, {code: 'SCHEMA_INVALID'})
    }

    current = target as Schema
  }

  return {root: node.root, schema: current}
}

/** The types a schema admits: its `type`, else the one its keywords imply, else undefined (any). */
export function typesOf(schema: Json): Set<string> | undefined {
  if (schema.type !== undefined) return new Set(Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string])
  const implied = IMPLIED_TYPES.filter(([, keywords]) => keywords.some((keyword) => keyword in schema))
  return implied.length === 1 ? new Set([implied[0][0]]) : undefined
}

export function describeTypes(types: Set<string> | undefined): string {
  return types ? [...types].join('|') : 'any'
}

/**
 * Where properties no `properties` entry names end up, as Confluent reads a content model:
 * 'open' (no patternProperties, and additionalProperties and unevaluatedProperties absent or
 * true), a schema (the first patternProperties match, else the additionalProperties schema, else
 * an unevaluatedProperties schema), or 'closed'.
 */
export type Cover = 'closed' | 'open' | {label: string; schema: Schema}

export function propertyCover(schema: Json, name: string, patterns: (source: string) => RegExp): Cover {
  const patternProperties = (schema.patternProperties ?? {}) as Json
  const additional = schema.additionalProperties
  const unevaluated = schema.unevaluatedProperties
  if (Object.keys(patternProperties).length === 0 && isOpenEnd(additional) && isOpenEnd(unevaluated)) return 'open'
  for (const [source, patternSchema] of Object.entries(patternProperties)) {
    if (patterns(source).test(name)) return {label: `patternProperties '${source}'`, schema: patternSchema as Schema}
  }

  return coverOfRest(additional, 'additionalProperties', unevaluated, 'unevaluatedProperties')
}

/** The same for array items past a tuple (prefixItems / array-form items). */
export function itemCover(items: ArrayItems): Cover {
  if (isOpenEnd(items.rest) && isOpenEnd(items.unevaluated)) return 'open'
  return coverOfRest(items.rest, items.restKeyword, items.unevaluated, 'unevaluatedItems')
}

function coverOfRest(rest: unknown, restLabel: string, unevaluated: unknown, unevaluatedLabel: string): Cover {
  if (isSchemaEnd(rest)) return {label: restLabel, schema: rest as Schema}
  if (rest !== false && isSchemaEnd(unevaluated)) return {label: unevaluatedLabel, schema: unevaluated as Schema}
  return 'closed'
}

/** An additionalProperties-like keyword that lets anything through: absent, true or {}. */
export function isOpenEnd(value: unknown): boolean {
  return value === undefined || acceptsAnything(value)
}

/** An additionalProperties-like keyword holding a schema that constrains. */
export function isSchemaEnd(value: unknown): boolean {
  return value !== undefined && value !== false && !acceptsAnything(value)
}

/** An array schema's items, in either draft's spelling: a tuple, the schema of the items after it (or of all), and unevaluatedItems. */
export interface ArrayItems {
  rest: unknown
  restKeyword: string
  tuple: Schema[] | undefined
  unevaluated: unknown
}

export function arrayItems(schema: Json): ArrayItems {
  if (Array.isArray(schema.prefixItems)) return {rest: schema.items, restKeyword: 'items', tuple: schema.prefixItems as Schema[], unevaluated: schema.unevaluatedItems}
  if (Array.isArray(schema.items)) return {rest: schema.additionalItems, restKeyword: 'additionalItems', tuple: schema.items as Schema[], unevaluated: schema.unevaluatedItems}
  return {rest: schema.items, restKeyword: 'items', tuple: undefined, unevaluated: schema.unevaluatedItems}
}

/** Property dependencies (`dependencies` arrays and `dependentRequired`): property → the properties it requires. */
export function propertyDependencies(schema: Json): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>()
  for (const source of [schema.dependencies, schema.dependentRequired]) {
    for (const [name, value] of Object.entries((source ?? {}) as Json)) {
      if (Array.isArray(value)) found.set(name, new Set(value as string[]))
    }
  }

  return found
}

/** Schema dependencies (`dependencies` schemas and `dependentSchemas`): property → the schema the document must then match. */
export function schemaDependencies(schema: Json): Map<string, Schema> {
  const found = new Map<string, Schema>()
  for (const source of [schema.dependencies, schema.dependentSchemas]) {
    for (const [name, value] of Object.entries((source ?? {}) as Json)) {
      if (!Array.isArray(value) && (typeof value === 'boolean' || (typeof value === 'object' && value !== null))) found.set(name, value as Schema)
    }
  }

  return found
}

/** Whether a property's schema gives a default (Confluent lets such a property become required). */
export function hasDefault(node: SchemaNode): boolean {
  const own = node.schema
  if (typeof own === 'object' && 'default' in own) return true
  const target = resolve(node).schema
  return typeof target === 'object' && 'default' in target
}

/** Compiles patternProperties patterns once each; a pattern JavaScript cannot read is the schema's error. */
export function patternCache(): (source: string) => RegExp {
  const compiled = new Map<string, RegExp>()
  return (source) => {
    let pattern = compiled.get(source)
    if (!pattern) {
      try {
        pattern = new RegExp(source, 'u')
      } catch {
        throw new UsageError(`the JSON Schema's patternProperties pattern '${source}' is not a valid regular expression: the compatibility check is incomplete`, {code: 'SCHEMA_INVALID'})
      }

      compiled.set(source, pattern)
    }

    return pattern
  }
}

/**
 * JSON text of a value, like JSON.stringify but on a heap stack, so schemas nested deeper than the
 * call stack allows can be keyed (branch de-duplication, enum values, unanalysed keywords).
 */
export function jsonText(value: unknown): string {
  const parts: string[] = []
  const pending: unknown[] = [value]
  // A string on the stack that starts with RAW is emitted as is (punctuation and keys).
  const RAW = '\u0000'
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next === 'string' && next.startsWith(RAW)) {
      parts.push(next.slice(1))
    } else if (Array.isArray(next)) {
      pending.push(`${RAW}]`)
      for (let index = next.length - 1; index >= 0; index--) pending.push(next[index], ...(index > 0 ? [`${RAW},`] : []))
      pending.push(`${RAW}[`)
    } else if (next !== null && typeof next === 'object') {
      const entries = Object.entries(next)
      pending.push(`${RAW}}`)
      for (let index = entries.length - 1; index >= 0; index--) {
        pending.push(entries[index][1], `${RAW}${index > 0 ? ',' : ''}${JSON.stringify(entries[index][0])}:`)
      }

      pending.push(`${RAW}{`)
    } else {
      parts.push(JSON.stringify(next) ?? 'null')
    }
  }

  return parts.join('')
}

/**
 * Numbers JSON values by structure: equal values (keys in the same order, as JSON text would show)
 * get the same number. Each object is numbered once, bottom-up on a heap stack, so comparing every
 * branch of deeply nested combiners stays linear and never overflows the call stack.
 */
export function structureIds(): (value: unknown) => number {
  const interned = new Map<string, number>()
  const ids = new WeakMap<object, number>()
  const intern = (key: string) => {
    let id = interned.get(key)
    if (id === undefined) {
      id = interned.size
      interned.set(key, id)
    }

    return id
  }

  return (value) => {
    if (value === null || typeof value !== 'object') return intern(`=${JSON.stringify(value) ?? 'null'}`)
    const pending: [object, boolean][] = [[value, false]]
    while (pending.length > 0) {
      const [node, childrenDone] = pending.pop()!
      if (ids.has(node)) continue
      const children = Object.entries(node)
      if (!childrenDone) {
        pending.push([node, true])
        for (const [, child] of children) if (child !== null && typeof child === 'object' && !ids.has(child)) pending.push([child, false])
        continue
      }

      const idOf = (child: unknown) => (child !== null && typeof child === 'object' ? `#${ids.get(child)}` : `=${JSON.stringify(child) ?? 'null'}`)
      const key = Array.isArray(node) ? `[${node.map(idOf).join(',')}]` : `{${children.map(([name, child]) => `${JSON.stringify(name)}:${idOf(child)}`).join(',')}}`
      ids.set(node, intern(key))
    }

    return ids.get(value)!
  }
}
