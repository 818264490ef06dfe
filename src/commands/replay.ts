import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../cli/base-command.js'
import {prose} from '../cli/prose.js'
import type {JsonResult} from '../cli/results.js'
import {compressionFlag, positiveIntFlag, readerFlags} from '../cli/flags.js'
import {recordFormat} from '../cli/output.js'
import {replayRecords} from '../lib/replay/replay-records.js'
import {type EmptyReadSummary, explainEmptyRead} from '../lib/read/read-summary.js'
import {compileWhere} from '../lib/read/where-filter.js'
import {formatPrettyLine, recordJsonLine} from '../ui/record-format.js'

export default class Replay extends EvtCommand<typeof Replay> {
  static args = {topic: Args.string({description: 'the topic to read from', required: true})}
  static description = prose`Re-publishes a range of a topic into another topic (or the same one), keeping each record's
key, value bytes and headers, and with --keep-partition its partition. The range is bounded by
the high watermarks captured at start, so a replay into its own source topic ends. Replays are
at-least-once: a replay stopped half-way and started again sends the first records twice, so
consumers of the target must be idempotent (see the README). --dry-run prints what would be sent.`

  static examples = [
    '<%= config.bin %> replay orders --to orders-retry --from 2026-01-05T09:00:00Z --until 2026-01-05T10:00:00Z',
    `<%= config.bin %> replay payments --to payments --where "value.status = 'FAILED'" --dry-run`,
    '<%= config.bin %> replay orders --to orders-copy --keep-partition --rate 500',
  ]

  static flags = {
    compression: compressionFlag(),
    'dry-run': Flags.boolean({default: false, description: 'print the records that would be sent (stdout, as topic tail prints them), send nothing'}),
    'keep-partition': Flags.boolean({default: false, description: 'send each record to the partition number it came from'}),
    'keep-timestamp': Flags.boolean({default: false, description: 'keep the original timestamps (default: stamped when sent)'}),
    rate: positiveIntFlag({description: 'send at most this many records per second', helpValue: 'N'}),
    to: Flags.string({description: 'the topic to publish into', helpValue: 'TOPIC', required: true}),
    ...readerFlags('beginning'),
  }

  static summary = 'Re-publish a range of events, keeping keys and headers.'

  async run(): Promise<JsonResult['replay'] | undefined> {
    const {flags} = this
    const where = flags.where === undefined ? undefined : await compileWhere(flags.where)
    const {log, registry} = await this.openBackend()
    const dryRun = flags['dry-run']
    const format = dryRun ? recordFormat(undefined, this.jsonEnabled()) : undefined
    let empty: EmptyReadSummary | undefined
    const result = await replayRecords({
      compression: this.flags.compression,
      dryRun,
      from: flags.from ?? {kind: 'beginning'},
      keepPartition: flags['keep-partition'],
      keepTimestamp: flags['keep-timestamp'],
      limit: flags.limit,
      log,
      onEmpty: (summary) => (empty = summary),
      onDryRun: (records) => this.stdout.writeLines(records.map((r) => (format === 'json' ? recordJsonLine(r) : formatPrettyLine(r)))),
      partitions: flags.partition,
      rate: flags.rate,
      registry,
      signal: this.signal,
      source: this.args.topic,
      target: flags.to,
      until: flags.until,
      warn: (message) => this.warn(message),
      where,
    })
    // Interrupted too: the summary says how many records reached the target (at-least-once).
    const summary = `${dryRun ? 'would replay' : 'replayed'} ${result.records} records from ${result.from} to ${result.to} in ${result.seconds.toFixed(2)} s`
    if (this.stdoutClosed) this.exitIfInterrupted()
    if (dryRun) this.note(summary)
    else if (!this.jsonEnabled()) this.log(summary)
    // Exit 0 all the same: nothing to replay is an answer, but it says what was scanned.
    if (empty) this.note(explainEmptyRead(empty))
    this.exitIfInterrupted(dryRun ? undefined : result)
    // --dry-run's stdout is the records; the summary object is the answer otherwise.
    return dryRun ? undefined : result
  }
}
