import {acceptsAnything, arrayItems, itemCover, resolve} from './model.js'
import {coveredRule, endRule} from './object-rules.js'
import {type Context, type Finding, type Pair, type Walk, compareChild, finding} from './walk.js'

// Rules on arrays: items, additionalItems, tuples, unevaluatedItems, uniqueItems (not `contains`: Confluent does not compare it).

/** items (or additionalItems after a tuple) and unevaluatedItems, by endRule's rules. */
export function* itemsRule(context: Context, pair: Pair): Walk {
  const writerItems = arrayItems(pair.writer)
  const readerItems = arrayItems(pair.reader)
  const things = readerItems.tuple ? 'items after the tuple' : 'items'
  return [
    ...(yield* endRule(context, pair, readerItems.restKeyword, '[]', things, writerItems.rest, readerItems.rest)),
    ...(yield* endRule(context, pair, 'unevaluatedItems', '[]', 'unevaluated items')),
  ]
}

/**
 * Tuples (prefixItems, or array-form items) position by position, as ArraySchemaDiff reads them:
 * an item the reader drops must fall under its open or covering rest, or be `false`
 * (ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL); one it adds must be empty under the writer's open rest
 * (ITEM_ADDED_TO_OPEN_CONTENT_MODEL) or covered by its rest schema; after a closed tuple it is free.
 */
export function* tupleRule(context: Context, pair: Pair): Walk {
  const {words} = context
  const writerItems = arrayItems(pair.writer)
  const readerItems = arrayItems(pair.reader)
  const written = writerItems.tuple ?? []
  const read = readerItems.tuple ?? []
  const findings: Finding[] = []
  for (let index = 0; index < Math.max(written.length, read.length); index++) {
    const segment = `[${index}]`
    if (index < written.length && index < read.length) {
      findings.push(...(yield* compareChild(pair, written[index], read[index], segment)))
    } else if (index < written.length) {
      const cover = itemCover(readerItems)
      if (cover === 'open' || resolve({root: pair.writerRoot, schema: written[index]}).schema === false) continue
      if (cover === 'closed') {
        findings.push(finding(segment, words.pick('was removed from a closed tuple', 'was added, but the old tuple is closed'), `a reader on ${words.reader} rejects arrays ${words.written} that hold an item at position ${index}`))
      } else {
        findings.push(...(yield* coveredRule(pair, segment, written[index], cover.schema, cover.label, words.pick('was removed', 'was added'))))
      }
    } else {
      const cover = itemCover(writerItems)
      if (cover === 'open' && !acceptsAnything(resolve({root: pair.readerRoot, schema: read[index]}).schema)) {
        findings.push(finding(segment, words.pick('was added to an open tuple', 'was removed from an open tuple'), `arrays ${words.written} may hold any value at position ${index}, which a reader on ${words.reader} may reject`))
      } else if (cover !== 'open' && cover !== 'closed') {
        findings.push(...(yield* coveredRule(pair, segment, cover.schema, read[index], cover.label, words.pick('was added', 'was removed'))))
      }
    }
  }

  return findings
}

/** UNIQUE_ITEMS_ADDED. */
export function uniqueItemsRule({words}: Context, {reader, writer}: Pair): Finding[] {
  if (reader.uniqueItems !== true || writer.uniqueItems === true) return []
  return [finding('', words.pick('now requires unique items', 'no longer requires unique items'), `a reader on ${words.reader} rejects arrays ${words.written} that repeat an item`)]
}
