import * as Flags from '@oclif/core/flags'

import {UsageError} from '../lib/errors.js'
import {COMPRESSION_NAMES} from '../lib/log/kafka/compression.js'
import {parseStartPosition, parseUntil, START_POSITION_FORMS, type StartPosition, UNTIL_FORMS} from '../lib/read/start-position.js'

/**
 * Global flags on every command. The environment variables are read by the config resolver, not by
 * oclif, so that "flags > environment > evt.yaml" holds per layer (design §3).
 */
export const globalFlags = {
  brokers: Flags.string({
    description: 'Kafka bootstrap servers HOST:PORT,... (selects the kafka backend; env EVT_BROKERS)',
    helpGroup: 'GLOBAL',
  }),
  cluster: Flags.string({description: 'a cluster named in evt.yaml (env EVT_CLUSTER)', helpGroup: 'GLOBAL'}),
  config: Flags.string({description: 'path to evt.yaml (default: searched upward from the current directory)', helpGroup: 'GLOBAL'}),
  json: Flags.boolean({
    description: 'machine-readable output: one compact JSON object, or JSON lines for streams; errors as {"error": {code, exit, message, hint, data}}',
    helpGroup: 'GLOBAL',
  }),
  registry: Flags.string({description: 'Confluent-compatible schema registry URL (env EVT_REGISTRY_URL)', helpGroup: 'GLOBAL'}),
  timeout: Flags.string({
    description: 'Kafka: how long a request, or a partition without a reachable leader, may take before giving up (default 30s; env EVT_TIMEOUT)',
    helpGroup: 'GLOBAL',
  }),
}

export const compressionFlag = Flags.option({
  default: 'none',
  description: 'compression of the record batches written to Kafka (the embedded log stores them uncompressed)',
  options: COMPRESSION_NAMES,
})

export const fromFlag = Flags.custom<StartPosition>({
  description: `where to start in each partition: ${START_POSITION_FORMS}`,
  async parse(input) {
    return parseStartPosition(input)
  },
})

export const untilFlag = Flags.custom<number>({
  description: `stop before records at or after this time: ${UNTIL_FORMS}`,
  helpValue: 'TIME',
  async parse(input) {
    return parseUntil(input)
  },
})

export const partitionsFlag = Flags.custom<number[]>({
  description: 'only these partitions, e.g. 0 or 0,2',
  async parse(input) {
    const partitions = input.split(',').map((part) => part.trim())
    if (partitions.some((part) => !/^\d+$/.test(part))) {
      throw new UsageError(`cannot read --partition '${input}': expected partition numbers like 0 or 0,2`)
    }

    return partitions.map(Number)
  },
})

export const whereFlag = Flags.custom<string>({
  description: `keep records for which this JSONata expression is true, over the fields --json prints: {topic, partition, offset, timestamp (ms), key, value, headers, type, schema, valueEncoding}; e.g. "type = 'OrderRequested' and value.total > 100"`,
  helpValue: 'EXPRESSION',
})

export const positiveIntFlag = Flags.custom<number>({
  async parse(input) {
    if (!/^\d+$/.test(input) || Number(input) < 1) throw new UsageError(`expected a whole number ≥ 1, got '${input}'`)
    return Number(input)
  },
})

/**
 * The flags every reader shares (topic tail, topic export, replay), meaning the same everywhere:
 * the range of each partition (--from, --until), which partitions, which records, how many.
 */
export function readerFlags(fromDefault: string) {
  return {
    from: fromFlag({helpValue: 'POSITION', summary: `default: ${fromDefault}`}),
    limit: positiveIntFlag({char: 'n', description: 'stop after this many records (counted after --where)', helpValue: 'N'}),
    partition: partitionsFlag({char: 'p'}),
    until: untilFlag(),
    where: whereFlag(),
  }
}
