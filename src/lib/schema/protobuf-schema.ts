import {createRequire} from 'node:module'
import type {INamespace, NamespaceBase, Root, Type} from 'protobufjs'

import {UsageError} from '../errors.js'
import {COMMON_PROTO_FILES} from './protobuf-common-types.js'

/**
 * The one place protobufjs is set up, for the codec, the registry server and the compatibility
 * rules alike: field names kept as written, the files Confluent resolves without a reference
 * (google/protobuf/*.proto, google/type/*.proto, confluent/*.proto) added when imported, every
 * type resolved.
 */

const require = createRequire(import.meta.url)

export type Protobufjs = typeof import('protobufjs')

/** A .proto file parsed alone, its imports unresolved. */
export interface ProtobufFile {
  /** Only this file's declarations, inside their package's namespaces. */
  root: Root
}

/** A schema with everything it references, parsed into one Root. */
export interface ProtobufSchema {
  /** The schema's own file: what it declares, and the order of its messages. */
  file: ProtobufFile
  /** The schema, its references and the well-known types they import, every type resolved. */
  root: Root
}

/** protobufjs, loaded on first use: start-up time matters and most commands never read a .proto. */
export function loadProtobufjs(): Protobufjs {
  return require('protobufjs') as Protobufjs
}

/** Parses one .proto file without resolving its imports; errors keep protobufjs's "(line N)". */
export function parseProtobufFile(text: string): ProtobufFile {
  const protobuf = loadProtobufjs()
  try {
    return {root: protobuf.parse(text, {keepCase: true}).root}
  } catch (error) {
    throw new UsageError(`not a valid .proto file: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
  }
}

/**
 * Parses a schema and the texts of everything it references (dependencies first, as
 * referencedTexts gives them) into one Root with every type resolved.
 */
export function parseProtobuf(text: string, referenced: string[]): ProtobufSchema {
  const protobuf = loadProtobufjs()
  const root = new protobuf.Root()
  const imports = new Set<string>()
  const file = parseProtobufFile(text)
  for (const [index, source] of [...referenced, text].entries()) {
    try {
      const parsed = protobuf.parse(source, root, {keepCase: true})
      for (const name of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) imports.add(name)
    } catch (error) {
      // The schema itself parsed alone above, so its only possible failure here is a clash.
      const where = index < referenced.length ? 'in a referenced .proto file' : 'the .proto file clashes with a reference'
      throw new UsageError(`${where}: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
    }
  }

  addWellKnownTypes(root, imports, protobuf)
  try {
    root.resolveAll()
  } catch (error) {
    throw new UsageError(`the .proto file uses a type it neither declares nor imports: ${(error as Error).message}`, {code: 'SCHEMA_INVALID'})
  }

  return {file, root}
}

/**
 * The definitions of a file Confluent resolves without a reference, with the files it imports in
 * turn: the google/protobuf/*.proto protobufjs ships (its `common` ones, and descriptor.proto for
 * custom options), and Google's and Confluent's common types.
 */
function wellKnownDefinitions(name: string, protobuf: Protobufjs): undefined | {definitions: INamespace; imports: string[]} {
  if (name === 'google/protobuf/descriptor.proto') return {definitions: require('protobufjs/google/protobuf/descriptor.json') as INamespace, imports: []}
  const common = name.startsWith('google/protobuf/') ? (protobuf.common as unknown as Record<string, unknown>)[name] : undefined
  if (typeof common === 'object' && common !== null) return {definitions: common as INamespace, imports: []}
  const text = Object.hasOwn(COMMON_PROTO_FILES, name) ? COMMON_PROTO_FILES[name] : undefined
  if (text === undefined) return undefined
  const parsed = protobuf.parse(text, new protobuf.Root(), {keepCase: true})
  return {definitions: parsed.root.toJSON(), imports: parsed.imports ?? []}
}

/**
 * Imports of the files in wellKnownDefinitions resolve to them, as on Confluent, unless a
 * reference already declared their types.
 */
function addWellKnownTypes(root: Root, imports: Set<string>, protobuf: Protobufjs): void {
  const pending = [...imports]
  const added = new Set<string>()
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (added.has(name)) continue
    added.add(name)
    const known = wellKnownDefinitions(name, protobuf)
    if (!known) continue
    pending.push(...known.imports)
    if (!declaresAny(root, known.definitions)) root.addJSON(known.definitions.nested ?? {})
  }
}

/** Whether `root` has any of the messages and enums `definitions` declares (read as JSON: alone, a file with `extend` does not resolve). */
function declaresAny(root: Root, definitions: INamespace, prefix = ''): boolean {
  return Object.entries(definitions.nested ?? {}).some(([name, nested]) => {
    const fullName = `${prefix}.${name}`
    if ('fields' in nested || 'values' in nested) return root.lookup(fullName) !== null
    return 'nested' in nested && declaresAny(root, nested as INamespace, fullName)
  })
}

/** A file's top-level messages (inside its package) in declaration order: what message index 0, 1, ... mean. */
export function topLevelMessages(file: ProtobufFile): string[] {
  const protobuf = loadProtobufjs()
  const names: string[] = []
  const visit = (namespace: NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) names.push(nested.fullName)
      else if (nested instanceof protobuf.Namespace) visit(nested)
    }
  }

  visit(file.root)
  return names
}

/** The messages declared directly in a message, in declaration order. */
export function nestedMessages(type: Type): Type[] {
  const protobuf = loadProtobufjs()
  return type.nestedArray.filter((nested): nested is Type => nested instanceof protobuf.Type)
}
