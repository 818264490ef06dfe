import {Args} from '@oclif/core'

import {EvtCommand} from '../../cli/base-command.js'
import {fromFlag, untilFlag} from '../../cli/flags.js'
import {exportTopics} from '../../lib/topics/export-import.js'

export default class TopicExport extends EvtCommand<typeof TopicExport> {
  static args = {topics: Args.string({description: 'one or more topics', required: true})}
  static description = `Writes a slice of one or more topics as JSON lines: the topics, the schemas their records use,
then every record with its partition, offset, timestamp, and the exact bytes of key, value and
headers (base64). \`evt topic import\` replays it into another cluster byte for byte, so a slice of
production can be investigated offline on the embedded backend.`

  static examples = [
    '<%= config.bin %> topic export orders payments --cluster prod --from -1h > incident.jsonl',
    '<%= config.bin %> topic export orders --from 2026-01-05 --until 2026-01-06 > day.jsonl',
  ]

  static flags = {from: fromFlag({helpValue: 'POSITION', summary: 'default: beginning'}), until: untilFlag({})}
  static strict = false
  static summary = 'Export records (and their schemas) as JSON lines.'

  async run(): Promise<void> {
    const {log, registry} = await this.openBackend()
    let records = 0
    for await (const lines of exportTopics({from: this.flags.from ?? {kind: 'beginning'}, log, registry, signal: this.signal, topics: this.positional, until: this.flags.until, warn: (m) => this.warn(m)})) {
      records += lines.filter((line) => line.kind === 'record').length
      await this.stdout.writeLines(lines.map((line) => JSON.stringify(line)))
    }

    if (!this.stdoutClosed) this.note(`exported ${records} records from ${this.positional.join(', ')}`)
    this.exitIfInterrupted()
  }
}
