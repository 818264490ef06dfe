import type {EventLog} from '../log/event-log.js'

/** Kafka's own topics (__consumer_offsets, __transaction_state) and a registry's (_schemas, _confluent-*). */
export function isInternalTopic(name: string): boolean {
  return name.startsWith('__') || name === '_schemas' || name.startsWith('_confluent')
}

/** Every topic of the cluster that services write: what a command looks at when none is named. */
export async function userTopics(log: EventLog): Promise<string[]> {
  return (await log.listTopics()).map((topic) => topic.name).filter((name) => !isInternalTopic(name))
}
