import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import {withProgressBar} from '../../cli/progress-bar.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {requireNamed} from '../../lib/config/require-named.js'
import {FlowIndex} from '../../lib/trace/flow-index.js'
import {userTopics} from '../../lib/topics/internal-topics.js'

export default class TraceIndex extends EvtCommand<typeof TraceIndex> {
  static aliases = ['trace:index']
  static args = {flow: Args.string({description: "a flow named under 'flows:' in evt.yaml", required: true})}
  static description = prose`Builds or catches up the local index that evt trace answers from: every id of the flow with the
positions of its records, in a SQLite file under EVT_HOME/index. evt trace catches it up by itself
before each answer (reading only what was appended since); run this to pay for a first build
ahead of time, with a progress bar, or --rebuild to start over. The index is a cache: deleting it
loses nothing, and evt trace --no-index scans every record instead.`

  static examples = ['<%= config.bin %> trace index order', '<%= config.bin %> trace index order --rebuild']
  static flags = {rebuild: Flags.boolean({default: false, description: 'forget what is indexed and read the flow’s topics from their start'})}
  static summary = 'Build or catch up the index evt trace answers from.'

  async run(): Promise<JsonResult['trace:reindex']> {
    const config = this.loadConfig()
    const flow = requireNamed('flow', config.flows, this.args.flow, config.file)
    const {log, registry} = await this.openBackend(config)
    const existing = new Set(await userTopics(log))
    const topics = Object.keys(flow.topics).filter((topic) => existing.has(topic))
    const file = FlowIndex.fileFor(config.home, config.cluster, this.args.flow)
    const started = Date.now()
    const index = await FlowIndex.open(file, flow, {rebuild: this.flags.rebuild, warn: (message) => this.warn(message)})
    try {
      const {records} = await withProgressBar(this.args.flow, this.jsonEnabled(), (onProgress) => index.catchUp({log, onProgress, registry, signal: this.signal, topics, warn: (message) => this.warn(message)}))
      this.exitIfInterrupted()
      const span = index.span(topics)
      const seconds = (Date.now() - started) / 1000
      if (!this.jsonEnabled()) this.log(`indexed flow ${this.args.flow}: ${records.toLocaleString('en-US')} new records read in ${seconds.toFixed(2)} s; ${span.records.toLocaleString('en-US')} records of ${topics.join(', ')} in all → ${file}`)
      return {file, flow: this.args.flow, read: records, records: span.records, seconds, topics}
    } catch (error) {
      throw index.failure(error)
    } finally {
      index.close()
    }
  }
}
