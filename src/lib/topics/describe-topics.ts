import type {EventLog} from '../log/event-log.js'

export interface TopicSummary {
  name: string
  partitions: number
  /** Records currently held: the sum over partitions of high - low watermark. */
  records: number
}

export async function describeTopics(log: EventLog): Promise<TopicSummary[]> {
  const topics = await log.listTopics()
  return Promise.all(
    topics.map(async ({name, partitions}) => {
      const marks = await log.watermarks(name)
      return {name, partitions, records: marks.reduce((sum, {high, low}) => sum + high - low, 0)}
    }),
  )
}
