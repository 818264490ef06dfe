import {Args, Flags} from '@oclif/core'

import {EvtCommand} from '../cli/base-command.js'
import {untilFlag} from '../cli/flags.js'
import {loadInk, useInteractiveOutput} from '../cli/output.js'
import {CheckFailedError, UsageError} from '../lib/errors.js'
import {parseDuration, parseTime} from '../lib/tail/start-position.js'
import {findStalledFlows} from '../lib/trace/stalled-flows.js'
import {requireNamed} from '../lib/config/require-named.js'
import {traceFlow} from '../lib/trace/trace-flow.js'
import {formatMermaid, formatNarrative, formatStalled} from '../ui/trace-format.js'

export default class Trace extends EvtCommand<typeof Trace> {
  static args = {
    flow: Args.string({description: "a flow named under 'flows:' in evt.yaml", required: true}),
    id: Args.string({description: 'the flow id, e.g. an order id (omit with --stalled)'}),
  }

  static description = `Finds every event of one flow id across the flow's topics (as evt.yaml describes them) and
tells the story in time order: when, the delay since the step before, who wrote it (the topic's
owner or the ce_source header), what (event type and a one-line summary), where it went and which
consumer groups have and have not read it; then a verdict — completed, rejected (reason) or stalled
after an event for a time — and anomalies (duplicates, timestamps going back, undecodable values).
With --stalled it lists every id of the flow that has no end event.`

  static examples = [
    '<%= config.bin %> trace order 1042',
    '<%= config.bin %> trace order 1042 --format mermaid > order-1042.mmd',
    '<%= config.bin %> trace order --stalled --older-than 10m',
    '<%= config.bin %> trace order 1042 --since 2026-01-05 --json',
  ]

  static flags = {
    'fail-on-stall': Flags.boolean({default: false, description: 'exit 1 when the flow is stalled'}),
    format: Flags.option({description: 'default: narrative (json with --json)', options: ['narrative', 'json', 'mermaid'] as const})(),
    json: Flags.boolean({description: 'same as --format json', exclusive: ['format']}),
    'older-than': Flags.string({default: '0s', description: 'with --stalled: only flows idle at least this long (e.g. 10m, 2h, 1d)'}),
    since: Flags.string({description: 'scan from this TIME (ISO-8601, a date, -2h): faster on long logs'}),
    stalled: Flags.boolean({default: false, description: 'list every id of the flow without an end event'}),
    until: untilFlag({}),
  }

  static summary = 'Tell the story of one business flow across topics.'

  async run(): Promise<void> {
    const {flags} = this
    const config = this.loadConfig()
    const flow = requireNamed('flow', config.flows, this.args.flow, config.file)
    const since = flags.since === undefined ? undefined : parseTime(flags.since)
    if (flags.since !== undefined && since === undefined) throw new UsageError(`cannot read --since '${flags.since}': expected ISO-8601, YYYY-MM-DD or -2h`)
    const {log, registry} = await this.openBackend(config)
    const warn = (message: string) => this.warn(message)
    const format = flags.json ? 'json' : (flags.format ?? 'narrative')

    if (flags.stalled) {
      const olderThanMs = parseDuration(flags['older-than'])
      if (olderThanMs === undefined) throw new UsageError(`cannot read --older-than '${flags['older-than']}': expected e.g. 10m, 2h, 1d`)
      const {scanned, stalled} = await findStalledFlows({flow, log, olderThanMs, registry, signal: this.signal, since, warn})
      // Interrupted: the list would be partial, so it is not printed.
      this.exitIfInterrupted()
      await this.stdout.writeLines([format === 'json' ? JSON.stringify({flow: this.args.flow, scanned, stalled}) : formatStalled(this.args.flow, stalled, scanned)])
      if (flags['fail-on-stall'] && stalled.length > 0) process.exitCode = 1
      return
    }

    if (!this.args.id) throw new UsageError('give the flow id to trace (e.g. evt trace order 1042), or --stalled')
    const trace = await traceFlow({flow, flowName: this.args.flow, id: this.args.id, log, registry, signal: this.signal, since, until: flags.until, warn})
    this.exitIfInterrupted()
    if (format === 'json') this.log(JSON.stringify({...trace, events: trace.events.map(({decodeError: _ignored, timestamp, ...event}) => ({timestamp: new Date(timestamp).toISOString(), ...event}))}))
    else if (format === 'mermaid') this.log(formatMermaid(trace))
    else if (useInteractiveOutput(false)) await this.renderInteractive(trace)
    else this.log(formatNarrative(trace))
    if (flags['fail-on-stall'] && trace.verdict.status === 'stalled') throw new CheckFailedError(`${this.args.flow} ${this.args.id} is ${trace.verdict.detail}`)
  }

  private async renderInteractive(trace: Awaited<ReturnType<typeof traceFlow>>): Promise<void> {
    const [{createElement, render}, {TraceView}] = await Promise.all([loadInk(), import('../ui/trace-view.js')])
    const app = render(createElement(TraceView, {trace}), {exitOnCtrlC: false})
    await app.waitUntilExit()
  }
}
