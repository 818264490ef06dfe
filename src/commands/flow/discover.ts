import * as Flags from '@oclif/core/flags'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {EvtCommand} from '../../cli/base-command.js'
import {positiveIntFlag} from '../../cli/flags.js'
import {askYesNo} from '../../cli/output.js'
import {prose} from '../../cli/prose.js'
import type {JsonResult} from '../../cli/results.js'
import {UsageError} from '../../lib/errors.js'
import {discoverFlows} from '../../lib/flows/discover-flows.js'
import {addFlowToConfig, flowsYaml} from '../../lib/flows/flow-yaml.js'
import {userTopics} from '../../lib/topics/internal-topics.js'
import {endsByOutcome} from '../../lib/trace/verdict.js'

const DEFAULT_SAMPLE = 10_000

/** The ends as trace will judge them. */
function endsLine(ends: string[]): string {
  const {rejection, success} = endsByOutcome(ends)
  return `ends: success ${success.join(', ') || 'none'}; rejection ${rejection.join(', ') || 'none'}`
}

export default class FlowDiscover extends EvtCommand<typeof FlowDiscover> {
  static description = prose`Finds the business flows in the log, so evt trace can follow them without writing evt.yaml
by hand. It samples the first records of each topic, collects candidate ids (the record key,
headers, string and number fields of the value) with the values they take, and pairs those of
different topics whose values overlap strongly: the same business id. Topics joined that way form
a flow, printed as an evt.yaml snippet: each topic with where it carries the id, its owner (the
most common ce_source) and the event types that end an id's story. --write adds it to evt.yaml
(asking first on a terminal); a flow of that name already there is never replaced.`

  static examples = ['<%= config.bin %> flow discover', '<%= config.bin %> flow discover --topics orders,payments,shipments --sample 50000', '<%= config.bin %> flow discover --write']

  static flags = {
    name: Flags.string({description: 'the name of the flow written with --write (default: after its id, e.g. order for $.orderId)'}),
    sample: positiveIntFlag({description: `records read from the beginning of each topic (default ${DEFAULT_SAMPLE.toLocaleString('en-US')})`, helpValue: 'N'}),
    topics: Flags.string({description: 'comma-separated topics to look at (default: every topic but Kafka’s and the registry’s own)', helpValue: 'A,B'}),
    write: Flags.boolean({default: false, description: 'add the flow found (the one sharing the most ids) to evt.yaml'}),
  }

  static summary = 'Propose flows for evt.yaml from the ids that topics share.'

  async run(): Promise<JsonResult['flow:discover']> {
    const {flags} = this
    const config = this.loadConfig()
    const {log, registry} = await this.openBackend(config)
    const topics = flags.topics ? flags.topics.split(',').map((topic) => topic.trim()).filter(Boolean) : await userTopics(log)
    const sample = flags.sample ?? DEFAULT_SAMPLE
    const found = await discoverFlows({log, registry, sample, signal: this.signal, topics, warn: (message) => this.warn(message)})
    this.exitIfInterrupted()
    const flows = flags.name && found.flows.length > 0 ? [{...found.flows[0], name: flags.name}, ...found.flows.slice(1)] : found.flows
    if (flows.length === 0) {
      throw new UsageError(`no flow found: no two of ${topics.join(', ')} share an id in their first ${sample.toLocaleString('en-US')} records`, {code: 'NO_EVENTS', hint: 'sample more records with --sample N, or name the topics of one flow with --topics'})
    }

    if (!this.jsonEnabled()) {
      this.log(flowsYaml(flows, (flow) => `${flow.ids.toLocaleString('en-US')} ids shared by ${Object.keys(flow.topics).join(', ')} (first ${sample.toLocaleString('en-US')} records of each topic); ${endsLine(flow.ends)}`))
    }

    if (flags.write) await this.write(config.file ?? path.resolve('evt.yaml'), flows[0], `proposed by evt flow discover: ${flows[0].ids.toLocaleString('en-US')} ids shared by ${Object.keys(flows[0].topics).join(', ')}`)
    return {...found, flows}
  }

  private async write(file: string, flow: JsonResult['flow:discover']['flows'][number], comment: string): Promise<void> {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
    const updated = addFlowToConfig(text, flow, file, comment)
    if (process.stdin.isTTY && process.stderr.isTTY && !(await askYesNo(`add flow '${flow.name}' to ${file}?`))) {
      this.note(`${file} not changed`)
      return
    }

    writeFileSync(file, updated)
    this.note(`added flow '${flow.name}' to ${file}: try evt trace ${flow.name} --stalled`)
  }
}
