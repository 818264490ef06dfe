import {UsageError} from '../errors.js'
import type {Incompatibility, ReadRoles} from './avro-compat.js'

type Json = Record<string, unknown>
/** A reader schema, a writer schema and the property path they are at. */
type Pair = [unknown, unknown, string]

/**
 * JSON Schema compatibility as a reader/writer question: every document the writer's schema
 * accepts must be accepted by the reader's. Covers the common rules: type narrowing and widening
 * (integer ⊂ number), properties becoming required, open and closed content models
 * (additionalProperties), enums, numeric and length bounds, array items and local $refs.
 */
export function jsonSchemaReadIssues(readerText: string, writerText: string, roles: ReadRoles): Incompatibility[] {
  const readerRoot = JSON.parse(readerText) as Json
  const writerRoot = JSON.parse(writerText) as Json
  const issues: Incompatibility[] = []
  const written = roles.readerIsNew ? `written by ${roles.writer}` : `written with ${roles.writer}`
  const where = (path: string) => (path ? `property '${path}'` : 'the document')

  /** Follows local $refs to the schema they name, however long the chain; a chain that loops is an error. */
  const resolve = (schema: unknown, root: Json): Json => {
    let current = (schema ?? {}) as Json
    const seen = new Set<Json>()
    while (typeof current.$ref === 'string' && (current.$ref === '#' || current.$ref.startsWith('#/'))) {
      if (seen.has(current)) throw new UsageError(`the JSON Schema's $ref '${current.$ref}' refers to itself through other $refs: the compatibility check is incomplete`, {code: 'SCHEMA_INVALID'})
      seen.add(current)
      const target = current.$ref
        .slice(1)
        .split('/')
        .slice(1)
        .reduce<unknown>((node, key) => (node as Json | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], root)
      if (target === undefined || target === null || typeof target !== 'object') {
        throw new UsageError(`the JSON Schema's $ref '${current.$ref}' names nothing in the schema: the compatibility check is incomplete`, {code: 'SCHEMA_INVALID'})
      }

      current = target as Json
    }

    return current
  }

  const typesOf = (schema: Json): Set<string> | undefined => {
    if (schema.type === undefined) return undefined
    return new Set(Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string])
  }

  const change = (path: string, what: string, reason: string) => issues.push({change: `${where(path)} ${what}`, path, reason})

  /**
   * Compares one reader/writer pair and yields the pairs beneath it instead of recursing, so the
   * driver below walks schemas of any depth on the heap, in the same order a recursion would.
   * A pair already compared (a shared or recursive $ref) is not compared again.
   */
  const compared = new Map<Json, Set<Json>>()
  function* compare(readerSchema: unknown, writerSchema: unknown, path: string): Generator<Pair, void, undefined> {
    const reader = resolve(readerSchema, readerRoot)
    const writer = resolve(writerSchema, writerRoot)
    if (reader === writer) return
    const done = compared.get(reader) ?? new Set<Json>()
    if (done.has(writer)) return
    done.add(writer)
    compared.set(reader, done)

    const readerTypes = typesOf(reader)
    const writerTypes = typesOf(writer)
    if (readerTypes) {
      const accepts = (type: string) => readerTypes.has(type) || (type === 'integer' && readerTypes.has('number'))
      const lost = writerTypes ? [...writerTypes].filter((type) => !accepts(type)) : ['any type']
      if (lost.length > 0) {
        const [before, after] = roles.readerIsNew ? [describe(writerTypes), describe(readerTypes)] : [describe(readerTypes), describe(writerTypes)]
        change(path, `changed type ${before} → ${after}`, `a reader on ${describe(readerTypes)} rejects ${lost.join(', ')} values ${written}`)
        return
      }
    }

    if (Array.isArray(reader.enum)) {
      const allowed = new Set(reader.enum.map((value) => JSON.stringify(value)))
      const extra = Array.isArray(writer.enum) ? writer.enum.filter((value) => !allowed.has(JSON.stringify(value))) : ['any value']
      if (extra.length > 0) change(path, `enum ${roles.readerIsNew ? 'lost' : 'gained'} ${extra.map((v) => JSON.stringify(v)).join(', ')}`, `a reader on ${roles.reader} rejects those values ${written}`)
    }

    for (const [bound, tighter] of [
      ['maximum', (r: number, w: number) => r < w],
      ['exclusiveMaximum', (r: number, w: number) => r < w],
      ['maxLength', (r: number, w: number) => r < w],
      ['maxItems', (r: number, w: number) => r < w],
      ['minimum', (r: number, w: number) => r > w],
      ['exclusiveMinimum', (r: number, w: number) => r > w],
      ['minLength', (r: number, w: number) => r > w],
      ['minItems', (r: number, w: number) => r > w],
    ] as const) {
      const readerBound = reader[bound]
      if (typeof readerBound !== 'number') continue
      const writerBound = writer[bound]
      if (typeof writerBound !== 'number' || tighter(readerBound, writerBound)) {
        change(path, `${bound} narrowed ${writerBound ?? 'unbounded'} → ${readerBound}`, `a reader on ${roles.reader} rejects values ${written} beyond ${readerBound}`)
      }
    }

    if (reader.items !== undefined && writer.items !== undefined) yield [reader.items, writer.items, `${path}[]`]

    const readerProps = (reader.properties ?? {}) as Json
    const writerProps = (writer.properties ?? {}) as Json
    const readerRequired = new Set((reader.required as string[] | undefined) ?? [])
    const writerRequired = new Set((writer.required as string[] | undefined) ?? [])
    const readerClosed = reader.additionalProperties === false
    const writerClosed = writer.additionalProperties === false
    const child = (name: string) => (path ? `${path}.${name}` : name)

    for (const name of readerRequired) {
      if (!writerRequired.has(name)) {
        change(
          child(name),
          roles.readerIsNew ? 'became required' : 'is no longer required',
          `a reader on ${roles.reader} requires it, but documents ${written} may lack it`,
        )
      }
    }

    for (const name of Object.keys(writerProps)) {
      if (name in readerProps) yield [readerProps[name], writerProps[name], child(name)]
      else if (readerClosed) {
        change(child(name), roles.readerIsNew ? 'was removed from a closed content model' : 'was added, but the old content model is closed', `a reader on ${roles.reader} (additionalProperties: false) rejects documents ${written} that carry it`)
      }
    }

    if (readerClosed && !writerClosed) {
      change(path, roles.readerIsNew ? 'closed its content model (additionalProperties: false)' : 'opened its content model', `a reader on ${roles.reader} rejects unknown properties that documents ${written} may carry`)
    }

    if (!writerClosed) {
      for (const name of Object.keys(readerProps).filter((n) => !(n in writerProps))) {
        const constrained = Object.keys(resolve(readerProps[name], readerRoot)).length > 0
        if (constrained) {
          change(
            child(name),
            roles.readerIsNew ? 'was added to an open content model' : 'was removed from an open content model',
            `documents ${written} may carry '${name}' with any value, which a reader on ${roles.reader} may reject`,
          )
        }
      }
    }
  }

  const stack = [compare(readerRoot, writerRoot, '')]
  while (stack.length > 0) {
    const next = stack.at(-1)!.next()
    if (next.done) stack.pop()
    else stack.push(compare(...next.value))
  }

  return issues
}

function describe(types: Set<string> | undefined): string {
  if (!types) return 'any'
  return [...types].join('|')
}
