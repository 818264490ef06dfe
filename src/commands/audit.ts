import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../cli/base-command.js'
import {fromFlag, untilFlag} from '../cli/flags.js'
import {useInteractiveOutput} from '../cli/output.js'
import {prose} from '../cli/prose.js'
import type {JsonResult} from '../cli/results.js'
import {RULE_NAMES} from '../lib/audit/audit-rules.js'
import {requireRuleNames, runAudit} from '../lib/audit/run-audit.js'
import {UsageError} from '../lib/errors.js'
import {parseDuration} from '../lib/read/start-position.js'
import {formatAudit, formatAuditGithub} from '../ui/audit-format.js'

export default class Audit extends EvtCommand<typeof Audit> {
  static args = {topics: Args.string({description: 'topics to audit (default: every topic but Kafka’s and the registry’s own)'})}
  static description = prose`Reads topics once, bounded like topic tail (the high watermarks at start, --from, --until),
and checks the principles that keep shared events usable: single-writer (one service writes each
topic and event type: the ce_source header, or the owner evt.yaml declares), schema (every value in
the registry's wire format with an id it knows; keys too where a topic encodes them), key-partition
(a key on one partition only; no keyless records among keyed ones), order (timestamps within a
partition going back by more than --skew), duplicates (a ce_id seen twice on a topic) and tombstones
(a tombstone without a key). Each violation comes with a count and the first positions, as
topic[partition]@offset. Exit 0 when every rule holds, 1 when one is broken. audit: {ignore: [RULE,
RULE:TOPIC]} in evt.yaml leaves rules out.`

  static examples = [
    '<%= config.bin %> audit',
    '<%= config.bin %> audit orders payments --rule single-writer --rule schema',
    '<%= config.bin %> audit --from -1d --json',
    '<%= config.bin %> audit --format github',
  ]

  static flags = {
    format: Flags.option({default: 'text', description: 'text, or GitHub Actions annotations', options: ['text', 'github'] as const})(),
    from: fromFlag({helpValue: 'POSITION', summary: 'where the scan starts in each partition (default: beginning)'}),
    rule: Flags.string({description: `check only this rule (repeatable): ${RULE_NAMES.join(', ')}`, helpValue: 'RULE', multiple: true}),
    skew: Flags.string({default: '5s', description: 'how far a timestamp may go back within a partition before the order rule counts it', helpValue: 'DURATION'}),
    until: untilFlag({}),
  }

  static strict = false
  static summary = 'Check the log against the principles of shared data: one writer, schemas, keys, order.'

  async run(): Promise<JsonResult['audit']> {
    const {flags} = this
    const skewMs = parseDuration(flags.skew)
    if (skewMs === undefined) throw new UsageError(`cannot read --skew '${flags.skew}': expected e.g. 500ms, 5s, 2m`)
    const rules = flags.rule && requireRuleNames(flags.rule)
    const config = this.loadConfig()
    const {log, registry} = await this.openBackend(config)
    const result = await runAudit({config: config.audit, flows: config.flows, from: flags.from, log, registry, rules, signal: this.signal, skewMs, topics: this.positional, until: flags.until, warn: (message) => this.warn(message)})
    // Interrupted: a partial scan would pass rules it did not finish checking.
    this.exitIfInterrupted()
    if (!this.jsonEnabled()) {
      if (flags.format === 'github') this.log(formatAuditGithub(result))
      else this.log(formatAudit(result, {table: useInteractiveOutput(false)}))
    }

    if (result.rules.some(({ok}) => !ok)) this.foundProblem('AUDIT_FAILED')
    return result
  }
}
