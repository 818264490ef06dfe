import type {Incompatibility, ReadRoles} from './avro-compat.js'

type Json = Record<string, unknown>

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

  const resolve = (schema: unknown, root: Json): Json => {
    let current = (schema ?? {}) as Json
    for (let depth = 0; typeof current.$ref === 'string' && current.$ref.startsWith('#/') && depth < 32; depth++) {
      current = current.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Json | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], root) as Json
    }

    return current ?? {}
  }

  const typesOf = (schema: Json): Set<string> | undefined => {
    if (schema.type === undefined) return undefined
    return new Set(Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string])
  }

  const change = (path: string, what: string, reason: string) => issues.push({change: `${where(path)} ${what}`, path, reason})

  const compare = (readerSchema: unknown, writerSchema: unknown, path: string, depth: number): void => {
    if (depth > 64) return
    const reader = resolve(readerSchema, readerRoot)
    const writer = resolve(writerSchema, writerRoot)
    if (reader === writer) return

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
      const allowed = reader.enum.map((value) => JSON.stringify(value))
      const extra = Array.isArray(writer.enum) ? writer.enum.filter((value) => !allowed.includes(JSON.stringify(value))) : ['any value']
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

    if (reader.items !== undefined && writer.items !== undefined) compare(reader.items, writer.items, `${path}[]`, depth + 1)

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
      if (name in readerProps) compare(readerProps[name], writerProps[name], child(name), depth + 1)
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

  compare(readerRoot, writerRoot, '', 0)
  return issues
}

function describe(types: Set<string> | undefined): string {
  if (!types) return 'any'
  return [...types].join('|')
}
