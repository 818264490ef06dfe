import * as Args from '@oclif/core/args'

import {EvtCommand} from '../../cli/base-command.js'
import type {JsonResult} from '../../cli/results.js'
import {positiveIntFlag} from '../../cli/flags.js'

export default class TopicCreate extends EvtCommand<typeof TopicCreate> {
  static args = {topic: Args.string({description: 'topic name (a-z A-Z 0-9 . _ -)', required: true})}
  static description = 'Creates a topic with the given number of partitions. Fails when the topic already exists.'
  static examples = ['<%= config.bin %> topic create audit --partitions 3', '<%= config.bin %> topic create audit --partitions 6 --brokers 127.0.0.1:9092']
  static flags = {partitions: positiveIntFlag({default: 1, description: 'number of partitions'})}
  static summary = 'Create a topic.'
  static writesLog = true

  async run(): Promise<JsonResult['topic:create']> {
    const {log} = await this.openBackend()
    await log.createTopic(this.args.topic, {partitions: this.flags.partitions})
    if (!this.jsonEnabled()) this.log(`created ${this.args.topic} with ${this.flags.partitions} partition(s)`)
    return {partitions: this.flags.partitions, topic: this.args.topic}
  }
}
