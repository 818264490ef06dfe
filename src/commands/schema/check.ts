import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {schemaFileArgs, schemaFileFlags} from '../../cli/schema-flags.js'
import {schemaFilesFor} from '../../lib/schema/schema-file.js'
import {checkSchemaFiles} from '../../lib/schema/schema-workflow.js'
import {formatCheckGithub, formatCheckText} from '../../ui/schema-report.js'

export default class SchemaCheck extends EvtCommand<typeof SchemaCheck> {
  static args = schemaFileArgs
  static description = prose`Checks whether a schema file would be accepted as the next version of a subject under the
subject's compatibility level, and prints every reason it would not, naming the field, the old and
new types and the rule. Exit 0 compatible, 1 incompatible, 2 usage error. A subject with no versions
yet is compatible. In CI, --dir checks a whole directory and --format github annotates the files.`

  static examples = [
    '<%= config.bin %> schema check orders-value schemas/order.avsc',
    '<%= config.bin %> schema check --dir schemas/ --format github',
  ]

  static flags = {
    ...schemaFileFlags,
    format: Flags.option({default: 'text', description: 'text, or GitHub Actions annotations', options: ['text', 'github'] as const})(),
  }

  static summary = 'Check schema files for compatibility, with reasons.'

  async run(): Promise<JsonResult['schema:check']> {
    const files = schemaFilesFor({...this.args, ...this.flags})
    const {registry} = await this.openBackend()
    const outcomes = await checkSchemaFiles(registry, files)
    if (!this.jsonEnabled()) {
      this.log(formatCheckText(outcomes))
      if (this.flags.format === 'github') this.log(formatCheckGithub(outcomes))
    }

    if (outcomes.some((outcome) => !outcome.compatible)) this.foundProblem('SCHEMA_INCOMPATIBLE')
    return outcomes
  }
}
