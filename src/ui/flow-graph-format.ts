import type {FlowGraph} from '../lib/flows/flow-graph.js'

/** One line per topic: `orders-service → orders → billing (up to date), audit (12 behind)`. */
export function formatFlowGraphText(graph: FlowGraph): string {
  const width = Math.max(...graph.topics.map(({writer}) => (writer ?? '(no owner)').length))
  const lines = graph.topics.map(({exists, readers, topic, writer}) => {
    const read = !exists ? 'not in the cluster' : readers.length === 0 ? 'no consumer group' : readers.map(({group, lag}) => `${group} (${lag === 0 ? 'up to date' : `${lag.toLocaleString('en-US')} behind`})`).join(', ')
    return `${(writer ?? '(no owner)').padStart(width)} → ${topic} → ${read}`
  })
  return [`flow ${graph.flow}: who writes each topic (owners in evt.yaml), and which consumer groups read it`, ...lines].join('\n')
}

/** A Mermaid flowchart: services → topics → consumer groups; a dashed edge to a group that is behind. */
export function formatFlowGraphMermaid(graph: FlowGraph): string {
  const lines = ['flowchart LR']
  const ids = new Map<string, string>()
  const node = (kind: 'g' | 's' | 't', name: string, shape: (label: string) => string): string => {
    const key = `${kind}:${name}`
    let id = ids.get(key)
    if (!id) {
      id = `${kind}${ids.size}`
      ids.set(key, id)
      lines.push(`  ${id}${shape(label(name))}`)
    }

    return id
  }

  for (const {readers, topic, writer} of graph.topics) {
    const topicId = node('t', topic, (text) => `[("${text}")]`)
    if (writer) lines.push(`  ${node('s', writer, (text) => `["${text}"]`)} -->|writes| ${topicId}`)
    for (const {group, lag} of readers) {
      const groupId = node('g', group, (text) => `{{"${text}"}}`)
      lines.push(lag === 0 ? `  ${topicId} -->|read by| ${groupId}` : `  ${topicId} -.->|"${lag} behind"| ${groupId}`)
    }
  }

  return lines.join('\n')
}

/** Mermaid labels in quotes: a quote is written as its entity. */
function label(name: string): string {
  return name.replaceAll('"', '#quot;')
}
