import {Args, Flags} from '@oclif/core'

import {EvtCommand} from '../cli/base-command.js'
import {compressionFlag, fromFlag, partitionsFlag, positiveIntFlag, untilFlag} from '../cli/flags.js'
import {replayRecords} from '../lib/replay/replay-records.js'
import {compileWhere} from '../lib/tail/where-filter.js'
import {formatPrettyLine, recordToJson} from '../ui/record-format.js'

export default class Replay extends EvtCommand<typeof Replay> {
  static args = {topic: Args.string({description: 'the topic to read from', required: true})}
  static description = `Re-publishes a range of a topic into another topic (or the same one), keeping each record's
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
    'dry-run': Flags.boolean({default: false, description: 'print the records that would be sent (stdout), send nothing'}),
    from: fromFlag({default: {kind: 'beginning'}, helpValue: 'POSITION'}),
    json: Flags.boolean({default: false, description: 'JSON: a summary object, or with --dry-run one record per line'}),
    'keep-partition': Flags.boolean({default: false, description: 'send each record to the partition number it came from'}),
    'keep-timestamp': Flags.boolean({default: false, description: 'keep the original timestamps (default: stamped when sent)'}),
    limit: positiveIntFlag({char: 'n', description: 'stop after this many records'}),
    partition: partitionsFlag({char: 'p'}),
    rate: positiveIntFlag({description: 'send at most this many records per second', helpValue: 'N'}),
    to: Flags.string({description: 'the topic to publish into', helpValue: 'TOPIC', required: true}),
    until: untilFlag({}),
    where: Flags.string({description: 'only records for which this JSONata expression is true (as in topic tail)'}),
  }

  static summary = 'Re-publish a range of events, keeping keys and headers.'

  async run(): Promise<void> {
    const {flags} = this
    const where = flags.where === undefined ? undefined : await compileWhere(flags.where)
    const {log, registry} = await this.openBackend()
    const dryRun = flags['dry-run']
    const result = await replayRecords({
      compression: this.flags.compression,
      dryRun,
      from: flags.from,
      keepPartition: flags['keep-partition'],
      keepTimestamp: flags['keep-timestamp'],
      limit: flags.limit,
      log,
      onBatch: dryRun ? (records) => this.stdout.writeLines(records.map((r) => (flags.json ? JSON.stringify(recordToJson(r)) : formatPrettyLine(r)))) : undefined,
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
    else this.log(flags.json ? JSON.stringify(result) : summary)
    this.exitIfInterrupted()
  }
}
