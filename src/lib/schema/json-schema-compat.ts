import type {Incompatibility, ReadRoles} from './avro-compat.js'
import {itemsRule, tupleRule, uniqueItemsRule} from './json-schema/array-rules.js'
import {becameCombinedRule, combinedRule, combinerAddedRule, stoppedCombiningRule} from './json-schema/combiner-rules.js'
import {ANYTHING, type Json, type SchemaNode, acceptsAnything, combinersOf, isLocalRef, onlyCombines, resolve} from './json-schema/model.js'
import {dependentRequiredRule, dependentSchemasRule, endRule, patternPropertiesRule, propertiesRule, requiredRule} from './json-schema/object-rules.js'
import {boundsRule, constRule, enumRule, multipleOfRule, notRule, patternRule, typeRule, unanalysedRule} from './json-schema/value-rules.js'
import {type Context, type Finding, type Pair, type Walk, finding, newContext} from './json-schema/walk.js'

/**
 * JSON Schema compatibility as Confluent Schema Registry decides it: the writer's schema is the
 * "original", the reader's the "update", and they are compatible when every difference is of a
 * kind Confluent deems compatible. Checks: types (integer ⊂ number, type arrays), enum and const,
 * numeric, length, item, property and contains bounds, multipleOf, pattern, uniqueItems,
 * `not`, allOf/anyOf/oneOf (criteria, branch counts, a maximum matching of branches), properties
 * against open, partially open (patternProperties, additionalProperties or unevaluatedProperties
 * schemas) and closed content models, required (a default makes it compatible), dependencies /
 * dependentRequired / dependentSchemas, items, additionalItems, tuples (prefixItems or array-form
 * items), unevaluatedItems and local $refs. Like Confluent, `format` and `contains` are not
 * compared. Stricter than Confluent, which does not compare them: pattern properties declared
 * under the same pattern on both sides; if/then/else and propertyNames must stay unchanged, and a
 * $ref to another document the same.
 */
export function jsonSchemaReadIssues(readerText: string, writerText: string, roles: ReadRoles): Incompatibility[] {
  const readerRoot = JSON.parse(readerText) as Json
  const writerRoot = JSON.parse(writerText) as Json
  const findings = walk(newContext(roles), {root: writerRoot, schema: writerRoot}, {root: readerRoot, schema: readerRoot})
  return findings.map(({path, reason, what}) => ({change: `${path ? `property '${path}'` : 'the document'} ${what}`, path, reason}))
}

/**
 * Runs comparePair and every comparison it asks for on a stack of generators instead of the call
 * stack, so schemas of any depth are walked; each finished comparison's findings go back to the
 * one that asked.
 */
function walk(context: Context, writer: SchemaNode, reader: SchemaNode): Finding[] {
  const stack: Walk[] = [comparePair(context, writer, reader)]
  let answer: Finding[] = []
  for (;;) {
    const step = stack.at(-1)!.next(answer)
    if (step.done) {
      stack.pop()
      answer = step.value
      if (stack.length === 0) return answer
    } else {
      stack.push(comparePair(context, step.value.writer, step.value.reader))
      answer = []
    }
  }
}

/** Compares one pair: the shortcuts Confluent takes first, then memoised, the schemas themselves. */
function* comparePair(context: Context, writerNode: SchemaNode, readerNode: SchemaNode): Walk {
  const {words} = context
  const writer = resolve(writerNode)
  const reader = resolve(readerNode)
  // Nothing is ever written under `false`, and a reader on `true` or {} accepts everything.
  if (writer.schema === false || acceptsAnything(reader.schema)) return []
  if (reader.schema === false) {
    return [finding('', words.pick('became false', 'was false'), `a reader on ${words.reader} accepts no value there, and documents ${words.written} may have one`)]
  }

  const pair: Pair = {reader: reader.schema as Json, readerRoot: reader.root, writer: writer.schema === true ? ANYTHING : writer.schema, writerRoot: writer.root}
  const unresolved = unresolvedRefRule(context, pair)
  if (unresolved) return unresolved

  const cached = context.done.get(pair.writer)?.get(pair.reader)
  if (cached) return cached
  const comparing = context.comparing.get(pair.writer) ?? new Set<Json>()
  if (comparing.has(pair.reader)) return []
  comparing.add(pair.reader)
  context.comparing.set(pair.writer, comparing)
  const findings = yield* compareSchemas(context, pair)
  comparing.delete(pair.reader)
  const done = context.done.get(pair.writer) ?? new Map<Json, Finding[]>()
  done.set(pair.reader, findings)
  context.done.set(pair.writer, done)
  return findings
}

/** A $ref to another document: evt cannot follow it, so only the very same $ref is known to be compatible. */
function unresolvedRefRule({words}: Context, {reader, writer}: Pair): Finding[] | undefined {
  if (typeof reader.$ref !== 'string' || isLocalRef(reader.$ref)) return undefined
  if (writer.$ref === reader.$ref) return []
  const [before, after] = words.oldNew(String(writer.$ref ?? 'an inline schema'), reader.$ref)
  return [finding('', `changed ${before} → ${after}`, `evt cannot follow the $ref '${reader.$ref}', so it cannot show that a reader on ${words.reader} accepts documents ${words.written}`)]
}

/** Dispatches on combiners the way Confluent does: both combined, one combined, or neither. */
function* compareSchemas(context: Context, pair: Pair): Walk {
  const writerCombiners = combinersOf(pair.writer)
  const readerCombiners = combinersOf(pair.reader)
  if (writerCombiners.length === 0 && readerCombiners.length === 0) return yield* compareKeywords(context, pair)
  const writerOnlyCombines = writerCombiners.length === 1 && onlyCombines(pair.writer)
  const readerOnlyCombines = readerCombiners.length === 1 && onlyCombines(pair.reader)
  if (writerOnlyCombines && readerOnlyCombines) return yield* combinedRule(context, pair, writerCombiners[0], readerCombiners[0])
  if (readerOnlyCombines && writerCombiners.length === 0) return yield* becameCombinedRule(context, pair, readerCombiners[0])
  if (writerOnlyCombines && readerCombiners.length === 0) return yield* stoppedCombiningRule(context, pair, writerCombiners[0])

  // Combiners beside other keywords (Confluent reads them as allOf the keywords and the combiner):
  // the keywords and each combiner are compared on their own.
  const findings = yield* compareKeywords(context, pair)
  for (const combiner of readerCombiners) {
    const counterpart = writerCombiners.includes(combiner) ? combiner : writerCombiners.length === 1 ? writerCombiners[0] : undefined
    findings.push(...(counterpart ? yield* combinedRule(context, pair, counterpart, combiner) : combinerAddedRule(context, pair, combiner)))
  }

  return findings
}


/** Every keyword rule but the combiners'. A changed type says it all, as in Confluent. */
function* compareKeywords(context: Context, pair: Pair): Walk {
  const typeChange = typeRule(context, pair)
  if (typeChange) return [typeChange]
  const findings = [
    ...enumRule(context, pair),
    ...constRule(context, pair),
    ...boundsRule(context, pair),
    ...multipleOfRule(context, pair),
    ...patternRule(context, pair),
    ...uniqueItemsRule(context, pair),
    ...requiredRule(context, pair),
    ...dependentRequiredRule(context, pair),
    ...unanalysedRule(context, pair),
  ]
  findings.push(
    ...(yield* notRule(context, pair)),
    ...(yield* propertiesRule(context, pair)),
    ...(yield* patternPropertiesRule(pair)),
    ...(yield* dependentSchemasRule(context, pair)),
    ...(yield* endRule(context, pair, 'additionalProperties', '*', 'unknown properties')),
    ...(yield* endRule(context, pair, 'unevaluatedProperties', '*', 'unevaluated properties')),
    ...(yield* itemsRule(context, pair)),
    ...(yield* tupleRule(context, pair)),
  )
  return findings
}

