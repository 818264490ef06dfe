import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import path from 'node:path'

import {existsSync} from 'node:fs'

import {EvtCommand} from '../../cli/base-command.js'
import {positiveIntFlag} from '../../cli/flags.js'
import {useInteractiveOutput} from '../../cli/output.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {requireNamed} from '../../lib/config/require-named.js'
import {compileView} from '../../lib/views/view-definition.js'
import {UsageError} from '../../lib/errors.js'
import {diffView, hasDifferences} from '../../lib/views/view-diff.js'
import {viewTarget} from '../../lib/views/view-targets.js'
import {SqliteTarget} from '../../lib/views/sqlite/sqlite-target.js'
import {formatViewDiff} from '../../ui/view-format.js'

/** Rows listed on a terminal unless --limit says otherwise: the counts say how many there are in all. */
const TERMINAL_LIMIT = 20

export default class ViewDiff extends EvtCommand<typeof ViewDiff> {
  static args = {name: Args.string({description: "a view named under 'views:' in evt.yaml", required: true})}
  static description = prose`Compares a local copy of a view — a SQLite file or a PostgreSQL database with the view's
table, perhaps stale or edited by hand — with what the log says now, and lists the rows missing from the copy, the rows
only the copy has, and the rows that differ, column by column. The copy is opened read-only and
never modified. Exit 0 when it matches, 1 when it diverged.`

  static examples = [
    '<%= config.bin %> view diff orders',
    '<%= config.bin %> view diff orders --db ./orders.db --summary',
    '<%= config.bin %> view diff orders --db ./orders.db --json',
  ]

  static flags = {
    db: Flags.string({description: "the local copy to compare, read-only: a SQLite file or postgres://USER@HOST:PORT/DB (default: the view's own target)", helpValue: 'PATH|URL'}),
    limit: positiveIntFlag({char: 'n', description: 'list at most this many differing rows (default: 20 on a terminal, all in a pipe); the counts are always complete', helpValue: 'N'}),
    summary: Flags.boolean({default: false, description: 'print the counts only, no rows'}),
  }

  static summary = 'Show how a local copy of a view diverged from the log.'

  async run(): Promise<JsonResult['view:diff']> {
    const config = this.loadConfig()
    const configDir = config.file ? path.dirname(config.file) : process.cwd()
    const view = await compileView(this.args.name, requireNamed('view', config.views, this.args.name, config.file), configDir, config.file)
    const {log, registry} = await this.openBackend(config)
    const target = viewTarget(view, {configDir, db: this.flags.db, home: config.home})
    if (!this.flags.db && target instanceof SqliteTarget && !existsSync(target.file)) {
      throw new UsageError(`view '${view.name}' has no build at ${target.file} to compare`, {code: 'FILE_NOT_FOUND', hint: `run evt rebuild view ${view.name}, or give the copy with --db PATH`})
    }

    let diff
    try {
      diff = await diffView({log, registry, signal: this.signal, target, view, warn: (message) => this.warn(message)})
    } catch (error) {
      throw target.explain(error)
    } finally {
      await target.close()
    }

    this.exitIfInterrupted()
    const limit = this.flags.summary ? 0 : (this.flags.limit ?? (useInteractiveOutput(false) ? TERMINAL_LIMIT : undefined))
    if (!this.jsonEnabled()) this.log(formatViewDiff(diff, {limit}))
    if (hasDifferences(diff)) this.foundProblem('VIEW_DIVERGED')
    return diff
  }
}
