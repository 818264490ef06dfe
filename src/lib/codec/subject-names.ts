import {EvtError} from '../errors.js'

/** Confluent's subject name strategies. */
export type SubjectNameStrategy = 'TopicName' | 'TopicRecordName'

export function subjectName(options: {
  isKey?: boolean
  recordName?: string
  strategy: SubjectNameStrategy
  topic: string
}): string {
  if (options.strategy === 'TopicName') return `${options.topic}-${options.isKey ? 'key' : 'value'}`
  if (!options.recordName) throw new EvtError('CONFIG_INVALID', 'TopicRecordNameStrategy needs the record name')
  return `${options.topic}-${options.recordName}`
}

/**
 * Whether `subject` is one of `topic`'s under Confluent's topic strategies: `<topic>-key`,
 * `<topic>-value` or `<topic>-<record name>`. A schema id can sit under the subjects of other
 * topics too (the registry gives identical schemas one id); and `orders-archive-value` is not one
 * of topic `orders`'s, as a record name has no hyphen.
 */
export function isSubjectOfTopic(subject: string, topic: string): boolean {
  return subject.startsWith(`${topic}-`) && /^[A-Za-z_][\w.]*$/.test(subject.slice(topic.length + 1))
}
