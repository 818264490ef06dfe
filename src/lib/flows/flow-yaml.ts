import {createRequire} from 'node:module'

import {UsageError} from '../errors.js'
import type {ProposedFlow} from './discover-flows.js'

// yaml is loaded on first use only: most commands never write evt.yaml.
const require = createRequire(import.meta.url)

/**
 * Proposed flows as evt.yaml has them: topics with their id, owners, ends (the small maps on one
 * line), each with `comment(flow)` above it. Two flows named alike get a number.
 */
export function flowsYaml(flows: ProposedFlow[], comment: (flow: ProposedFlow) => string): string {
  const {Document, isPair, isScalar} = require('yaml') as typeof import('yaml')
  const named = uniqueNames(flows)
  const doc = new Document({flows: Object.fromEntries(named.map((flow) => [flow.name, flowSetting(flow)]))})
  for (const flow of named) styleFlow(doc, flow.name)
  const entries = (doc.get('flows') as {items: unknown[]}).items
  for (const [i, entry] of entries.entries()) if (isPair(entry) && isScalar(entry.key)) entry.key.commentBefore = ` ${comment(named[i])}`
  return doc.toString({lineWidth: 0})
}

function uniqueNames(flows: ProposedFlow[]): ProposedFlow[] {
  const used = new Map<string, number>()
  return flows.map((flow) => {
    const count = (used.get(flow.name) ?? 0) + 1
    used.set(flow.name, count)
    return count === 1 ? flow : {...flow, name: `${flow.name}${count}`}
  })
}

/**
 * `text` (an evt.yaml, perhaps empty) with the flow added as the last entry of `flows:` (the text
 * is inserted: the rest of the file, its comments and its layout, stay as they were). A flow of
 * that name already there is never replaced.
 */
export function addFlowToConfig(text: string, flow: ProposedFlow, file: string, comment: string): string {
  const {isMap, parseDocument} = require('yaml') as typeof import('yaml')
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new UsageError(`${file} is not valid YAML: ${doc.errors[0].message}`, {code: 'CONFIG_INVALID'})
  if (doc.contents !== null && !isMap(doc.contents)) throw new UsageError(`${file} is not a map of settings; the flow was not added`, {code: 'CONFIG_INVALID'})
  if (doc.hasIn(['flows', flow.name])) {
    throw new UsageError(`${file} has a flow '${flow.name}' already; it was not replaced`, {code: 'CONFIG_INVALID', hint: `give the new one another name with --name, or remove flows.${flow.name} first`})
  }

  // The flow's lines as flowsYaml writes them under `flows:` (two spaces in).
  const block = flowsYaml([flow], () => comment).split('\n').slice(1).join('\n')
  const flows = doc.get('flows', true)
  if (flows === undefined) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}flows:\n${block}`
  if (!isMap(flows) || flows.flow || !flows.range) throw new UsageError(`${file}: flows is not a block map; add the flow by hand`, {code: 'CONFIG_INVALID'})
  const firstKey = (flows.items[0]?.key as {range?: number[]} | undefined)?.range?.[0]
  const indent = firstKey === undefined ? 2 : firstKey - text.lastIndexOf('\n', firstKey - 1) - 1
  const at = flows.range[1]
  const lines = block.replaceAll(/^ {2}/gm, ' '.repeat(indent))
  return `${text.slice(0, at)}${at > 0 && text[at - 1] !== '\n' ? '\n' : ''}${lines}${text.slice(at)}`
}

function flowSetting(flow: ProposedFlow): object {
  return {
    topics: Object.fromEntries(Object.entries(flow.topics).map(([topic, id]) => [topic, {id}])),
    owners: flow.owners,
    ends: flow.ends,
  }
}

function styleFlow(doc: import('yaml').Document, name: string): void {
  const {isCollection} = require('yaml') as typeof import('yaml')
  const flow = doc.getIn(['flows', name])
  if (!isCollection(flow)) return
  const topics = doc.getIn(['flows', name, 'topics'])
  if (isCollection(topics)) for (const item of topics.items as {value?: unknown}[]) if (isCollection(item.value)) item.value.flow = true
  for (const key of ['owners', 'ends']) {
    const node = doc.getIn(['flows', name, key])
    if (isCollection(node)) node.flow = true
  }
}
