import * as Args from '@oclif/core/args'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {UsageError} from '../../lib/errors.js'
import {COMPATIBILITY_LEVELS, type CompatibilityLevel} from '../../lib/registry/schema-registry.js'

export default class SchemaCompat extends EvtCommand<typeof SchemaCompat> {
  static args = {
    subject: Args.string({description: 'a subject; omit (or use "-") for the global level'}),
    level: Args.string({description: `set this level: ${COMPATIBILITY_LEVELS.join(', ')}`}),
  }

  static description = prose`Gets or sets a compatibility level, per subject or global. Confluent's semantics: BACKWARD
(readers on the new schema read old data), FORWARD (readers on old schemas read new data), FULL
(both); the _TRANSITIVE variants check against every version, the others against the latest only.`

  static examples = [
    '<%= config.bin %> schema compat orders-value',
    '<%= config.bin %> schema compat orders-value FULL_TRANSITIVE',
    '<%= config.bin %> schema compat - BACKWARD',
  ]

  static summary = 'Get or set a compatibility level.'

  async run(): Promise<JsonResult['schema:compat']> {
    const subject = this.args.subject === undefined || this.args.subject === '-' ? undefined : this.args.subject
    // Setting a level writes (and may create the embedded log); reading one never does.
    const {registry} = await this.openBackend(this.loadConfig(), this.args.level !== undefined)
    if (this.args.level !== undefined) {
      const level = this.args.level.toUpperCase() as CompatibilityLevel
      if (!COMPATIBILITY_LEVELS.includes(level)) throw new UsageError(`unknown compatibility level '${this.args.level}': use one of ${COMPATIBILITY_LEVELS.join(', ')}`)
      await registry.setCompatibility(level, subject)
    }

    const level = await registry.getCompatibility(subject)
    if (!this.jsonEnabled()) this.log(`${subject ?? '(global)'}: ${level}`)
    return {level, subject: subject ?? null}
  }
}
