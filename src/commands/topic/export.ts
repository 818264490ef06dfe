import * as Args from '@oclif/core/args'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import {readerFlags} from '../../cli/flags.js'
import {type EmptyReadSummary, explainEmptyRead} from '../../lib/read/read-summary.js'
import {compileWhere} from '../../lib/read/where-filter.js'
import {exportTopics} from '../../lib/topics/export-import.js'

export default class TopicExport extends EvtCommand<typeof TopicExport> {
  static args = {topics: Args.string({description: 'one or more topics', required: true})}
  static description = prose`Writes a slice of one or more topics as JSON lines: the topics, the schemas their records use,
then every record with its partition, offset, timestamp, and the exact bytes of key, value and
headers (base64). \`evt topic import\` replays it into another cluster byte for byte, so a slice of
production can be investigated offline on the embedded backend.`

  static examples = [
    '<%= config.bin %> topic export orders payments --cluster prod --from -1h > incident.jsonl',
    '<%= config.bin %> topic export orders --from 2026-01-05 --until 2026-01-06 > day.jsonl',
    `<%= config.bin %> topic export orders --partition 0 --where "type = 'OrderRejected'" --limit 100 > rejected.jsonl`,
  ]

  static flags = readerFlags('beginning')
  static strict = false
  static summary = 'Export records (and their schemas) as JSON lines.'

  async run(): Promise<void> {
    const {flags} = this
    const where = flags.where === undefined ? undefined : await compileWhere(flags.where)
    const {log, registry} = await this.openBackend()
    let records = 0
    let empty: EmptyReadSummary | undefined
    const lines = exportTopics({
      from: flags.from ?? {kind: 'beginning'},
      limit: flags.limit,
      log,
      onEmpty: (summary) => (empty = summary),
      partitions: flags.partition,
      registry,
      signal: this.signal,
      topics: this.positional,
      until: flags.until,
      warn: (m) => this.warn(m),
      where,
    })
    for await (const batch of lines) {
      records += batch.filter((line) => line.kind === 'record').length
      await this.stdout.writeLines(batch.map((line) => JSON.stringify(line)))
    }

    // An empty answer explains itself (never after an interrupt: the read did not finish).
    if (!this.stdoutClosed) this.note(empty ? explainEmptyRead(empty) : `exported ${records} records from ${this.positional.join(', ')}`)
    this.exitIfInterrupted()
  }
}
