import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import type {JsonResult} from '../../cli/results.js'
import {UsageError} from '../../lib/errors.js'

export default class SchemaShow extends EvtCommand<typeof SchemaShow> {
  static args = {subject: Args.string({description: 'the subject', required: true})}
  static description = 'Prints one version of a subject: the schema text (JSON pretty-printed) on stdout; with --json, also its id, version, type and references.'
  static examples = ['<%= config.bin %> schema show orders-retail.OrderRequested', '<%= config.bin %> schema show orders-value --version 2 --json']
  static flags = {version: Flags.string({default: 'latest', description: 'a version number, or latest'})}
  static summary = 'Show a schema version.'

  async run(): Promise<JsonResult['schema:show']> {
    const version = this.flags.version === 'latest' ? 'latest' : Number(this.flags.version)
    if (version !== 'latest' && !(Number.isInteger(version) && version > 0)) {
      throw new UsageError(`cannot read --version '${this.flags.version}': expected a version number or latest`)
    }

    const {registry} = await this.openBackend()
    const found = await registry.getVersion(this.args.subject, version)
    if (!this.jsonEnabled()) this.log(found.schemaType === 'PROTOBUF' ? found.schema : JSON.stringify(JSON.parse(found.schema), null, 2))
    return found
  }
}
