import {NotFoundError} from '../errors.js'
import type {EventLog} from '../log/event-log.js'

export interface TopicSummary {
  name: string
  partitions: number
  /**
   * The offsets the topic holds now: the sum over partitions of high - low watermark. On Kafka,
   * transaction markers and aborted records take offsets too, so a reader may see fewer records.
   */
  records: number
}

/** Every topic with its size; a topic another client deletes meanwhile is left out. */
export async function describeTopics(log: EventLog): Promise<TopicSummary[]> {
  const topics = await log.listTopics()
  const described = await Promise.all(
    topics.map(async ({name, partitions}) => {
      const marks = await log.watermarks(name).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined
        throw error
      })
      return marks && {name, partitions, records: marks.reduce((sum, {high, low}) => sum + high - low, 0)}
    }),
  )
  return described.filter((topic) => topic !== undefined)
}
