import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {EventEmitter} from 'node:events'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import {readerFlags} from '../../cli/flags.js'
import {loadInk, recordFormat, useInteractiveOutput} from '../../cli/output.js'
import {type EmptyReadSummary, explainEmptyRead} from '../../lib/read/read-summary.js'
import {type DecodedRecord, tailRecords, topicsToRead} from '../../lib/read/read-records.js'
import {compileWhere} from '../../lib/read/where-filter.js'
import {formatPrettyLine, recordJsonLine} from '../../ui/record-format.js'

const EMPTY = Buffer.alloc(0)

export default class TopicTail extends EvtCommand<typeof TopicTail> {
  static args = {topics: Args.string({description: 'one or more topics, merged in timestamp order (or --pattern)'})}
  static description = prose`Reads one or more topics from a start position and prints each record decoded: Confluent
wire-format Avro and JSON Schema through the registry, else plain JSON, UTF-8 text or base64.
Without --follow it stops at the high watermarks captured when it started. Several topics are
merged into one stream in timestamp order. On a terminal the default format is pretty; in a
pipe it is one JSON object per line.`

  static examples = [
    '<%= config.bin %> topic tail orders --from beginning --limit 20',
    '<%= config.bin %> topic tail orders payments --from -10 --json',
    '<%= config.bin %> topic tail orders --from 2026-01-05T09:00:00Z --until 2026-01-05T10:00:00Z',
    '<%= config.bin %> topic tail payments --follow --partition 0,1',
    `<%= config.bin %> topic tail orders --where "value.status = 'REJECTED'" --json`,
    '<%= config.bin %> topic tail --pattern "^(orders|payments)$" --from -1h',
  ]

  static flags = {
    follow: Flags.boolean({char: 'f', default: false, description: 'keep reading new records until Ctrl-C'}),
    format: Flags.option({description: 'output format (default: pretty on a terminal, json in a pipe)', options: ['pretty', 'json', 'raw'] as const})(),
    ...readerFlags('end with --follow, else beginning'),
    pattern: Flags.string({description: 'also every topic whose name matches this regular expression'}),
    verbose: Flags.boolean({char: 'v', default: false, description: 'pretty format: show each value in full, indented'}),
  }

  static strict = false
  static summary = 'Print the records of topics, decoded.'

  async run(): Promise<void> {
    const {flags} = this
    const where = flags.where === undefined ? undefined : await compileWhere(flags.where)
    const status = new EventEmitter()
    const {log, registry} = await this.openBackend()
    const topics = await topicsToRead(log, this.positional, flags.pattern)
    let empty: EmptyReadSummary | undefined
    const batches = tailRecords({
      follow: flags.follow,
      from: flags.from ?? (flags.follow ? {kind: 'end'} : {kind: 'beginning'}),
      limit: flags.limit,
      log,
      onEmpty: (summary) => (empty = summary),
      partitions: flags.partition,
      // A tail goes on through a registry outage: cached schemas decode, the rest is shown raw.
      rawWhenRegistryGoesAway: true,
      registry,
      signal: this.signal,
      topics,
      until: flags.until,
      warn: (message) => this.warn(message),
      where,
      ...(flags.follow && useInteractiveOutput(false) ? {onLag: (lag: number) => status.emit('lag', lag)} : {}),
    })

    const format = recordFormat(flags.format, this.jsonEnabled())
    if (format === 'pretty' && useInteractiveOutput(false)) {
      await this.renderInteractive(batches, flags.verbose, flags.follow, status)
    } else {
      const {stdout} = this
      for await (const batch of batches) {
        // raw: the value's exact bytes (not decoded as UTF-8), a newline after each, empty for null.
        if (format === 'raw') await stdout.writeBuffers(batch.map((r) => r.record.value ?? EMPTY))
        else if (format === 'json') await stdout.writeLines(batch.map((r) => recordJsonLine(r)))
        else await stdout.writeLines(batch.map((r) => formatPrettyLine(r, flags.verbose)))
      }
    }

    this.exitIfInterrupted()
    // Exit 0 all the same: an empty answer is an answer, but it says what was scanned.
    if (empty) this.note(explainEmptyRead(empty))
  }

  private async renderInteractive(batches: AsyncIterable<DecodedRecord[]>, verbose: boolean, follow: boolean, status: EventEmitter) {
    const {createElement, render, view: {TailView}} = await loadInk<typeof import('../../ui/tail-view.js')>('tail-view.js')
    let failure: unknown
    const app = render(createElement(TailView, {batches, follow, onError: (error: unknown) => (failure = error), status, verbose}), {exitOnCtrlC: false})
    await app.waitUntilExit()
    if (failure) throw failure
  }
}
