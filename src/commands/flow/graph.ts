import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import {requireFormatAgreesWithJson} from '../../cli/output.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {requireNamed} from '../../lib/config/require-named.js'
import {flowGraph} from '../../lib/flows/flow-graph.js'
import {formatFlowGraphMermaid, formatFlowGraphText} from '../../ui/flow-graph-format.js'

export default class FlowGraph extends EvtCommand<typeof FlowGraph> {
  static args = {flow: Args.string({description: "a flow named under 'flows:' in evt.yaml", required: true})}
  static description = prose`Who talks to whom in a flow: for each of its topics, the service that writes it (its owner in
evt.yaml) and the consumer groups that read it (those with committed offsets on it in the
cluster), with how many records each group is behind. As text, or as a Mermaid flowchart.`

  static examples = ['<%= config.bin %> flow graph order', '<%= config.bin %> flow graph order --format mermaid > order.mmd', '<%= config.bin %> flow graph order --json']

  static flags = {
    format: Flags.option({description: 'text, or a Mermaid flowchart (--json for JSON)', options: ['text', 'mermaid'] as const})(),
  }

  static summary = 'Show the services, topics and consumer groups of a flow.'

  async run(): Promise<JsonResult['flow:graph']> {
    const config = this.loadConfig()
    const flow = requireNamed('flow', config.flows, this.args.flow, config.file)
    requireFormatAgreesWithJson(this.flags.format, this.jsonEnabled())
    const {log} = await this.openBackend(config)
    const graph = await flowGraph({flow, flowName: this.args.flow, log})
    if (!this.jsonEnabled()) this.log(this.flags.format === 'mermaid' ? formatFlowGraphMermaid(graph) : formatFlowGraphText(graph))
    return graph
  }
}
