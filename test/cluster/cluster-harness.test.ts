import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import type {Admin} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/*
 * Smoke test of the 3-node harness itself (scripts/kafka/start.sh --brokers 3, node.sh): three
 * brokers, topics replicated three times, and one node stopped and started again on its data
 * while evt keeps reading through the other two.
 */
const NODE_SH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/kafka/node.sh')
const nodeSh = async (...args: string[]) => (await promisify(execFile)('bash', [NODE_SH, ...args], {timeout: 200_000})).stdout

const cluster = inject('cluster')

/** The process is gone, or a zombie its new parent has not reaped yet. */
function exited(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}
let admin: Admin
let cwd: string

beforeAll(async () => {
  const {Kafka, logLevel} = ((await import('kafkajs')) as unknown as {default: typeof import('kafkajs')}).default
  admin = new Kafka({brokers: cluster.brokers.split(','), clientId: 'evt-cluster-test', logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  cwd = mkdtempSync(path.join(tmpdir(), 'evt-cluster-'))
  writeFileSync(path.join(cwd, 'evt.yaml'), `clusters:\n  three:\n    brokers: [${cluster.brokers}]\n    registry: ${cluster.registry}\ndefault: three\n`)
})

afterAll(async () => {
  await admin?.disconnect()
  if (cwd) rmSync(cwd, {force: true, recursive: true})
})

describe('the 3-node cluster harness', () => {
  it('prints the bootstrap lists of all three nodes', () => {
    expect(cluster.brokers).toBe('127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292')
    expect(cluster.ssl).toBe('127.0.0.1:9095,127.0.0.1:9195,127.0.0.1:9295')
    expect(cluster.saslSsl).toBe('127.0.0.1:9096,127.0.0.1:9196,127.0.0.1:9296')
    expect(cluster.mtls).toBe('127.0.0.1:9097,127.0.0.1:9197,127.0.0.1:9297')
  })

  it('has three brokers, node ids 1 to 3', async () => {
    const {brokers} = await admin.describeCluster()
    expect(brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort()).toEqual(['1@127.0.0.1:9092', '2@127.0.0.1:9192', '3@127.0.0.1:9292'])
    expect((await nodeSh('status')).trim().split('\n').map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['1 up', '2 up', '3 up'])
  })

  it('serves TLS, mTLS and SASL_SSL on every node', async () => {
    const {ca, clientCert, clientKey} = cluster.tls
    const listeners = {
      mtls: `ssl: { ca: ${ca}, cert: ${clientCert}, key: ${clientKey} }`,
      saslSsl: `ssl: { ca: ${ca} }\n    sasl: { mechanism: scram-sha-256, username: evt, password: evt-test-secret }`,
      ssl: `ssl: { ca: ${ca} }`,
    }
    for (const [listener, settings] of Object.entries(listeners)) {
      for (const [index, address] of cluster[listener as keyof typeof listeners].split(',').entries()) {
        // Each node alone as the bootstrap broker; kafkajs then reaches the others over the same listener.
        const dir = mkdtempSync(path.join(tmpdir(), 'evt-cluster-tls-'))
        writeFileSync(path.join(dir, 'evt.yaml'), `clusters:\n  tls:\n    brokers: [${address}]\n    ${settings}\ndefault: tls\n`)
        const result = await runCli(['topic', 'create', `tls-${listener.toLowerCase()}-${index + 1}-${Date.now().toString(36)}`], {cwd: dir})
        rmSync(dir, {force: true, recursive: true})
        expect(result.code, `${listener} of node ${index + 1} (${address}): ${result.stderr}`).toBe(0)
      }
    }
  })

  it('replicates a topic made by evt topic create three times (min ISR 2), and stays readable while node 2 is down', async () => {
    const topic = `harness-${Date.now().toString(36)}`
    const create = await runCli(['topic', 'create', topic, '--partitions', '3'], {cwd})
    expect(create.code, create.stderr).toBe(0)
    const {topics} = await admin.fetchTopicMetadata({topics: [topic]})
    expect(topics[0].partitions).toHaveLength(3)
    for (const partition of topics[0].partitions) {
      expect(partition.replicas.sort()).toEqual([1, 2, 3])
      expect(partition.isr.sort()).toEqual([1, 2, 3])
    }

    const [config] = (await admin.describeConfigs({includeSynonyms: false, resources: [{configNames: ['min.insync.replicas'], name: topic, type: 2}]})).resources
    expect(config.configEntries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue).toBe('2')

    const input = Array.from({length: 30}, (_, i) => JSON.stringify({key: `k${i}`, value: {i}})).join('\n') + '\n'
    const produce = await runCli(['topic', 'produce', topic], {cwd, input})
    expect(produce.code, produce.stderr).toBe(0)
    const readAll = async () => {
      const tail = await runCli(['topic', 'tail', topic, '--from', 'beginning', '--limit', '30', '--json'], {cwd})
      expect(tail.code, tail.stderr).toBe(0)
      return tail.stdout.trim().split('\n').map((line) => JSON.parse(line).value.i as number).sort((a, b) => a - b)
    }

    const all = Array.from({length: 30}, (_, i) => i)
    expect(await readAll()).toEqual(all)

    const pid = Number(await nodeSh('pid', '2'))
    await nodeSh('stop', '2')
    expect(exited(pid)).toBe(true)
    expect((await nodeSh('status')).split('\n')[1]).toMatch(/^2 down /)
    // Leaders on node 2 moved to the other two in the controlled shutdown: everything is still there.
    expect(await readAll()).toEqual(all)

    expect((await nodeSh('start', '2')).trim()).toBe('node 2 127.0.0.1:9192')
    await nodeSh('wait-isr', '120')
    const after = await admin.fetchTopicMetadata({topics: [topic]})
    for (const partition of after.topics[0].partitions) expect(partition.isr.sort()).toEqual([1, 2, 3])
    expect(await readAll()).toEqual(all)
  })
})
