import type {FlowConfig} from '../config/types.js'
import type {EventLog} from '../log/event-log.js'

export interface TopicReader {
  group: string
  /** Records of the topic the group has not read yet (high watermark − committed offset, summed over partitions). */
  lag: number
}

/** `evt flow graph --json`: per topic of the flow, in evt.yaml's order, who writes it and which consumer groups read it. */
export interface FlowGraph {
  flow: string
  topics: {exists: boolean; readers: TopicReader[]; topic: string; writer: null | string}[]
}

/**
 * Who talks to whom in a flow: the service that owns each topic (its `owners:` in evt.yaml) and the
 * consumer groups that have committed offsets on it, with how far behind each one is.
 */
export async function flowGraph(options: {flow: FlowConfig; flowName: string; log: EventLog}): Promise<FlowGraph> {
  const {flow, log} = options
  const existing = new Set((await log.listTopics()).map((topic) => topic.name))
  // The groups of every topic in one look-up (Kafka: one ListGroups, one OffsetFetch per group).
  const offsets = await log.groupOffsets(Object.keys(flow.topics).filter((topic) => existing.has(topic)))
  const topics: FlowGraph['topics'] = []
  for (const topic of Object.keys(flow.topics)) {
    const writer = flow.owners[topic] ?? null
    if (!existing.has(topic)) {
      topics.push({exists: false, readers: [], topic, writer})
      continue
    }

    const high = new Map((await log.watermarks(topic)).map((mark) => [mark.partition, mark.high]))
    const lag = new Map<string, number>()
    for (const {group, offset, partition} of offsets.filter((entry) => entry.topic === topic)) lag.set(group, (lag.get(group) ?? 0) + Math.max(0, (high.get(partition) ?? offset) - offset))

    // In group order, as groupOffsets gives them.
    const readers = [...lag].map(([group, behind]) => ({group, lag: behind}))
    topics.push({exists: true, readers, topic, writer})
  }

  return {flow: options.flowName, topics}
}
