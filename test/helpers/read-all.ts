import type {EventLog, LogRecord} from '../../src/lib/log/event-log.js'

/** Every record of a topic, partition by partition, read straight from the log seam. */
export async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  for (const {high, low, partition} of await log.watermarks(topic)) {
    for await (const batch of log.read({from: low, partition, to: high, topic})) out.push(...batch)
  }

  return out
}
