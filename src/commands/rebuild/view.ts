import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import path from 'node:path'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {withProgressBar} from '../../cli/progress-bar.js'
import {UsageError} from '../../lib/errors.js'
import {followView, rebuildView, type RebuildResult} from '../../lib/views/rebuild-view.js'
import {requireNamed} from '../../lib/config/require-named.js'
import {compileView} from '../../lib/views/view-definition.js'
import {viewTarget} from '../../lib/views/view-targets.js'
import {formatRebuildSummary} from '../../ui/view-format.js'

export default class RebuildView extends EvtCommand<typeof RebuildView> {
  static args = {name: Args.string({description: "a view named under 'views:' in evt.yaml (omit with --all)"})}
  static description = prose`Regenerates a local copy of a view from the log, the golden source, in a SQLite file or a
PostgreSQL database. The high watermarks of the view's topics are captured at start; every
record from the beginning up to them is projected into rows (last write wins by key, tombstones
delete) in a new file next to the target (or a new table next to it), stored with the offsets it
reached and the view's definition, and then swapped in one atomic step: readers never see a
half-built view, and Ctrl-C, a crash or a broker failure leave the previous build exactly as it
was. --resume catches up from the stored offsets; --follow then keeps applying new records.
Default target: the view's target: in evt.yaml, else $EVT_HOME/views/NAME.db.`

  static examples = [
    '<%= config.bin %> rebuild view orders',
    '<%= config.bin %> rebuild view orders --db ./orders.db --json',
    '<%= config.bin %> rebuild view orders --resume --follow',
    'PGPASSWORD=… <%= config.bin %> rebuild view orders --db postgres://app@db.internal:5432/orders',
    '<%= config.bin %> rebuild view --all',
  ]

  static flags = {
    all: Flags.boolean({default: false, description: 'rebuild every view in evt.yaml, each to its default file', exclusive: ['db', 'follow']}),
    db: Flags.string({description: "the SQLite file, or postgres://USER@HOST:PORT/DB, to build the view in (default: the view's target: in evt.yaml, else $EVT_HOME/views/NAME.db)", helpValue: 'PATH|URL'}),
    follow: Flags.boolean({char: 'f', default: false, description: 'after the rebuild, keep applying new records until Ctrl-C'}),
    resume: Flags.boolean({default: false, description: 'catch up from the offsets stored with the build instead of rebuilding from the beginning'}),
    strict: Flags.boolean({default: false, description: 'exit 1, keeping the previous build, when a record has no row key or a value has the wrong type'}),
  }

  static summary = 'Rebuild a view (SQLite or PostgreSQL) from the log, atomically.'

  async run(): Promise<JsonResult['rebuild:view']> {
    const {flags} = this
    const config = this.loadConfig()
    if (!flags.all && !this.args.name) throw new UsageError('name the view to rebuild (e.g. evt rebuild view orders), or give --all', {hint: `views in evt.yaml: ${Object.keys(config.views).join(', ') || 'none'}`})
    const names = flags.all ? Object.keys(config.views) : [this.args.name!]
    if (names.length === 0) throw new UsageError(`no views are defined${config.file ? ` in ${config.file}` : ''}`, {hint: "define views under 'views:' in evt.yaml (evt demo writes an example)"})
    const configDir = config.file ? path.dirname(config.file) : process.cwd()
    const views = await Promise.all(names.map((name) => compileView(name, requireNamed('view', config.views, name, config.file), configDir, config.file)))
    const {log, registry} = await this.openBackend(config)
    const warn = (message: string) => this.warn(message)
    const results: RebuildResult[] = []
    for (const view of views) {
      const target = viewTarget(view, {configDir, db: flags.db, home: config.home})
      try {
        const result = await withProgressBar(view.name, this.jsonEnabled(), (onProgress) => rebuildView({log, onProgress, registry, resume: flags.resume, signal: this.signal, strict: flags.strict, target, view, warn}))
        results.push(result)
        if (!this.jsonEnabled()) this.log(formatRebuildSummary(result))
        if (flags.follow) {
          this.note(`following new records into ${target.where} (Ctrl-C to stop)`)
          const applied = await followView({log, registry, signal: this.signal, target, view, warn})
          this.note(`applied ${applied} new records to ${target.where}`)
        }
      } finally {
        await target.close()
      }
    }

    this.exitIfInterrupted()
    return flags.all ? results : results[0]
  }
}
