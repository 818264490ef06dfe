import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {SCHEMA_TYPES, type SchemaDefinition, type SchemaType} from '../registry/schema-registry.js'
import {parseAvro} from './avro-model.js'
import {parseProto} from './protobuf-compat.js'

const TYPE_BY_EXTENSION: Record<string, SchemaType> = {'.avsc': 'AVRO', '.json': 'JSON', '.proto': 'PROTOBUF'}

export interface SchemaFile {
  definition: SchemaDefinition
  file: string
  /** Files of the same directory this one refers to, with the name the reference has in this schema. */
  requires: {file: SchemaFile; name: string}[]
  /** The file name without its extension: the subject for `--dir`. */
  subject: string
}

/** The schema type a file holds: `--type` if given, else its extension. */
export function schemaTypeOf(file: string, type?: string): SchemaType {
  if (type) {
    const upper = type.toUpperCase() as SchemaType
    if (!SCHEMA_TYPES.includes(upper)) throw new UsageError(`unknown schema type '${type}': use AVRO, JSON or PROTOBUF`)
    return upper
  }

  const found = TYPE_BY_EXTENSION[path.extname(file).toLowerCase()]
  if (!found) throw new UsageError(`cannot tell the schema type of ${file} from its extension`, {hint: 'name it .avsc, .json or .proto, or give --type'})
  return found
}

/** Reads and validates one schema file; a parse error names the file and, when known, the line. */
export function readSchemaFile(file: string, type?: string): SchemaFile {
  const schemaType = schemaTypeOf(file, type)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {code: 'FILE_NOT_FOUND'})
  }

  if (schemaType !== 'PROTOBUF') {
    try {
      JSON.parse(text)
    } catch (error) {
      throw new UsageError(`${file}${lineOf(text, error as Error)}: not valid JSON: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
    }
  }

  if (schemaType === 'PROTOBUF') {
    try {
      parseProto(text)
    } catch (error) {
      throw new UsageError(`${file}${protoLine(error as Error)}: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
    }
  }

  if (schemaType === 'AVRO') {
    try {
      parseAvro(text)
    } catch (error) {
      // A named type from another file is a schema reference, resolved with the directory or the registry.
      if (!(error as Error).message.startsWith('unknown Avro type')) {
        throw new UsageError(`${file}: not a valid Avro schema: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
      }
    }
  }

  return {definition: {references: [], schema: text, schemaType}, file, requires: [], subject: path.basename(file, path.extname(file))}
}

/** Every schema file of a directory (by extension), sorted by name. */
export function readSchemaDir(dir: string, type?: string): SchemaFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (error) {
    throw new UsageError(`cannot read the directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {code: 'FILE_NOT_FOUND'})
  }

  const files = names.filter((name) => TYPE_BY_EXTENSION[path.extname(name).toLowerCase()]).sort()
  if (files.length === 0) throw new UsageError(`${dir} holds no .avsc, .json or .proto files`)
  return inDependencyOrder(files.map((name) => readSchemaFile(path.join(dir, name), type)))
}

/**
 * Finds the references between the files of a directory — Avro named types defined in another
 * file, Protobuf imports, JSON Schema $refs to another file — and orders the files so every
 * file comes after those it refers to (registration order).
 */
export function inDependencyOrder(files: SchemaFile[]): SchemaFile[] {
  const byBase = new Map(files.map((f) => [path.basename(f.file), f]))
  const avroDefinitions = new Map<string, SchemaFile>()
  for (const f of files) if (f.definition.schemaType === 'AVRO') for (const name of avroNamesDefined(f.definition.schema)) avroDefinitions.set(name, f)

  for (const f of files) {
    const {schema, schemaType} = f.definition
    const names =
      schemaType === 'AVRO'
        ? avroNamesUsed(schema).filter((name) => avroDefinitions.has(name) && avroDefinitions.get(name) !== f)
        : schemaType === 'PROTOBUF'
          ? [...schema.matchAll(/^\s*import\s+(?:public\s+)?"([^"]+)"/gm)].map((m) => m[1]).filter((name) => byBase.has(path.basename(name)))
          : [...schema.matchAll(/"\$ref"\s*:\s*"([^"#][^"#]*)(?:#[^"]*)?"/g)].map((m) => m[1]).filter((name) => byBase.has(path.basename(name)))
    f.requires = [...new Set(names)].map((name) => ({file: schemaType === 'AVRO' ? avroDefinitions.get(name)! : byBase.get(path.basename(name))!, name}))
  }

  const ordered: SchemaFile[] = []
  const state = new Map<SchemaFile, 'done' | 'visiting'>()
  const visit = (f: SchemaFile, chain: string[]) => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'visiting') throw new UsageError(`schema references form a cycle: ${[...chain, f.file].join(' → ')}`, {code: 'SCHEMA_INVALID'})
    state.set(f, 'visiting')
    for (const {file} of f.requires) visit(file, [...chain, f.file])
    state.set(f, 'done')
    ordered.push(f)
  }

  for (const f of files) visit(f, [])
  return ordered
}

const AVRO_BUILTINS = new Set(['array', 'boolean', 'bytes', 'double', 'enum', 'error', 'fixed', 'float', 'int', 'long', 'map', 'null', 'record', 'string'])

/** Full names of the named types an Avro schema defines. */
function avroNamesDefined(text: string): string[] {
  const names: string[] = []
  const walk = (node: unknown, namespace: string) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, namespace))
    if (!node || typeof node !== 'object') return
    const n = node as Record<string, unknown>
    let ns = namespace
    if (typeof n.name === 'string' && ['enum', 'error', 'fixed', 'record'].includes(n.type as string)) {
      const full = n.name.includes('.') ? n.name : `${typeof n.namespace === 'string' ? n.namespace : namespace}${(typeof n.namespace === 'string' ? n.namespace : namespace) ? '.' : ''}${n.name}`
      names.push(full)
      ns = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : ''
    }

    for (const value of Object.values(n)) walk(value, ns)
  }

  walk(JSON.parse(text), '')
  return names
}

/** Type names an Avro schema mentions (as written: full names match across files). */
function avroNamesUsed(text: string): string[] {
  const used: string[] = []
  const walk = (node: unknown) => {
    if (typeof node === 'string') {
      if (!AVRO_BUILTINS.has(node)) used.push(node)
      return
    }

    if (Array.isArray(node)) return node.forEach(walk)
    if (!node || typeof node !== 'object') return
    const n = node as Record<string, unknown>
    for (const key of ['type', 'items', 'values', 'fields']) if (key in n) walk(n[key])
  }

  walk(JSON.parse(text))
  return used
}

/** `:LINE` from a JSON.parse error's "position N", so editors can jump there. */
function lineOf(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message)
  if (!position) return ''
  return `:${text.slice(0, Number(position[1])).split('\n').length}`
}

/** The files a schema command works on: SUBJECT FILE, or every file of --dir. */
export function schemaFilesFor(options: {dir?: string; file?: string; subject?: string; type?: string}): SchemaFile[] {
  if (options.dir) {
    if (options.subject || options.file) throw new UsageError('give either SUBJECT FILE or --dir DIR, not both')
    return readSchemaDir(options.dir, options.type)
  }

  if (!options.subject || !options.file) throw new UsageError('give SUBJECT FILE (e.g. orders-value schemas/order.avsc), or --dir DIR')
  const file = {...readSchemaFile(options.file, options.type), subject: options.subject}
  // A single file may still refer to its neighbours: they resolve to their registered latest versions.
  const neighbours = readdirSync(path.dirname(options.file))
    .filter((name) => TYPE_BY_EXTENSION[path.extname(name).toLowerCase()] && path.join(path.dirname(options.file!), name) !== path.normalize(options.file!))
    .flatMap((name) => {
      try {
        return [readSchemaFile(path.join(path.dirname(options.file!), name))]
      } catch {
        return []
      }
    })
  inDependencyOrder([file, ...neighbours])
  return [file]
}

/** protobufjs says "(line N)" in its parse errors. */
function protoLine(error: Error): string {
  const line = /line (\d+)/.exec(error.message)
  return line ? `:${line[1]}` : ''
}
