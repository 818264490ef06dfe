import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonLine} from '../../cli/results.js'
import {compressionFlag} from '../../cli/flags.js'
import {linesOf} from '../../cli/output.js'
import {readSchemaFile} from '../../lib/schema/schema-file.js'
import {produceJsonLines} from '../../lib/topics/produce-json-lines.js'

export default class TopicProduce extends EvtCommand<typeof TopicProduce> {
  static args = {topic: Args.string({description: 'the topic to write to', required: true})}
  static description = prose`Reads JSON lines from stdin — {"key": ..., "value": {...}, "headers": {...}, "partition": N,
"timestamp": ...} — and produces them. Values are encoded in the Confluent wire format with the
latest schema of <topic>-value (or --subject), or with --schema FILE (registered first, so it must
be compatible); a topic without a schema gets the value as JSON text. "value": null is a tombstone.
Keys are written as UTF-8 text ({"base64": "..."} for bytes); without a partition, the key picks it as
Kafka's default partitioner does. Headers take the form topic tail --json prints (text, null, {"base64": "..."},
an array for a repeated name) or a list of [name, value] pairs, so a tail line can be fed back.`

  static examples = [
    `echo '{"key":"1042","value":{"orderId":"1042","status":"NEW"}}' | <%= config.bin %> topic produce orders --json`,
    '<%= config.bin %> topic produce payments --schema schemas/payment.avsc < payments.jsonl',
  ]

  static flags = {
    compression: compressionFlag(),
    schema: Flags.string({description: 'encode with this schema file (.avsc or .json), registered under the subject first'}),
    subject: Flags.string({description: 'the value subject (default: <topic>-value)'}),
  }

  static summary = 'Produce JSON lines from stdin, encoded with a registered schema.'

  async run(): Promise<void> {
    const lines = linesOf(process.stdin, this.signal)
    const {log, registry} = await this.openBackend()
    let count = 0
    for await (const produced of produceJsonLines({
      compression: this.flags.compression,
      lines,
      log,
      registry,
      schema: this.flags.schema ? readSchemaFile(this.flags.schema).definition : undefined,
      subject: this.flags.subject,
      topic: this.args.topic,
    })) {
      count += produced.length
      if (this.jsonEnabled()) await this.stdout.writeLines(produced.map((p) => JSON.stringify(p satisfies JsonLine['topic:produce'])))
    }

    // Interrupted too: say how many were sent.
    if (!this.jsonEnabled()) this.note(`produced ${count} record${count === 1 ? '' : 's'} to ${this.args.topic}`)
    this.exitIfInterrupted()
  }
}
