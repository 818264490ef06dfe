import {RecordDecoder} from '../codec/record-decoder.js'
import {asKeyText, type DecodeBytes, decodedKey} from '../codec/record-key.js'
import {lastHeader, type EventLog, type LogRecord} from '../log/event-log.js'
import {readRecords} from '../read/read-records.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {eventTypeOf} from '../util/event-type.js'

/** A proposed flow: the topics that carry one business id, where each carries it, who writes them, how an id's story ends. */
export interface ProposedFlow {
  ends: string[]
  /** How many ids the topics share (in the sample). */
  ids: number
  name: string
  owners: Record<string, string>
  topics: Record<string, string>
}

export interface DiscoverResult {
  flows: ProposedFlow[]
  /** Records read per topic. */
  sampled: Record<string, number>
}

/** Values nested deeper than this are not id candidates. */
const MAX_DEPTH = 3
/** A locator with fewer distinct values (a status, a currency) is not an id. */
const MIN_DISTINCT = 10
/** Share of the smaller value set found in the other for two locators to carry the same id. */
const MIN_OVERLAP = 0.5
/** An event type is an end when it is the last event of at least this share of the ids it appears in. */
const MIN_END_SHARE = 0.25
const NOT_IDS = new Set(['header:ce_id', 'header:ce_type', 'header:ce_source', 'header:ce_time', 'header:ce_specversion'])

interface Candidate {
  locator: string
  topic: string
  values: Set<string>
}

interface Sampled {
  candidates: Map<string, Candidate>
  /** Per record: each candidate locator's value in it, as text. */
  found: Map<string, string>[]
  records: LogRecord[]
  types: (null | string)[]
}

/**
 * Finds the fields that join records across topics. It samples the first `sample` records of each
 * topic, collects candidate id locators (the key, headers, string and number fields of the value)
 * with the values they take, and pairs locators of different topics whose values overlap strongly:
 * the same business id. Topics joined that way form a flow, with the locator each carries the id
 * in (the record key, then a header, then a value path, when several carry the same values), the
 * owner of each topic (its most common ce_source) and the event types that end an id's story.
 */
export async function discoverFlows(options: {log: EventLog; registry: SchemaRegistry; sample: number; signal?: AbortSignal; topics: string[]; warn?: (message: string) => void}): Promise<DiscoverResult> {
  const decoder = new RecordDecoder(options.registry, options.warn)
  const decode: DecodeBytes = (bytes, topic) => decoder.decode(bytes, topic)
  const sampled = new Map<string, Sampled>()
  for (const topic of options.topics) {
    const sample: Sampled = {candidates: new Map(), found: [], records: [], types: []}
    // With `decoder`, the read fetches each batch's schemas for it: decode is synchronous after.
    for await (const batch of readRecords({follow: false, from: {kind: 'beginning'}, limit: options.sample, log: options.log, registry: options.registry, signal: options.signal, topics: [topic], warn: options.warn}, decoder)) {
      for (const {record} of batch) collect(sample, record, decode)
    }

    sampled.set(topic, sample)
  }

  const pairs = overlappingPairs([...sampled.values()].flatMap((sample) => [...sample.candidates.values()]))
  const flows = groupIntoFlows(pairs).map((group) => proposeFlow(group, sampled))
  return {flows: flows.filter((flow) => Object.keys(flow.topics).length > 1).sort((a, b) => b.ids - a.ids), sampled: Object.fromEntries([...sampled].map(([topic, sample]) => [topic, sample.records.length]))}
}

function collect(sample: Sampled, record: LogRecord, decode: DecodeBytes): void {
  const value = record.value === null ? null : decode(record.value, record.topic)
  const found = new Map<string, string>()
  sample.records.push(record)
  sample.found.push(found)
  sample.types.push(eventTypeOf(record.headers, value?.type))
  const add = (locator: string, field: unknown) => {
    // Ids are text, or whole numbers named like an id (orderId, customer_id): an order's total and its payment's amount are the same numbers, and no id.
    const number = typeof field === 'bigint' || (typeof field === 'number' && Number.isInteger(field))
    const text = typeof field === 'string' || (number && (!locator.startsWith('$.') || /id$/i.test(locator))) ? asKeyText(field) : undefined
    if (text === undefined || text === '') return
    let candidate = sample.candidates.get(locator)
    if (!candidate) sample.candidates.set(locator, (candidate = {locator, topic: record.topic, values: new Set()}))
    candidate.values.add(text)
    found.set(locator, text)
  }

  add('key', decodedKey(record, decode))
  for (const [name, bytes] of record.headers) if (bytes !== null && !NOT_IDS.has(`header:${name}`)) add(`header:${name}`, bytes.toString('utf8'))
  walkFields(value?.value, '$', 0, add)
}

/** Every string and number field of a value, as `$.a.b` paths (arrays are not ids). */
function walkFields(value: unknown, path: string, depth: number, add: (locator: string, found: unknown) => void): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value) || depth >= MAX_DEPTH) return
  for (const [field, inner] of Object.entries(value)) {
    if (!/^[A-Za-z_]\w*$/.test(field)) continue
    const at = `${path}.${field}`
    if (typeof inner === 'object' && inner !== null) walkFields(inner, at, depth + 1, add)
    else add(at, inner)
  }
}

interface Pair {
  a: Candidate
  b: Candidate
  shared: number
}

function overlappingPairs(candidates: Candidate[]): Pair[] {
  const ids = candidates.filter((candidate) => candidate.values.size >= MIN_DISTINCT)
  const pairs: Pair[] = []
  for (const [i, a] of ids.entries()) {
    for (const b of ids.slice(i + 1)) {
      if (a.topic === b.topic) continue
      const [small, large] = a.values.size <= b.values.size ? [a.values, b.values] : [b.values, a.values]
      let shared = 0
      for (const value of small) if (large.has(value)) shared++
      if (shared / small.size >= MIN_OVERLAP) pairs.push({a, b, shared})
    }
  }

  return pairs
}

/** Connected groups of locators (a locator in several pairs joins them). */
function groupIntoFlows(pairs: Pair[]): Candidate[][] {
  const groupOf = new Map<Candidate, Set<Candidate>>()
  for (const {a, b} of pairs) {
    const merged = new Set([...(groupOf.get(a) ?? [a]), ...(groupOf.get(b) ?? [b])])
    for (const candidate of merged) groupOf.set(candidate, merged)
  }

  return [...new Set(groupOf.values())].map((group) => [...group])
}

/** Where each topic carries the id: the locator sharing the most values with the other topics', the key, a header, then a path in a tie. */
function proposeFlow(group: Candidate[], sampled: Map<string, Sampled>): ProposedFlow {
  const rank = (locator: string) => (locator === 'key' ? 0 : locator.startsWith('header:') ? 1 : 2)
  const all = new Set(group.flatMap((candidate) => [...candidate.values]))
  const topics: Record<string, string> = {}
  const chosen = new Map<string, Candidate>()
  for (const candidate of group) {
    const current = chosen.get(candidate.topic)
    const score = (c: Candidate) => overlapWithOthers(c, group)
    if (!current || score(candidate) > score(current) || (score(candidate) === score(current) && rank(candidate.locator) < rank(current.locator))) chosen.set(candidate.topic, candidate)
  }

  for (const topic of [...sampled.keys()]) if (chosen.has(topic)) topics[topic] = chosen.get(topic)!.locator
  const owners: Record<string, string> = {}
  for (const topic of Object.keys(topics)) {
    const owner = mostCommon(sampled.get(topic)!.records.map((record) => lastHeader(record.headers, 'ce_source')?.toString('utf8')))
    if (owner !== undefined) owners[topic] = owner
  }

  const ids = new Set([...chosen.values()].flatMap((candidate) => [...candidate.values]).filter((value) => all.has(value)))
  return {ends: endTypes(chosen, sampled), ids: ids.size, name: flowName([...chosen.values()].map((c) => c.locator)), owners, topics}
}

function overlapWithOthers(candidate: Candidate, group: Candidate[]): number {
  let shared = 0
  for (const other of group) {
    if (other.topic === candidate.topic) continue
    for (const value of candidate.values) if (other.values.has(value)) shared++
  }

  return shared
}

/**
 * The event types that end an id's story: a type that is the last event (by timestamp) across the
 * flow's topics for a good share of the ids it appears in; and the states the id's own topic (the
 * one keyed by it, such as orders) ends in, though other topics go on after them (shipping after
 * a confirmed order).
 */
function endTypes(chosen: Map<string, Candidate>, sampled: Map<string, Sampled>): string[] {
  const ends = new Set(lastTypes([...chosen], sampled))
  const own = [...chosen].filter(([, candidate]) => candidate.locator === 'key')
  if (own.length === 1) for (const type of lastTypes(own, sampled)) ends.add(type)
  return [...ends].sort()
}

/** The types that are the last event of an id, in `topics`, for at least MIN_END_SHARE of the ids they appear in. */
function lastTypes(topics: [string, Candidate][], sampled: Map<string, Sampled>): string[] {
  const last = new Map<string, {timestamp: number; type: string}>()
  const seenIn = new Map<string, Set<string>>()
  for (const [topic, candidate] of topics) {
    const sample = sampled.get(topic)!
    for (const [i, record] of sample.records.entries()) {
      const type = sample.types[i]
      if (type === null || record.value === null) continue
      const id = sample.found[i].get(candidate.locator)
      if (id === undefined) continue
      const ids = seenIn.get(type) ?? new Set<string>()
      seenIn.set(type, ids.add(id))
      const previous = last.get(id)
      if (!previous || record.timestamp >= previous.timestamp) last.set(id, {timestamp: record.timestamp, type})
    }
  }

  const lastCount = new Map<string, number>()
  for (const {type} of last.values()) lastCount.set(type, (lastCount.get(type) ?? 0) + 1)
  return [...lastCount].filter(([type, count]) => count / seenIn.get(type)!.size >= MIN_END_SHARE).map(([type]) => type)
}

function mostCommon(values: (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>()
  for (const value of values) if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0]
}

/** Named after the id: `$.orderId` → order, `header:customer_id` → customer; else `flow`. */
function flowName(locators: string[]): string {
  for (const locator of locators) {
    const field = locator.startsWith('$.') ? locator.slice(locator.lastIndexOf('.') + 1) : locator.startsWith('header:') ? locator.slice('header:'.length) : undefined
    const name = field?.replace(/[_-]?id$/i, '')
    if (name && /^[A-Za-z]\w*$/.test(name)) return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`).replace(/^_/, '')
  }

  return 'flow'
}
