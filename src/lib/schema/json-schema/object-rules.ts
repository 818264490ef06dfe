import {type Json, type Schema, acceptsAnything, hasDefault, isOpenEnd, propertyCover, propertyDependencies, resolve, schemaDependencies} from './model.js'
import {type Context, type Finding, type Pair, type Walk, compareChild, describeFinding, finding, listed} from './walk.js'

// Rules on objects: required, properties against content models, dependencies, additionalProperties.

/**
 * REQUIRED_ATTRIBUTE_ADDED for a property both sides declare; with a default it is compatible
 * (REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED). As in Confluent, a required name that is not declared
 * in both sides' properties is left to propertiesRule, or, declared nowhere, not compared at all.
 */
export function requiredRule({words}: Context, pair: Pair): Finding[] {
  const readerProperties = propertiesOf(pair.reader)
  const writerProperties = propertiesOf(pair.writer)
  const writerRequired = new Set(requiredOf(pair.writer))
  return requiredOf(pair.reader)
    .filter((name) => Object.hasOwn(readerProperties, name) && Object.hasOwn(writerProperties, name) && !writerRequired.has(name))
    .filter((name) => !hasDefault({root: pair.readerRoot, schema: readerProperties[name] as Schema}))
    .map((name) => finding(name, words.pick('became required', 'is no longer required'), `a reader on ${words.reader} requires it, but documents ${words.written} may lack it`))
}

/**
 * Properties on one side only, as ObjectSchemaDiff reads them against the other side's content
 * model, and properties on both sides compared. Removed: compatible under an open model, covered
 * by a partially open one, or `false`; else PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL. Added: to
 * an open model only with an empty schema; under a partially open one it must be covered; a new
 * required property needs a default (REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL).
 */
export function* propertiesRule(context: Context, pair: Pair): Walk {
  const {words} = context
  const readerProperties = propertiesOf(pair.reader)
  const writerProperties = propertiesOf(pair.writer)
  const findings: Finding[] = []
  for (const [name, writerSchema] of Object.entries(writerProperties)) {
    if (Object.hasOwn(readerProperties, name)) {
      findings.push(...(yield* compareChild(pair, writerSchema, readerProperties[name], name)))
      continue
    }

    const cover = propertyCover(pair.reader, name, context.patterns)
    if (cover === 'open') continue
    if (cover === 'closed') {
      if (resolve({root: pair.writerRoot, schema: writerSchema}).schema === false) continue
      findings.push(finding(name, words.pick('was removed from a closed content model', 'was added, but the old content model is closed'), `a reader on ${words.reader} (${closedBy(pair.reader)}) rejects documents ${words.written} that carry it`))
      continue
    }

    findings.push(...(yield* coveredRule(pair, name, writerSchema, cover.schema, cover.label, words.pick('was removed', 'was added'))))
  }

  const writerRequired = new Set(requiredOf(pair.writer))
  const readerRequired = new Set(requiredOf(pair.reader))
  for (const [name, readerSchema] of Object.entries(readerProperties)) {
    if (Object.hasOwn(writerProperties, name)) continue
    const cover = propertyCover(pair.writer, name, context.patterns)
    if (cover === 'open') {
      if (!acceptsAnything(resolve({root: pair.readerRoot, schema: readerSchema}).schema)) {
        findings.push(finding(name, words.pick('was added to an open content model', 'was removed from an open content model'), `documents ${words.written} may carry '${name}' with any value, which a reader on ${words.reader} may reject`))
      }

      continue
    }

    if (cover !== 'closed') findings.push(...(yield* coveredRule(pair, name, cover.schema, readerSchema, cover.label, words.pick('was added', 'was removed'))))
    if (readerRequired.has(name) && !writerRequired.has(name) && !hasDefault({root: pair.readerRoot, schema: readerSchema})) {
      findings.push(finding(name, words.pick('was added as required', 'was removed, though the old schema requires it'), `a reader on ${words.reader} requires it, but documents ${words.written} lack it`))
    }
  }

  return findings
}

/** PROPERTY_/ITEM_*_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL: a property or item and the schema the other side applies to it instead must be compatible. */
export function* coveredRule(pair: Pair, path: string, writerSchema: Schema, readerSchema: Schema, label: string, moved: string): Walk {
  const found = yield* compareChild(pair, writerSchema, readerSchema, '')
  if (found.length === 0) return []
  return [finding(path, `${moved} and falls under ${label}, which does not cover it`, `${describeFinding(found[0])}: ${found[0].reason}`)]
}

function closedBy(schema: Json): string {
  if (schema.additionalProperties === false) return 'additionalProperties: false'
  if (schema.unevaluatedProperties === false) return 'unevaluatedProperties: false'
  // Confluent reads patternProperties without additionalProperties as closed to other names.
  return 'patternProperties, and no additionalProperties schema'
}

/** A pattern property both sides declare under the same pattern is compared (Confluent skips these). */
export function* patternPropertiesRule(pair: Pair): Walk {
  const readerPatterns = (pair.reader.patternProperties ?? {}) as Json
  const writerPatterns = (pair.writer.patternProperties ?? {}) as Json
  const findings: Finding[] = []
  for (const [source, readerSchema] of Object.entries(readerPatterns)) {
    if (Object.hasOwn(writerPatterns, source)) findings.push(...(yield* compareChild(pair, writerPatterns[source] as Schema, readerSchema as Schema, `/${source}/`)))
  }

  return findings
}

/** DEPENDENCY_ARRAY_ADDED / _EXTENDED / _CHANGED: a reader may drop property dependencies, never add them. */
export function dependentRequiredRule({words}: Context, {reader, writer}: Pair): Finding[] {
  const writerDependencies = propertyDependencies(writer)
  const findings: Finding[] = []
  for (const [name, required] of propertyDependencies(reader)) {
    const before = writerDependencies.get(name) ?? new Set<string>()
    const added = [...required].filter((other) => !before.has(other))
    if (added.length === 0) continue
    findings.push(
      finding('', `${words.pick('now requires', 'no longer requires')} ${listed(added)} whenever '${name}' is present`, `a reader on ${words.reader} requires them alongside '${name}', and documents ${words.written} may lack them`),
    )
  }

  return findings
}

/** DEPENDENCY_SCHEMA_ADDED, and schemas on both sides compared (removing one is compatible). */
export function* dependentSchemasRule({words}: Context, pair: Pair): Walk {
  const writerDependencies = schemaDependencies(pair.writer)
  const findings: Finding[] = []
  for (const [name, readerSchema] of schemaDependencies(pair.reader)) {
    const writerSchema = writerDependencies.get(name)
    if (writerSchema === undefined) {
      findings.push(finding('', `${words.pick('gained', 'lost')} a dependent schema for '${name}'`, `a reader on ${words.reader} checks documents that carry '${name}' against it, and documents ${words.written} were not`))
    } else {
      findings.push(...(yield* compareChild(pair, writerSchema, readerSchema, `dependentSchemas.${name}`)))
    }
  }

  return findings
}

/**
 * additionalProperties, unevaluatedProperties, and the items after a tuple (or all items):
 * *_REMOVED (became false) and *_NARROWED / SCHEMA_ADDED (became a schema) are incompatible,
 * their opposites compatible; two schemas are compared. `true` and {} count as absent.
 */
export function* endRule({words}: Context, pair: Pair, keyword: string, segment: string, things: string, writerEnd = pair.writer[keyword], readerEnd = pair.reader[keyword]): Walk {
  if (isOpenEnd(readerEnd) || writerEnd === false) return []
  if (readerEnd === false) {
    return [finding('', words.pick(`closed its content model (${keyword}: false)`, `opened its content model (${keyword})`), `a reader on ${words.reader} rejects ${things} that documents ${words.written} may carry`)]
  }

  if (isOpenEnd(writerEnd)) {
    return [finding('', words.pick(`constrained ${keyword}`, `stopped constraining ${keyword}`), `a reader on ${words.reader} checks ${things} against its ${keyword} schema, and documents ${words.written} may carry them with any value`)]
  }

  return yield* compareChild(pair, writerEnd as Schema, readerEnd as Schema, segment)
}


function propertiesOf(schema: Json): Record<string, Schema> {
  return (schema.properties ?? {}) as Record<string, Schema>
}

function requiredOf(schema: Json): string[] {
  return Array.isArray(schema.required) ? (schema.required as string[]) : []
}
