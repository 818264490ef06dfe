import type {AuditConfig, FlowConfig} from '../config/types.js'
import {EvtError, UsageError} from '../errors.js'
import type {EventLog} from '../log/event-log.js'
import {readRecords, requireTopics} from '../read/read-records.js'
import type {StartPosition} from '../read/start-position.js'
import type {SchemaRegistry} from '../registry/schema-registry.js'
import {versionIssues} from '../schema/compatibility.js'
import {userTopics} from '../topics/internal-topics.js'
import {
  type AuditRule,
  DuplicatesRule,
  KeyPartitionRule,
  OrderRule,
  RULE_NAMES,
  type RuleName,
  type SchemaFacts,
  SchemaRule,
  SingleWriterRule,
  TombstonesRule,
  type Violation,
} from './audit-rules.js'

export interface AuditOptions {
  config: AuditConfig
  flows: Record<string, FlowConfig>
  from?: StartPosition
  log: EventLog
  registry: SchemaRegistry
  /** The rules to check (--rule); default: every rule. */
  rules?: RuleName[]
  signal?: AbortSignal
  /** How far a timestamp may go back within a partition before the order rule counts it. */
  skewMs: number
  /** The topics to audit; default: every topic but Kafka's and the registry's own. */
  topics: string[]
  until?: number
  warn?: (message: string) => void
}

/** `evt audit --json`: every rule checked, with its violations (none when it holds). */
export interface AuditResult {
  records: number
  rules: {ok: boolean; rule: RuleName; violations: Violation[]}[]
  topics: string[]
}

/**
 * Reads the topics once, bounded like `topic tail` (--from, --until, the high watermarks at
 * start), and checks the principles that keep shared data usable: one writer per topic and event
 * type, schemas everywhere, keys that keep order, timestamps that do not go back, no duplicate
 * event ids, tombstones that delete something. Values are never decoded: headers, keys and the
 * five-byte wire header say all the rules need.
 */
export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const {config, log} = options
  const selected = requireRuleNames(options.rules ?? [...RULE_NAMES]).filter((rule) => !config.ignore.includes(rule))
  const topics = options.topics.length > 0 ? options.topics : await userTopics(log)
  await requireTopics(log, topics)
  const compacts = selected.includes('tombstones') ? new Map(await Promise.all(topics.map(async (topic) => [topic, await log.compacts(topic)] as const))) : new Map()
  const rules = selected.map((name) => makeRule(name, options, compacts))
  let records = 0
  if (topics.length > 0) {
    for await (const batch of readRecords({follow: false, from: options.from ?? {kind: 'beginning'}, log, registry: options.registry, signal: options.signal, topics, until: options.until, warn: options.warn})) {
      records += batch.length
      for (const {record} of batch) for (const rule of rules) rule.observe(record)
    }
  }

  for (const rule of rules) await rule.finish?.()
  // `RULE:TOPIC` in audit.ignore leaves out one rule's findings on one topic.
  const ignored = (violation: Violation) => config.ignore.includes(`${violation.rule}:${violation.topic}`)
  return {
    records,
    rules: rules.map((rule) => {
      const violations = rule.violations().filter((violation) => !ignored(violation))
      return {ok: violations.length === 0, rule: rule.name, violations}
    }),
    topics,
  }
}

export function requireRuleNames(names: string[]): RuleName[] {
  const unknown = names.filter((name) => !(RULE_NAMES as readonly string[]).includes(name))
  if (unknown.length > 0) throw new UsageError(`unknown audit rule${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `'${name}'`).join(', ')}`, {hint: `rules: ${RULE_NAMES.join(', ')}`})
  return names as RuleName[]
}

function makeRule(name: RuleName, options: AuditOptions, compacts: Map<string, boolean | undefined>): AuditRule {
  switch (name) {
    case 'duplicates': {
      return new DuplicatesRule()
    }

    case 'key-partition': {
      return new KeyPartitionRule()
    }

    case 'order': {
      return new OrderRule(options.skewMs)
    }

    case 'schema': {
      return new SchemaRule(schemaFacts(options))
    }

    case 'single-writer': {
      return new SingleWriterRule(declaredOwners(options.flows))
    }

    case 'tombstones': {
      return new TombstonesRule(compacts)
    }
  }
}

/** The registry's answers for the schema rule; without a registry, ids cannot be checked (said once) and all is taken as fine. */
function schemaFacts(options: AuditOptions): SchemaFacts {
  const {registry} = options
  let configured = true
  const ask = async <T>(question: () => Promise<T>, otherwise: T): Promise<T> => {
    if (!configured) return otherwise
    try {
      return await question()
    } catch (error) {
      if (!(error instanceof EvtError) || error.code !== 'REGISTRY_NOT_CONFIGURED') throw error
      options.warn?.('the cluster has no schema registry: schema ids were not checked')
      configured = false
      return otherwise
    }
  }

  return {
    exists: (id) =>
      ask(async () => {
        try {
          await registry.getSchema(id)
          return true
        } catch (error) {
          if (error instanceof EvtError && error.code === 'SCHEMA_NOT_FOUND') return false
          throw error
        }
      }, true),
    async incompatibility(subject, older, newer) {
      const level = await registry.getCompatibility(subject)
      const [existing, candidate] = [await registry.getVersion(subject, older), await registry.getVersion(subject, newer)]
      const issues = await versionIssues({candidate, candidateName: `v${newer}`, existing, level, registry})
      return issues.length === 0 ? undefined : `${issues[0].slice(issues[0].indexOf(': ') + 2)}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`
    },
    versionsOf: (id) => ask(() => registry.subjectVersionsForId(id), []),
  }
}

/** The owner evt.yaml declares for each topic (`owners:` of the flows; the first flow naming a topic wins). */
function declaredOwners(flows: Record<string, FlowConfig>): Map<string, string> {
  const owners = new Map<string, string>()
  for (const flow of Object.values(flows)) for (const [topic, owner] of Object.entries(flow.owners)) if (!owners.has(topic)) owners.set(topic, owner)
  return owners
}
