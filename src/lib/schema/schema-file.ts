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
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }

  if (schemaType !== 'PROTOBUF') {
    try {
      JSON.parse(text)
    } catch (error) {
      throw new UsageError(`${file}${lineOf(text, error as Error)}: not valid JSON: ${(error as Error).message}`)
    }
  }

  if (schemaType === 'PROTOBUF') {
    try {
      parseProto(text)
    } catch (error) {
      throw new UsageError(`${file}${protoLine(error as Error)}: ${(error as Error).message}`)
    }
  }

  if (schemaType === 'AVRO') {
    try {
      parseAvro(text)
    } catch (error) {
      throw new UsageError(`${file}: not a valid Avro schema: ${(error as Error).message}`)
    }
  }

  return {definition: {references: [], schema: text, schemaType}, file, subject: path.basename(file, path.extname(file))}
}

/** Every schema file of a directory (by extension), sorted by name. */
export function readSchemaDir(dir: string, type?: string): SchemaFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (error) {
    throw new UsageError(`cannot read the directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }

  const files = names.filter((name) => TYPE_BY_EXTENSION[path.extname(name).toLowerCase()]).sort()
  if (files.length === 0) throw new UsageError(`${dir} holds no .avsc, .json or .proto files`)
  return files.map((name) => readSchemaFile(path.join(dir, name), type))
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
  return [{...readSchemaFile(options.file, options.type), subject: options.subject}]
}

/** protobufjs says "(line N)" in its parse errors. */
function protoLine(error: Error): string {
  const line = /line (\d+)/.exec(error.message)
  return line ? `:${line[1]}` : ''
}
