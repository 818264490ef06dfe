import type {ReadRoles} from '../avro-compat.js'
import {type Json, type Schema, type SchemaNode, jsonText, patternCache, structureIds} from './model.js'

// What the rules share: findings, the pair they compare, the context, and how to ask for a child pair.

/** One incompatibility, its path relative to the pair of schemas it was found in. */
export interface Finding {
  path: string
  reason: string
  what: string
}

/** Asks the driver to compare a writer/reader pair and send back its findings. */
export interface Request {
  reader: SchemaNode
  writer: SchemaNode
}

export type Walk<T = Finding[]> = Generator<Request, T, Finding[]>

/** A writer (Confluent's original) and a reader (its update) schema, $refs resolved. */
export interface Pair {
  reader: Json
  readerRoot: Json
  writer: Json
  writerRoot: Json
}

export interface Context {
  /** Pairs being compared: met again below themselves (a recursive $ref), they are assumed compatible. */
  comparing: Map<Json, Set<Json>>
  /** Findings of pairs already compared, so shared and recursive $refs are compared once. */
  done: Map<Json, Map<Json, Finding[]>>
  /** Equal JSON values get equal numbers (see structureIds). */
  idOf: (value: unknown) => number
  patterns: (source: string) => RegExp
  words: Words
}

/** The sentences' parts: who reads, whose documents, and old → new order. */
export interface Words {
  /** The writer-side and reader-side values in old → new order. */
  oldNew<T>(writerSide: T, readerSide: T): [T, T]
  /** The first wording when the reader is the new schema (BACKWARD), else the second. */
  pick(readerIsNew: string, readerIsOld: string): string
  reader: string
  written: string
}

export function newContext(roles: ReadRoles): Context {
  const words: Words = {
    oldNew: (writerSide, readerSide) => (roles.readerIsNew ? [writerSide, readerSide] : [readerSide, writerSide]),
    pick: (readerIsNew, readerIsOld) => (roles.readerIsNew ? readerIsNew : readerIsOld),
    reader: roles.reader,
    written: roles.readerIsNew ? `written by ${roles.writer}` : `written with ${roles.writer}`,
  }
  return {comparing: new Map(), done: new Map(), idOf: structureIds(), patterns: patternCache(), words}
}


/** Asks for a writer/reader pair beneath this one and returns its findings, their paths under `segment`. */
export function* compareChild(pair: Pair, writerSchema: Schema, readerSchema: Schema, segment: string): Walk {
  const found: Finding[] = yield {reader: {root: pair.readerRoot, schema: readerSchema}, writer: {root: pair.writerRoot, schema: writerSchema}}
  return segment ? found.map((each) => ({...each, path: joinPath(segment, each.path)})) : found
}

/** 'a' + 'b' → 'a.b'; 'lines' + '[].qty' → 'lines[].qty'. */
function joinPath(segment: string, rest: string): string {
  if (rest === '') return segment
  return rest.startsWith('[') ? `${segment}${rest}` : `${segment}.${rest}`
}

export function describeFinding({path, what}: Finding): string {
  return `${path ? `property '${path}'` : 'the schema'} ${what}`
}

export function finding(path: string, what: string, reason: string): Finding {
  return {path, reason, what}
}

/** Values for a sentence: the first ten, JSON-quoted, and how many more. */
export function listed(values: unknown[]): string {
  const shown = values.slice(0, 10).map((value) => jsonText(value))
  return values.length > 10 ? `${shown.join(', ')} and ${values.length - 10} more` : shown.join(', ')
}
