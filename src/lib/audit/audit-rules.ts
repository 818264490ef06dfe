import {wireSchemaId} from '../codec/wire-format.js'
import {isSubjectOfTopic} from '../codec/subject-names.js'
import {lastHeader, type LogRecord, positionOf} from '../log/event-log.js'
import {formatDuration} from '../trace/verdict.js'

/** The principles `evt audit` checks, in the order it reports them. */
export const RULE_NAMES = ['single-writer', 'schema', 'key-partition', 'order', 'duplicates', 'tombstones'] as const
export type RuleName = (typeof RULE_NAMES)[number]

/** One broken principle on one topic (or event type): how often, and where to look first. */
export interface Violation {
  count: number
  /** The first positions, as `topic[partition]@offset`. */
  evidence: string[]
  message: string
  rule: RuleName
  topic: string
}

/** What a rule reads each record for, and what it concludes once every record is read. */
export interface AuditRule {
  /** Asynchronous conclusions, such as asking the registry about schema ids. */
  finish?(): Promise<void>
  readonly name: RuleName
  observe(record: LogRecord): void
  violations(): Violation[]
}

const EVIDENCE = 5

/** A count with its first positions. */
class Tally {
  count = 0
  readonly first: string[] = []
  add(record: LogRecord): void {
    this.count++
    if (this.first.length < EVIDENCE) this.first.push(positionOf(record))
  }

  /** Adds another tally's count and first positions (each id of one schema version, say). */
  absorb(other: Tally): void {
    this.count += other.count
    this.first.push(...other.first.slice(0, EVIDENCE - this.first.length))
  }
}

function tallyOf<K>(map: Map<K, Tally>, key: K): Tally {
  let tally = map.get(key)
  if (!tally) map.set(key, (tally = new Tally()))
  return tally
}

const headerText = (record: LogRecord, name: string) => lastHeader(record.headers, name)?.toString('utf8')
const plural = (count: number, word: string) => `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`

/**
 * One service writes each topic and each event type. The writer is the `ce_source` header, else
 * the topic's owner declared in evt.yaml; a declared owner is the truth, so any other writer of
 * that topic is a violation even when it is the only one.
 */
export class SingleWriterRule implements AuditRule {
  readonly name = 'single-writer'
  private readonly byTopic = new Map<string, Map<string, Tally>>()
  private readonly byType = new Map<string, Map<string, Tally>>()
  private readonly topicsOfType = new Map<string, Set<string>>()

  constructor(private readonly owners: Map<string, string>) {}

  observe(record: LogRecord): void {
    const writer = headerText(record, 'ce_source') ?? this.owners.get(record.topic)
    if (writer === undefined) return
    tallyOf(this.writersOf(this.byTopic, record.topic), writer).add(record)
    const type = headerText(record, 'ce_type')
    if (type === undefined) return
    tallyOf(this.writersOf(this.byType, type), writer).add(record)
    const topics = this.topicsOfType.get(type) ?? new Set<string>()
    this.topicsOfType.set(type, topics.add(record.topic))
  }

  violations(): Violation[] {
    const found: Violation[] = []
    for (const [topic, writers] of this.byTopic) {
      const owner = this.owners.get(topic)
      const others = owner === undefined ? (writers.size > 1 ? [...writers] : []) : [...writers].filter(([writer]) => writer !== owner)
      if (others.length === 0) continue
      const listed = [...writers].map(([writer, tally]) => `${writer} (${plural(tally.count, 'record')}, first ${tally.first[0]})`).join(', ')
      found.push({
        count: others.reduce((sum, [, tally]) => sum + tally.count, 0),
        evidence: others.flatMap(([, tally]) => tally.first).slice(0, EVIDENCE),
        message: owner === undefined ? `written by ${writers.size} services: ${listed}` : `owned by ${owner} in evt.yaml, also written by ${others.map(([writer]) => writer).join(', ')}: ${listed}`,
        rule: this.name,
        topic,
      })
    }

    // Within one topic the topic's own finding covers a type's second writer; across topics it is news.
    for (const [type, writers] of this.byType) {
      if (writers.size < 2 || this.topicsOfType.get(type)!.size < 2) continue
      const [, ...others] = [...writers].sort(([, a], [, b]) => b.count - a.count)
      found.push({
        count: others.reduce((sum, [, tally]) => sum + tally.count, 0),
        evidence: others.flatMap(([, tally]) => tally.first).slice(0, EVIDENCE),
        message: `event type ${type} written by ${writers.size} services: ${[...writers].map(([writer, tally]) => `${writer} (${plural(tally.count, 'record')})`).join(', ')}`,
        rule: this.name,
        topic: [...this.topicsOfType.get(type)!].join(', '),
      })
    }

    return found
  }

  private writersOf(map: Map<string, Map<string, Tally>>, name: string): Map<string, Tally> {
    let writers = map.get(name)
    if (!writers) map.set(name, (writers = new Map()))
    return writers
  }
}

/** What the schema rule asks the registry; without one, ids cannot be checked and every answer is "fine". */
export interface SchemaFacts {
  exists(id: number): Promise<boolean>
  /** Why version `newer` of a subject may not follow `older` under the subject's level; undefined when it may. */
  incompatibility(subject: string, older: number, newer: number): Promise<string | undefined>
  versionsOf(id: number): Promise<{subject: string; version: number}[]>
}

/**
 * Every value (and every key, on a topic whose keys are registry-encoded) is in the registry's
 * wire format with a schema id the registry knows, and the versions of a subject used on a topic
 * may follow each other under the subject's level (versions registered while the level was NONE,
 * or under another, may not). Only the five header bytes of each record are read.
 */
export class SchemaRule implements AuditRule {
  readonly name = 'schema'
  private readonly topics = new Map<string, {ids: Map<number, Tally>; plainKeys: Tally; rawJson: Tally; undecodable: Tally; wireKeys: number}>()
  private readonly found: Violation[] = []

  constructor(private readonly facts: SchemaFacts) {}

  observe(record: LogRecord): void {
    const topic = this.topicOf(record.topic)
    if (record.key !== null) {
      if (wireSchemaId(record.key) === undefined) topic.plainKeys.add(record)
      else topic.wireKeys++
    }

    if (record.value === null) return
    const id = wireSchemaId(record.value)
    if (id !== undefined) tallyOf(topic.ids, id).add(record)
    else if (looksLikeJson(record.value)) topic.rawJson.add(record)
    else topic.undecodable.add(record)
  }

  async finish(): Promise<void> {
    for (const [topic, counts] of this.topics) {
      const unknown: [number, Tally][] = []
      const versions = new Map<string, Map<number, Tally>>()
      for (const [id, tally] of counts.ids) {
        if (!(await this.facts.exists(id))) {
          unknown.push([id, tally])
          continue
        }

        // The topic's own subjects, where the id is under some (it may be under other topics' as well); else every one (a record name strategy).
        const all = await this.facts.versionsOf(id)
        const own = all.filter(({subject}) => isSubjectOfTopic(subject, topic))
        for (const {subject, version} of own.length > 0 ? own : all) {
          if (!versions.has(subject)) versions.set(subject, new Map())
          tallyOf(versions.get(subject)!, version).absorb(tally)
        }
      }

      if (unknown.length > 0) {
        const count = unknown.reduce((sum, [, tally]) => sum + tally.count, 0)
        this.found.push({count, evidence: unknown.flatMap(([, tally]) => tally.first).slice(0, EVIDENCE), message: `${plural(count, 'value')} with a schema id the registry does not know (${unknown.map(([id]) => id).join(', ')})`, rule: this.name, topic})
      }

      for (const [subject, used] of versions) await this.checkVersions(topic, subject, used)
      if (counts.rawJson.count > 0) this.found.push(this.violation(topic, counts.rawJson, `${plural(counts.rawJson.count, 'value')} of plain JSON, with no registered schema`))
      if (counts.undecodable.count > 0) this.found.push(this.violation(topic, counts.undecodable, `${plural(counts.undecodable.count, 'value')} neither in the registry's wire format nor JSON`))
      if (counts.wireKeys > 0 && counts.plainKeys.count > 0) this.found.push(this.violation(topic, counts.plainKeys, `${plural(counts.plainKeys.count, 'key')} not registry-encoded, where ${plural(counts.wireKeys, 'other key')} are`))
    }
  }

  violations(): Violation[] {
    return this.found
  }

  /** Each version used after another one on the topic must be able to follow it. */
  private async checkVersions(topic: string, subject: string, used: Map<number, Tally>): Promise<void> {
    const sorted = [...used.keys()].sort((a, b) => a - b)
    for (const [i, newer] of sorted.entries()) {
      if (i === 0) continue
      const older = sorted[i - 1]
      const why = await this.facts.incompatibility(subject, older, newer)
      if (why === undefined) continue
      const tally = used.get(newer)!
      this.found.push(this.violation(topic, tally, `${plural(tally.count, 'value')} written with ${subject} v${newer}, which may not follow v${older} (also used here): ${why}`))
    }
  }

  private violation(topic: string, tally: Tally, message: string): Violation {
    return {count: tally.count, evidence: tally.first, message, rule: this.name, topic}
  }

  private topicOf(name: string) {
    let topic = this.topics.get(name)
    if (!topic) this.topics.set(name, (topic = {ids: new Map(), plainKeys: new Tally(), rawJson: new Tally(), undecodable: new Tally(), wireKeys: 0}))
    return topic
  }
}

/** Kafka orders records per partition: one key on two partitions has no order, and a null key among keyed records has none either. */
export class KeyPartitionRule implements AuditRule {
  readonly name = 'key-partition'
  private readonly topics = new Map<string, {keyed: number; keyless: Tally; partitionOf: Map<string, number>; split: Tally; splitKeys: Set<string>}>()

  observe(record: LogRecord): void {
    let topic = this.topics.get(record.topic)
    if (!topic) this.topics.set(record.topic, (topic = {keyed: 0, keyless: new Tally(), partitionOf: new Map(), split: new Tally(), splitKeys: new Set()}))
    if (record.key === null) {
      if (record.value !== null) topic.keyless.add(record)
      return
    }

    topic.keyed++
    // latin1: one character per byte, so binary keys stay distinct and cheap to hold.
    const key = record.key.toString('latin1')
    const partition = topic.partitionOf.get(key)
    if (partition === undefined) topic.partitionOf.set(key, record.partition)
    else if (partition !== record.partition) {
      topic.split.add(record)
      topic.splitKeys.add(key)
    }
  }

  violations(): Violation[] {
    const found: Violation[] = []
    for (const [topic, counts] of this.topics) {
      if (counts.splitKeys.size > 0) {
        const example = [...counts.splitKeys][0]
        found.push({count: counts.splitKeys.size, evidence: counts.split.first, message: `${plural(counts.splitKeys.size, 'key')} on more than one partition (e.g. ${JSON.stringify(example)}): their records have no order`, rule: this.name, topic})
      }

      if (counts.keyed > 0 && counts.keyless.count > 0) {
        found.push({count: counts.keyless.count, evidence: counts.keyless.first, message: `${plural(counts.keyless.count, 'record')} without a key, where ${plural(counts.keyed, 'other record')} have one`, rule: this.name, topic})
      }
    }

    return found
  }
}

/** Timestamps within a partition do not go back by more than `skewMs` (producers' clocks drift a little). */
export class OrderRule implements AuditRule {
  readonly name = 'order'
  private readonly latest = new Map<string, number>()
  private readonly back = new Map<string, {tally: Tally; worstMs: number}>()

  constructor(private readonly skewMs: number) {}

  observe(record: LogRecord): void {
    const partition = `${record.topic}[${record.partition}]`
    const latest = this.latest.get(partition)
    if (latest === undefined || record.timestamp > latest) {
      this.latest.set(partition, record.timestamp)
      return
    }

    if (latest - record.timestamp <= this.skewMs) return
    let back = this.back.get(record.topic)
    if (!back) this.back.set(record.topic, (back = {tally: new Tally(), worstMs: 0}))
    back.tally.add(record)
    back.worstMs = Math.max(back.worstMs, latest - record.timestamp)
  }

  violations(): Violation[] {
    return [...this.back].map(([topic, {tally, worstMs}]) => ({
      count: tally.count,
      evidence: tally.first,
      message: `${plural(tally.count, 'record')} with a timestamp before an earlier record of its partition by more than ${formatDuration(this.skewMs)} (at most ${formatDuration(worstMs)})`,
      rule: this.name,
      topic,
    }))
  }
}

/** An event id (`ce_id`) is published once per topic: a second copy is a producer retry or a replay gone wrong. */
export class DuplicatesRule implements AuditRule {
  readonly name = 'duplicates'
  private readonly seen = new Map<string, Set<string>>()
  private readonly duplicates = new Map<string, Tally>()

  observe(record: LogRecord): void {
    const id = headerText(record, 'ce_id')
    if (id === undefined) return
    let ids = this.seen.get(record.topic)
    if (!ids) this.seen.set(record.topic, (ids = new Set()))
    if (ids.has(id)) tallyOf(this.duplicates, record.topic).add(record)
    else ids.add(id)
  }

  violations(): Violation[] {
    return [...this.duplicates].map(([topic, tally]) => ({count: tally.count, evidence: tally.first, message: `${plural(tally.count, 'record')} repeating the ce_id of an earlier one`, rule: this.name, topic}))
  }
}

/**
 * A tombstone deletes a key: one without a key deletes nothing. On a topic whose cleanup policy
 * is known not to compact, tombstones never remove the records before them either.
 */
export class TombstonesRule implements AuditRule {
  readonly name = 'tombstones'
  private readonly keyless = new Map<string, Tally>()
  private readonly uncompacted = new Map<string, Tally>()

  constructor(private readonly compacts: Map<string, boolean | undefined>) {}

  observe(record: LogRecord): void {
    if (record.value !== null) return
    if (record.key === null) tallyOf(this.keyless, record.topic).add(record)
    else if (this.compacts.get(record.topic) === false) tallyOf(this.uncompacted, record.topic).add(record)
  }

  violations(): Violation[] {
    return [
      ...[...this.keyless].map(([topic, tally]) => ({count: tally.count, evidence: tally.first, message: `${plural(tally.count, 'tombstone')} without a key: they delete nothing`, rule: this.name, topic})),
      ...[...this.uncompacted].map(([topic, tally]) => ({count: tally.count, evidence: tally.first, message: `${plural(tally.count, 'tombstone')} on a topic whose cleanup.policy does not compact: the records they delete stay`, rule: this.name, topic})),
    ] as Violation[]
  }
}

function looksLikeJson(bytes: Buffer): boolean {
  const first = bytes.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)
  if (first !== 0x7b && first !== 0x5b) return false
  try {
    JSON.parse(bytes.toString('utf8'))
    return true
  } catch {
    return false
  }
}
