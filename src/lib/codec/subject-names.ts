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
