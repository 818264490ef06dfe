import * as Args from '@oclif/core/args'

import {EvtCommand} from '../../cli/base-command.js'
import type {JsonResult} from '../../cli/results.js'
import {UsageError} from '../../lib/errors.js'
import {referencedTexts} from '../../lib/registry/references.js'
import {diffSchemas} from '../../lib/schema/schema-diff.js'

export default class SchemaDiff extends EvtCommand<typeof SchemaDiff> {
  static args = {
    subject: Args.string({description: 'the subject', required: true}),
    from: Args.string({description: 'older version (default: the one before TO)'}),
    to: Args.string({description: 'newer version (default: latest)'}),
  }

  static description = 'Shows, field by field, what changed between two versions of a subject: fields added, removed, with a changed type, or with a changed default.'
  static examples = ['<%= config.bin %> schema diff orders-value', '<%= config.bin %> schema diff orders-value 1 3 --json']
  static summary = 'Field-level diff of two schema versions.'

  async run(): Promise<JsonResult['schema:diff']> {
    const {registry} = await this.openBackend()
    const {subject} = this.args
    const versions = await registry.versions(subject)
    const pick = (text: string | undefined, fallback: number | undefined, name: string) => {
      if (text === undefined || text === 'latest') {
        if (fallback === undefined) throw new UsageError(`'${subject}' has only version ${versions[0]}: nothing to compare it with`)
        return fallback
      }

      if (!versions.includes(Number(text))) throw new UsageError(`'${subject}' has no version ${text} for ${name} (versions: ${versions.join(', ')})`)
      return Number(text)
    }

    const to = pick(this.args.to, versions.at(-1), 'TO')
    const from = pick(this.args.from, versions.filter((v) => v < to).at(-1), 'FROM')
    const [before, after] = [await registry.getVersion(subject, from), await registry.getVersion(subject, to)]
    if (before.schemaType !== after.schemaType) throw new UsageError(`v${from} is ${before.schemaType} and v${to} is ${after.schemaType}: no field-level diff across formats`)
    const changes = diffSchemas(before, after, {after: await referencedTexts(after, registry), before: await referencedTexts(before, registry)})
    if (!this.jsonEnabled()) {
      this.log(`${subject} v${from} → v${to}`)
      this.log(changes.length === 0 ? '  no field-level changes' : changes.map((c) => `  ${c.kind.padEnd(15)} ${c.path}  ${[c.before, c.after].filter(Boolean).join(' → ')}`).join('\n'))
    }

    return {changes, from, subject, to}
  }
}
