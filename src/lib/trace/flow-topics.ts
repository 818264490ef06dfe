import type {FlowConfig} from '../config/types.js'
import type {EventLog} from '../log/event-log.js'

/** The flow's topics that exist on the log; each that does not is warned about, and the read goes on without it. */
export async function existingFlowTopics(log: EventLog, flow: FlowConfig, flowName: string, warn?: (message: string) => void): Promise<string[]> {
  const existing = new Set((await log.listTopics()).map((topic) => topic.name))
  return Object.keys(flow.topics).filter((topic) => {
    if (existing.has(topic)) return true
    warn?.(`topic '${topic}' of flow '${flowName}' does not exist; read without it`)
    return false
  })
}
