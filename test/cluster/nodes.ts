import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

/*
 * The nodes of the 3-broker cluster of scripts/kafka (start.sh --brokers 3), controlled through
 * scripts/kafka/node.sh: a graceful stop (SIGTERM), a SIGKILL, a start on the node's own data, and
 * a wait until every replica is back in sync.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const run = promisify(execFile)

export async function node(command: 'kill' | 'start' | 'stop', id: number): Promise<void> {
  await run('bash', [path.join(ROOT, 'scripts/kafka/node.sh'), command, String(id)], {timeout: 180_000})
}

/** Waits until every node runs and no partition is under-replicated. */
export async function waitInSync(seconds = 150): Promise<void> {
  await run('bash', [path.join(ROOT, 'scripts/kafka/node.sh'), 'wait-isr', String(seconds)], {timeout: (seconds + 30) * 1000})
}

/** The node id leading a partition now, from the cluster's metadata. */
export async function leaderOf(brokers: string, topic: string, partition: number): Promise<number> {
  const {Kafka, logLevel} = ((await import('kafkajs')) as unknown as {default: typeof import('kafkajs')}).default
  const admin = new Kafka({brokers: brokers.split(','), logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    const {topics} = await admin.fetchTopicMetadata({topics: [topic]})
    return topics[0].partitions.find((p) => p.partitionId === partition)!.leader
  } finally {
    await admin.disconnect()
  }
}
