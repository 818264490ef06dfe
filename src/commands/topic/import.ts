import {Args, Flags} from '@oclif/core'
import {createReadStream} from 'node:fs'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {compressionFlag} from '../../cli/flags.js'
import {linesOf} from '../../cli/output.js'
import {UsageError} from '../../lib/errors.js'
import {importExport} from '../../lib/topics/export-import.js'

export default class TopicImport extends EvtCommand<typeof TopicImport> {
  static args = {file: Args.string({description: 'a file written by evt topic export (- for stdin)', required: true})}
  static description = prose`Replays an export into the current cluster (or --to-cluster): creates missing topics with the
exported partition counts, registers the schemas (the target registry assigns ids; record bytes are
rewritten to them) and produces every record to its original partition with its original timestamp.`

  static examples = ['<%= config.bin %> topic import incident.jsonl', '<%= config.bin %> topic import incident.jsonl --to-cluster local']
  static flags = {compression: compressionFlag(), 'to-cluster': Flags.string({description: 'a cluster named in evt.yaml to import into'})}
  static summary = 'Import an export into a cluster.'
  static writesLog = true

  async run(): Promise<JsonResult['topic:import']> {
    const config = this.loadConfig(this.flags['to-cluster'])
    const input = this.args.file === '-' ? process.stdin : createReadStream(this.args.file)
    const opened = new Promise<void>((resolve, reject) => {
      if (input === process.stdin) return resolve()
      input.once('open', () => resolve())
      input.once('error', (error: Error) => reject(new UsageError(`cannot read ${this.args.file}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, {code: 'FILE_NOT_FOUND'})))
    })
    await opened
    const lines = linesOf(input, this.signal)
    const {log, registry} = await this.openBackend(config)
    const result = await importExport({compression: this.flags.compression, lines, log, registry, signal: this.signal})
    // Interrupted too: say how much was imported before stopping.
    if (!this.jsonEnabled() && !this.stdoutClosed) {
      this.log(`imported ${result.records} records into '${config.cluster.name}'; ${result.schemas.length} schemas registered; topics created: ${result.topicsCreated.join(', ') || 'none'}`)
    }

    this.exitIfInterrupted(result)
    return result
  }
}
