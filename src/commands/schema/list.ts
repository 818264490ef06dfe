import {EvtCommand} from '../../cli/base-command.js'
import type {JsonResult} from '../../cli/results.js'
import {listSubjects} from '../../lib/schema/subjects.js'

export default class SchemaList extends EvtCommand<typeof SchemaList> {
  static description = 'Lists every subject of the registry with its latest version, schema id, type and compatibility level.'
  static examples = ['<%= config.bin %> schema list', '<%= config.bin %> schema list --json --cluster staging']
  static summary = 'List subjects.'

  async run(): Promise<JsonResult['schema:list']> {
    const {registry} = await this.openBackend()
    const subjects = await listSubjects(registry)
    if (!this.jsonEnabled()) {
      this.log(
        subjects.length === 0
          ? 'no subjects (try: evt demo, or evt schema register)'
          : subjects.map((s) => `${s.subject}  v${s.latest}  id ${s.id}  ${s.schemaType}  ${s.compatibility}`).join('\n'),
      )
    }

    return subjects
  }
}
