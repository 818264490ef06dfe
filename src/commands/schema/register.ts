import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {schemaFileArgs, schemaFileFlags} from '../../cli/schema-flags.js'
import {schemaFilesFor} from '../../lib/schema/schema-file.js'
import {registerSchemaFiles, type RegisterOutcome} from '../../lib/schema/schema-workflow.js'
import {formatRegisterText} from '../../ui/schema-report.js'

export default class SchemaRegister extends EvtCommand<typeof SchemaRegister> {
  static args = schemaFileArgs
  static description = prose`Registers a schema file as the next version of a subject, after checking compatibility: an
incompatible schema is not registered, every reason is printed and the exit code is 1. Registering
a schema the subject already has is a no-op that reports the existing id and version. Never changes
a subject's compatibility level.`

  static examples = [
    '<%= config.bin %> schema register orders-value schemas/order.avsc',
    '<%= config.bin %> schema register --dir schemas/ --dry-run',
  ]

  static flags = {
    ...schemaFileFlags,
    'dry-run': Flags.boolean({default: false, description: 'check and report, register nothing'}),
  }

  static summary = 'Register schema files, checking compatibility first.'
  static writesLog = true

  async run(): Promise<JsonResult['schema:register']> {
    const files = schemaFilesFor({...this.args, ...this.flags})
    const {registry} = await this.openBackend()
    const outcomes = await registerSchemaFiles(registry, files, this.flags['dry-run'])
    if (!this.jsonEnabled()) this.log(formatRegisterText(outcomes, this.flags['dry-run']))
    if (outcomes.some((outcome) => !outcome.check.compatible)) this.foundProblem('SCHEMA_INCOMPATIBLE')
    return outcomes.map(({check, ...rest}: RegisterOutcome) => ({...rest, ...(check.compatible ? {} : {reasons: check.messages})}))
  }
}
