import {type Json, type Schema, describeTypes, jsonText, typesOf} from './model.js'
import {type Context, type Finding, type Pair, type Walk, finding, listed} from './walk.js'

// Rules on a schema's own values: type, enum, const, bounds, multipleOf, pattern, not.

/** TYPE_CHANGED / TYPE_NARROWED: the reader's types must include the writer's (integer ⊂ number). */
export function typeRule({words}: Context, {reader, writer}: Pair): Finding | undefined {
  const readerTypes = typesOf(reader)
  if (!readerTypes) return undefined
  const writerTypes = typesOf(writer)
  const accepts = (type: string) => readerTypes.has(type) || (type === 'integer' && readerTypes.has('number'))
  const lost = writerTypes ? [...writerTypes].filter((type) => !accepts(type)) : ['any type']
  if (lost.length === 0) return undefined
  const [before, after] = words.oldNew(describeTypes(writerTypes), describeTypes(readerTypes))
  return finding('', `changed type ${before} → ${after}`, `a reader on ${describeTypes(readerTypes)} rejects ${lost.join(', ')} values ${words.written}`)
}

/** ENUM_ARRAY_NARROWED / ENUM_ARRAY_CHANGED: the reader's enum must hold every value the writer's allows. */
export function enumRule({idOf, words}: Context, {reader, writer}: Pair): Finding[] {
  if (!Array.isArray(reader.enum)) return []
  const written = writtenValues(writer)
  if (!written) return [finding('', words.pick('became an enum', 'is no longer an enum'), `a reader on ${words.reader} accepts only its ${reader.enum.length} enum values, and documents ${words.written} may hold others`)]
  const allowed = new Set(reader.enum.map((value) => idOf(value)))
  const extra = written.filter((value) => !allowed.has(idOf(value)))
  if (extra.length === 0) return []
  return [finding('', `enum ${words.pick('lost', 'gained')} ${listed(extra)}`, `a reader on ${words.reader} rejects those values ${words.written}`)]
}

/** ENUM_ARRAY_CHANGED for const (as Confluent names it): the reader's const must be the only value written. */
export function constRule({idOf, words}: Context, {reader, writer}: Pair): Finding[] {
  if (!('const' in reader)) return []
  const written = writtenValues(writer)
  if (written && written.every((value) => idOf(value) === idOf(reader.const))) return []
  const [before, after] = words.oldNew('const' in writer ? jsonText(writer.const) : 'none', jsonText(reader.const))
  return [finding('', `const changed ${before} → ${after}`, `a reader on ${words.reader} accepts only ${jsonText(reader.const)}, and documents ${words.written} may hold other values`)]
}

/** The values a writer can produce, when it lists them (enum or const). */
function writtenValues(writer: Json): unknown[] | undefined {
  if ('const' in writer) return [writer.const]
  return Array.isArray(writer.enum) ? writer.enum : undefined
}

const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains']
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains']

/** *_ADDED, *_DECREASED (upper bounds) and *_INCREASED (lower bounds): a reader's bound may only be looser. */
export function boundsRule({words}: Context, {reader, writer}: Pair): Finding[] {
  const findings: Finding[] = []
  for (const [bounds, tighter] of [
    [UPPER_BOUNDS, (r: number, w: number) => r < w],
    [LOWER_BOUNDS, (r: number, w: number) => r > w],
  ] as const) {
    for (const bound of bounds) {
      const readerBound = reader[bound]
      if (typeof readerBound !== 'number') continue
      const writerBound = writer[bound]
      if (typeof writerBound === 'number' && !tighter(readerBound, writerBound)) continue
      const what = words.pick(`${bound} narrowed ${writerBound ?? 'unbounded'} → ${readerBound}`, `${bound} widened ${readerBound} → ${writerBound ?? 'unbounded'}`)
      findings.push(finding('', what, `a reader on ${words.reader} rejects values ${words.written} beyond ${readerBound}`))
    }
  }

  return findings
}

/** MULTIPLE_OF_ADDED / _EXPANDED / _CHANGED: only a divisor of the writer's multipleOf keeps every value. */
export function multipleOfRule({words}: Context, {reader, writer}: Pair): Finding[] {
  const divisor = reader.multipleOf
  if (typeof divisor !== 'number') return []
  if (typeof writer.multipleOf === 'number' && isMultiple(writer.multipleOf, divisor)) return []
  const [before, after] = words.oldNew(writer.multipleOf ?? 'none', divisor)
  return [finding('', `multipleOf changed ${before} → ${after}`, `a reader on ${words.reader} rejects numbers ${words.written} that are not multiples of ${divisor}`)]
}

function isMultiple(value: number, divisor: number): boolean {
  const quotient = value / divisor
  return Math.abs(quotient - Math.round(quotient)) < 1e-9
}

/** PATTERN_ADDED / PATTERN_CHANGED. `format` is not compared: Confluent does not either (its verdict is the one to match). */
export function patternRule({words}: Context, {reader, writer}: Pair): Finding[] {
  const wanted = reader.pattern
  if (typeof wanted !== 'string' || writer.pattern === wanted) return []
  const [before, after] = words.oldNew(typeof writer.pattern === 'string' ? writer.pattern : 'none', wanted)
  return [finding('', `pattern changed ${before} → ${after}`, `a reader on ${words.reader} rejects strings ${words.written} that do not match /${wanted}/`)]
}

/** NOT_TYPE_EXTENDED: the reader's `not` may exclude less, never more (its schemas compare the other way round). */
export function* notRule({words}: Context, pair: Pair): Walk {
  const {reader, writer} = pair
  if (reader.not === undefined) return []
  const reason = `a reader on ${words.reader} rejects values matching its 'not' schema, which values ${words.written} may match`
  if (writer.not === undefined) return [finding('', words.pick("gained a 'not' exclusion", "lost its 'not' exclusion"), reason)]
  const excluded: Finding[] = yield {reader: {root: pair.writerRoot, schema: writer.not as Schema}, writer: {root: pair.readerRoot, schema: reader.not as Schema}}
  return excluded.length === 0 ? [] : [finding('', words.pick("widened its 'not' exclusion", "narrowed its 'not' exclusion"), reason)]
}

const UNANALYSED = ['if', 'then', 'else', 'propertyNames', 'contentSchema', '$dynamicRef', '$recursiveRef']

/** Keywords evt does not analyse (nor does Confluent): a reader's must equal the writer's, or evt says it cannot tell. */
export function unanalysedRule({idOf, words}: Context, {reader, writer}: Pair): Finding[] {
  return UNANALYSED.filter((keyword) => keyword in reader && idOf(reader[keyword]) !== idOf(writer[keyword])).map((keyword) =>
    finding('', `changed ${keyword}`, `evt does not compare ${keyword} schemas, so it cannot show that a reader on ${words.reader} accepts every document ${words.written}`),
  )
}
