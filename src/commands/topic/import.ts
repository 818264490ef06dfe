import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {accessSync, constants, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'

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
rewritten to them) and produces every record to its original partition with its original timestamp.
The whole file is checked before anything is written. Records the target partition already holds
(same key, value, headers and timestamp) are skipped, so an import run again, or after a kill,
writes only what is missing; --append writes every record again.`

  static examples = [
    '<%= config.bin %> topic import incident.jsonl',
    '<%= config.bin %> topic import incident.jsonl --to-cluster local',
    '<%= config.bin %> topic import incident.jsonl --append',
  ]
  static flags = {
    append: Flags.boolean({description: 'write every record again, even those the target already holds'}),
    compression: compressionFlag(),
    'to-cluster': Flags.string({description: 'a cluster named in evt.yaml to import into'}),
  }

  static summary = 'Import an export into a cluster.'
  static writesLog = true

  async run(): Promise<JsonResult['topic:import']> {
    const config = this.loadConfig(this.flags['to-cluster'])
    const file = this.args.file === '-' ? undefined : readableFile(this.args.file)
    // The target first: a cluster that cannot be reached fails before stdin is read.
    const {log, registry} = await this.openBackend(config)
    const spooled = file === undefined ? await spoolStdin(this.signal) : undefined
    try {
      // Stopped while stdin was still coming: nothing was imported.
      this.exitIfInterrupted()
      const lines = () => linesOf(createReadStream((spooled ?? file)!), this.signal)
      const result = await importExport({append: this.flags.append, compression: this.flags.compression, lines, log, registry, signal: this.signal})
      // Interrupted too: say how much was imported before stopping.
      if (!this.jsonEnabled() && !this.stdoutClosed) {
        const skipped = result.skipped > 0 ? ` (skipped ${result.skipped} already present)` : ''
        this.log(`imported ${result.records} records into '${config.cluster.name}'${skipped}; ${result.schemas.length} schemas registered; topics created: ${result.topicsCreated.join(', ') || 'none'}`)
      }

      this.exitIfInterrupted(result)
      return result
    } finally {
      if (spooled) rmSync(path.dirname(spooled), {force: true, recursive: true})
    }
  }
}

/** The export file, checked to be a readable file (a directory opens fine and fails on the first read). */
function readableFile(file: string): string {
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`cannot read ${file}: it is a directory`, {code: 'FILE_NOT_FOUND', data: {file}, hint: 'give the file evt topic export wrote'})
    accessSync(file, constants.R_OK)
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {code: 'FILE_NOT_FOUND', data: {file}})
  }

  return file
}

/** Stdin copied to a temporary file: the import reads its input twice (check everything, then write). */
async function spoolStdin(signal: AbortSignal): Promise<string> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'evt-import-')), 'stdin.jsonl')
  await pipeline(process.stdin, createWriteStream(file), {signal}).catch((error: unknown) => {
    if (!signal.aborted) throw error
    // An open stdin would keep the process alive after Ctrl-C.
    process.stdin.destroy()
  })
  return file
}
