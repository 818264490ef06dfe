import {maximumMatching} from './matching.js'
import {type Combiner, type Json, type Schema, combinersOf, describeTypes, typesOf} from './model.js'
import {type Context, type Finding, type Pair, type Walk, compareChild, describeFinding, finding} from './walk.js'

// Rules on allOf / anyOf / oneOf, after Confluent's SchemaDiff and CombinedSchemaDiff.

/**
 * Both sides combine (CombinedSchemaDiff): COMBINED_TYPE_CHANGED unless the criterion widens;
 * PRODUCT_TYPE_EXTENDED (allOf gained schemas) and SUM_TYPE_NARROWED (anyOf/oneOf lost branches);
 * COMBINED_TYPE_SUBSCHEMAS_CHANGED unless a matching of compatible branches covers the smaller side.
 */
export function* combinedRule(context: Context, pair: Pair, writerCombiner: Combiner, readerCombiner: Combiner): Walk {
  const {words} = context
  const writerBranches = pair.writer[writerCombiner] as Schema[]
  const readerBranches = pair.reader[readerCombiner] as Schema[]
  if (writerCombiner !== readerCombiner && !criterionWidens(writerCombiner, readerCombiner, writerBranches.length, readerBranches.length)) {
    const [before, after] = words.oldNew(writerCombiner, readerCombiner)
    return [finding('', `changed ${before} → ${after}`, `a reader on ${words.reader} applies ${readerCombiner} where documents ${words.written} were checked with ${writerCombiner}, so it may reject them`)]
  }

  const written = distinct(writerBranches, context.idOf)
  const read = distinct(readerBranches, context.idOf)
  const findings: Finding[] = []
  const difference = Math.abs(written.length - read.length)
  if (readerCombiner === 'allOf' && written.length < read.length) {
    findings.push(finding('', words.pick(`allOf gained ${difference} schema(s)`, `allOf lost ${difference} schema(s)`), `a reader on ${words.reader} requires every allOf schema, and documents ${words.written} need not match the extra ones`))
  }

  if (readerCombiner !== 'allOf' && written.length > read.length) {
    findings.push(finding('', words.pick(`${readerCombiner} lost ${difference} branch(es)`, `${readerCombiner} gained ${difference} branch(es)`), `a reader on ${words.reader} rejects documents ${words.written} that match only the branches it lacks`))
  }

  const results: Finding[][][] = []
  for (const writerBranch of written) {
    const row: Finding[][] = []
    for (const readerBranch of read) row.push(yield* compareChild(pair, writerBranch, readerBranch, ''))
    results.push(row)
  }

  const partners = maximumMatching(
    results.map((row) => row.map((found) => found.length === 0)),
    read.length,
  )
  if (partners.filter((partner) => partner !== -1).length < Math.min(written.length, read.length)) {
    // Name one branch left without a partner, and why it fails against the branch at its position.
    const writerSide = written.length <= read.length
    const index = writerSide ? partners.indexOf(-1) : read.findIndex((_, readerIndex) => !partners.includes(readerIndex))
    const [own, other] = writerSide ? [writerCombiner, readerCombiner] : [readerCombiner, writerCombiner]
    const side = writerSide ? words.pick('the old schema', 'the new schema') : words.pick('the new schema', 'the old schema')
    const aligned = writerSide ? results[index][Math.min(index, read.length - 1)] : results[Math.min(index, written.length - 1)][index]
    const why = aligned[0] ? `; against ${other}/${Math.min(index, (writerSide ? read : written).length - 1)}: ${describeFinding(aligned[0])}` : ''
    findings.push(finding('', `${readerCombiner} branches changed: ${own}/${index} of ${side} has no compatible counterpart`, `no pairing of branches lets a reader on ${words.reader} accept every document ${words.written}${why}`))
  }

  return findings
}

/** COMBINED_TYPE_EXTENDED: anything → anyOf, a single-branch combiner → oneOf, single → single allOf. */
function criterionWidens(writerCombiner: Combiner, readerCombiner: Combiner, writerCount: number, readerCount: number): boolean {
  if (readerCombiner === 'anyOf') return true
  if (readerCombiner === 'oneOf') return writerCount === 1
  return writerCombiner !== 'allOf' && writerCount === 1 && readerCount === 1
}

/**
 * The reader combines and the writer does not (SchemaDiff): a single branch is compared as the
 * schema itself; anyOf/oneOf needs one branch that takes the whole writer (SUM_TYPE_EXTENDED);
 * anything else is TYPE_CHANGED.
 */
export function* becameCombinedRule(context: Context, pair: Pair, combiner: Combiner): Walk {
  const {words} = context
  const branches = pair.reader[combiner] as Schema[]
  if (branches.length === 1) return yield* compareChild(pair, pair.writer, branches[0], '')
  if (combiner !== 'allOf') {
    for (const branch of branches) if ((yield* compareChild(pair, pair.writer, branch, '')).length === 0) return []
  }

  const [before, after] = words.oldNew(shapeOf(pair.writer), `${combiner} of ${branches.length}`)
  const reason =
    combiner === 'allOf'
      ? `a reader on ${words.reader} requires all ${branches.length} allOf schemas, and documents ${words.written} were checked against one`
      : `no ${combiner} branch of a reader on ${words.reader} accepts every value ${words.written}`
  return [finding('', `changed ${before} → ${after}`, reason)]
}

/**
 * The writer combines and the reader does not (SchemaDiff): a single branch is compared as the
 * schema itself; allOf needs one branch the reader takes (PRODUCT_TYPE_NARROWED); anyOf/oneOf
 * only against a reader whose type array Confluent reads as anyOf, every branch taken.
 */
export function* stoppedCombiningRule(context: Context, pair: Pair, combiner: Combiner): Walk {
  const {words} = context
  const branches = pair.writer[combiner] as Schema[]
  if (branches.length === 1) return yield* compareChild(pair, branches[0], pair.reader, '')
  if (combiner === 'allOf') {
    for (const branch of branches) if ((yield* compareChild(pair, branch, pair.reader, '')).length === 0) return []
  } else if (Array.isArray(pair.reader.type) && branches.length <= pair.reader.type.length) {
    let everyBranch = true
    for (const branch of branches) everyBranch = everyBranch && (yield* compareChild(pair, branch, pair.reader, '')).length === 0
    if (everyBranch) return []
  }

  const [before, after] = words.oldNew(`${combiner} of ${branches.length}`, shapeOf(pair.reader))
  return [finding('', `changed ${before} → ${after}`, `a reader on ${words.reader} is one schema, and documents ${words.written} may match any ${combiner} branch, which it may reject`)]
}

function shapeOf(schema: Json): string {
  const [combiner] = combinersOf(schema)
  return combiner ? `${combiner} of ${(schema[combiner] as unknown[]).length}` : describeTypes(typesOf(schema))
}

/** Branches without repeats, as Confluent collapses them. */
function distinct(branches: Schema[], idOf: (value: unknown) => number): Schema[] {
  const seen = new Set<number>()
  return branches.filter((branch) => {
    const key = idOf(branch)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}


/** TYPE_CHANGED: a combiner added beside other keywords makes the reader an allOf that the writer's single schema is not compared with. */
export function combinerAddedRule({words}: Context, {reader}: Pair, combiner: Combiner): Finding[] {
  const branches = (reader[combiner] as unknown[]).length
  return [finding('', words.pick(`gained ${combiner} of ${branches}`, `lost ${combiner} of ${branches}`), `a reader on ${words.reader} also requires its ${combiner}, which documents ${words.written} were not checked against`)]
}
