import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../cli/base-command.js'
import {prose} from '../cli/prose.js'
import type {JsonResult} from '../cli/results.js'
import {fromFlag, untilFlag} from '../cli/flags.js'
import {requireFormatAgreesWithJson, useInteractiveOutput} from '../cli/output.js'
import type {FlowConfig} from '../lib/config/types.js'
import {UsageError} from '../lib/errors.js'
import {parseDuration} from '../lib/read/start-position.js'
import {findStalledFlows} from '../lib/trace/stalled-flows.js'
import {requireNamed} from '../lib/config/require-named.js'
import {FlowIndex} from '../lib/trace/flow-index.js'
import {followFlow, type TraceResult, traceFlow, traceJson} from '../lib/trace/trace-flow.js'
import {formatFollowUpdate, formatMermaid, formatNarrative, formatStalled} from '../ui/trace-format.js'
import {formatTraceHtml} from '../ui/trace-html.js'

export default class Trace extends EvtCommand<typeof Trace> {
  static args = {
    flow: Args.string({description: "a flow named under 'flows:' in evt.yaml", required: true}),
    id: Args.string({description: 'the flow id, e.g. an order id (omit with --stalled)'}),
  }

  static description = prose`Finds every event of one flow id across the flow's topics (as evt.yaml describes them) and
tells the story in time order: when, the delay since the step before, who wrote it (the topic's
owner or the ce_source header), what (event type and a one-line summary), where it went and which
consumer groups have and have not read it; then a verdict — completed, rejected (reason) or stalled
after an event for a time — and anomalies (duplicates, timestamps going back, undecodable values).
With --stalled it lists every id of the flow that has no end event.`

  static examples = [
    '<%= config.bin %> trace order 1042',
    '<%= config.bin %> trace order 1042 --format mermaid > order-1042.mmd',
    '<%= config.bin %> trace order 1042 --format html > order-1042.html',
    '<%= config.bin %> trace order --stalled --older-than 10m',
    '<%= config.bin %> trace order 1042 --from 2026-01-05 --json',
    '<%= config.bin %> trace order --stalled --from -1d --until -1h',
    '<%= config.bin %> trace order 1042 --follow',
  ]

  static flags = {
    'fail-on-stall': Flags.boolean({default: false, description: 'exit 1 when the flow is stalled'}),
    follow: Flags.boolean({
      default: false,
      description: 'after the story so far, show each new event of the id as it arrives; exits 0 once an end event has arrived',
    }),
    format: Flags.option({description: 'default: narrative (json with --json); html: one self-contained page', options: ['narrative', 'json', 'mermaid', 'html'] as const})(),
    'older-than': Flags.string({default: '0s', description: 'with --stalled: only flows idle at least this long (e.g. 10m, 2h, 1d)'}),
    // --since was trace's name for it before every reader had --from: kept as an alias.
    index: Flags.boolean({
      allowNo: true,
      default: true,
      description: "answer from the flow's local index (caught up first; a whole-log trace only); --no-index scans every record",
    }),
    from: fromFlag({aliases: ['since'], helpValue: 'POSITION', summary: 'where the scan starts in each partition (default: beginning; alias --since): faster on long logs'}),
    stalled: Flags.boolean({default: false, description: 'list every id of the flow without an end event'}),
    until: untilFlag({}),
  }

  static summary = 'Tell the story of one business flow across topics.'

  async run(): Promise<JsonResult['trace'] | undefined> {
    const {flags} = this
    const config = this.loadConfig()
    const flow = requireNamed('flow', config.flows, this.args.flow, config.file)
    const {from, until} = flags
    if (flags.stalled && this.args.id) throw new UsageError(`--stalled lists every stalled ${this.args.flow}; it takes no id ('${this.args.id}')`, {hint: `evt trace ${this.args.flow} ${this.args.id} tells that one's story`})
    if (!flags.stalled && !this.args.id) throw new UsageError(`give the ${this.args.flow} id to trace (e.g. evt trace ${this.args.flow} 1042), or --stalled`)
    const json = this.jsonEnabled()
    requireFormatAgreesWithJson(flags.format, json)
    const format = flags.format ?? 'narrative'
    const {log, registry} = await this.openBackend(config)
    const warn = (message: string) => this.warn(message)

    if (flags.stalled) {
      const olderThanMs = parseDuration(flags['older-than'])
      if (olderThanMs === undefined) throw new UsageError(`cannot read --older-than '${flags['older-than']}': expected e.g. 10m, 2h, 1d`)
      const {scanned, stalled} = await this.withIndex(config, flow, (index) => findStalledFlows({flow, flowName: this.args.flow, from, index, log, olderThanMs, registry, signal: this.signal, until, warn}))
      // Interrupted: the list would be partial, so it is not printed.
      this.exitIfInterrupted()
      if (!json) await this.stdout.writeLines([formatStalled(this.args.flow, stalled, scanned)])
      if (flags['fail-on-stall'] && stalled.length > 0) this.foundProblem('FLOW_STALLED')
      return {flow: this.args.flow, scanned, stalled}
    }

    const options = {flow, flowName: this.args.flow, from, id: this.args.id!, log, registry, signal: this.signal, until, warn}
    if (flags.follow) {
      if (until !== undefined) throw new UsageError('--follow reads on past the end of the log; it takes no --until')
      if (format === 'mermaid' || format === 'html') throw new UsageError(`--follow tells the story as it grows, as a narrative or JSON lines; --format ${format} draws a finished one`, {hint: `evt trace ${this.args.flow} ${this.args.id} --format ${format}`})
      await this.follow(followFlow(options), json)
      return
    }

    const trace = await this.withIndex(config, flow, (index) => traceFlow({...options, index}))

    this.exitIfInterrupted()
    const result = traceJson(trace)
    if (json) return result
    if (format === 'mermaid') this.log(formatMermaid(trace))
    else if (format === 'html') await this.stdout.writeLines([formatTraceHtml(trace).trimEnd()])
    else if (useInteractiveOutput(false)) await this.renderInteractive(trace)
    else this.log(formatNarrative(trace))
    if (flags['fail-on-stall'] && trace.verdict.status === 'stalled') this.foundProblem('FLOW_STALLED', `${this.args.flow} ${this.args.id} is ${trace.verdict.detail}`)
    return result
  }

  /** Runs `answer` with the flow's index, for a whole-log answer (no --from or --until) unless --no-index; closes it after. */
  private async withIndex<T>(config: ReturnType<typeof this.loadConfig>, flow: FlowConfig, answer: (index?: FlowIndex) => Promise<T>): Promise<T> {
    const {flags} = this
    if (!flags.index || flags.from !== undefined || flags.until !== undefined) return answer()
    const index = await FlowIndex.open(FlowIndex.fileFor(config.home, config.cluster, this.args.flow), flow, {warn: (message) => this.warn(message)})
    try {
      return await answer(index)
    } catch (error) {
      throw index.failure(error)
    } finally {
      index.close()
    }
  }

  /**
   * The story so far, then each new event as a narrative row, and the verdict whenever it changes;
   * with --json, the whole trace again on one line per change (the last line is the final story).
   */
  private async follow(traces: AsyncIterable<TraceResult>, json: boolean): Promise<void> {
    const color = useInteractiveOutput(false) && !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0'
    let shown: TraceResult | undefined
    for await (const trace of traces) {
      if (json) await this.stdout.writeLines([JSON.stringify(traceJson(trace))])
      else await this.stdout.writeLines([formatFollowUpdate(shown, trace, {color})])
      shown = trace
    }

    this.exitIfInterrupted()
  }

  /**
   * The story on a terminal: the piped text, coloured, written once. Not ink: static output needs no
   * redraws, and ink redraws output taller than the terminal by clearing the screen and scrollback.
   */
  private async renderInteractive(trace: Awaited<ReturnType<typeof traceFlow>>): Promise<void> {
    const color = !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0'
    await this.stdout.writeLines([formatNarrative(trace, {color})])
  }
}
