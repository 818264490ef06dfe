import {EvtCommand} from '../../cli/base-command.js'
import type {JsonResult} from '../../cli/results.js'
import {describeTopics} from '../../lib/topics/describe-topics.js'
import {formatTopicTable} from '../../ui/topic-table.js'

export default class TopicList extends EvtCommand<typeof TopicList> {
  static description = 'Lists every topic of the current cluster with its partition count and how many records it holds now: the high minus the low watermark of each partition. On Kafka, transaction markers and aborted records take offsets too, so a reader may see fewer records.'
  static examples = ['<%= config.bin %> topic list', '<%= config.bin %> topic list --json --cluster staging']
  static summary = 'List topics with partitions and record counts.'

  async run(): Promise<JsonResult['topic:list']> {
    const {log} = await this.openBackend()
    const topics = await describeTopics(log)
    if (!this.jsonEnabled()) this.log(formatTopicTable(topics))
    return topics
  }
}
