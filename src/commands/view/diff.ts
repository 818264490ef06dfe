import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import path from 'node:path'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {requireNamed} from '../../lib/config/require-named.js'
import {compileView} from '../../lib/views/view-definition.js'
import {diffView, hasDifferences} from '../../lib/views/view-diff.js'
import {formatViewDiff} from '../../ui/view-format.js'

export default class ViewDiff extends EvtCommand<typeof ViewDiff> {
  static args = {name: Args.string({description: "a view named under 'views:' in evt.yaml", required: true})}
  static description = prose`Compares a local copy of a view — a SQLite file with the view's table, perhaps stale or
edited by hand — with what the log says now, and lists the rows missing from the copy, the rows
only the copy has, and the rows that differ, column by column. The copy is opened read-only and
never modified. Exit 0 when it matches, 1 when it diverged.`

  static examples = [
    '<%= config.bin %> view diff orders --db ./orders.db',
    '<%= config.bin %> view diff orders --db ~/.evt/views/orders.db --json',
  ]

  static flags = {
    db: Flags.string({description: 'the local copy to compare (read-only)', helpValue: 'PATH', required: true}),
  }

  static summary = 'Show how a local copy of a view diverged from the log.'

  async run(): Promise<JsonResult['view:diff']> {
    const config = this.loadConfig()
    const configDir = config.file ? path.dirname(config.file) : process.cwd()
    const view = await compileView(this.args.name, requireNamed('view', config.views, this.args.name, config.file), configDir, config.file)
    const {log, registry} = await this.openBackend(config)
    const diff = await diffView({file: path.resolve(this.flags.db), log, registry, signal: this.signal, view, warn: (message) => this.warn(message)})
    this.exitIfInterrupted()
    if (!this.jsonEnabled()) this.log(formatViewDiff(diff))
    if (hasDifferences(diff)) this.foundProblem('VIEW_DIVERGED')
    return diff
  }
}
