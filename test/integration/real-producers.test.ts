import {execFile} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {beforeAll, describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/*
 * Record batches written by real producers with every codec Kafka has: kcat (librdkafka) and
 * Kafka's own Java producer, transactions included. evt must read them all, and what evt writes
 * with each codec must be readable by kcat.
 */
const {brokers, registry} = inject('kafka')
const kafkaFlags = ['--brokers', brokers, '--registry', registry]
const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures')
const kafkaJars = path.join(process.env.EVT_INFRA_CACHE ?? path.join(homedir(), '.cache/evt-infra'), 'lib', '*')
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
const run = promisify(execFile)

let cwd: string
beforeAll(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'evt-codecs-'))
})

async function createTopic(prefix: string): Promise<string> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`
  const created = await runCli(['topic', 'create', topic, '--partitions', '1', ...kafkaFlags], {cwd})
  expect(created.code, created.stderr).toBe(0)
  return topic
}

/** Writes lines with kcat (librdkafka): one produce call, so the lines share compressed batches. */
async function kcatProduce(topic: string, codec: string, lines: string[]): Promise<void> {
  const child = execFile('kcat', ['-P', '-b', brokers, '-t', topic, '-p', '0', '-z', codec, '-K', ':'])
  child.stdin!.end(lines.join('\n') + '\n')
  await new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`)))))
}

async function javaProduce(topic: string, codec: string, count: number, mode: 'plain' | 'transactions'): Promise<void> {
  await run('java', ['-cp', kafkaJars, path.join(fixtures, 'JavaProducer.java'), brokers, topic, codec, String(count), mode], {timeout: 60_000})
}

async function tailJson(topics: string[]): Promise<{headers: Record<string, unknown>; key: unknown; offset: number; topic: string; value: unknown}[]> {
  const tail = await runCli(['topic', 'tail', ...topics, '--json', ...kafkaFlags], {cwd})
  expect(tail.code, tail.stderr).toBe(0)
  expect(tail.stderr).toBe('')
  return tail.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

describe('compressed record batches', () => {
  for (const codec of CODECS) {
    it(`reads what kcat writes with ${codec}`, async () => {
      const topic = await createTopic(`kcat-${codec}`)
      const lines = Array.from({length: 40}, (_, i) => `k${i}:{"n":${i},"codec":"${codec}","pad":"${'x'.repeat(100)}"}`)
      await kcatProduce(topic, codec, lines)
      const records = await tailJson([topic])
      expect(records.map((r) => [r.offset, r.key, (r.value as {n: number}).n])).toEqual(lines.map((_, i) => [i, `k${i}`, i]))
    })

    it(`reads what Kafka's Java producer writes with ${codec}, duplicate and null headers included`, async () => {
      const topic = await createTopic(`java-${codec}`)
      await javaProduce(topic, codec, 30, 'plain')
      const records = await tailJson([topic])
      expect(records.map((r) => r.value)).toEqual(Array.from({length: 30}, (_, i) => `java-${i}`))
      expect(records[0].headers).toEqual({h: ['1', '2'], n: null})
    })

    it(`writes ${codec} batches that kcat reads back`, async () => {
      const topic = await createTopic(`evt-${codec}`)
      const input = Array.from({length: 25}, (_, i) => JSON.stringify({key: `k${i}`, value: {n: i, pad: 'y'.repeat(200)}})).join('\n')
      const produced = await runCli(['topic', 'produce', topic, '--compression', codec, ...kafkaFlags], {cwd, input})
      expect(produced.code, produced.stderr).toBe(0)
      const {stdout} = await run('kcat', ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-f', '%k %s\n'])
      expect(stdout.trim().split('\n')).toEqual(Array.from({length: 25}, (_, i) => `k${i} ${JSON.stringify({n: i, pad: 'y'.repeat(200)})}`))
    })
  }

  it('produces JSON text to a topic without a schema on a cluster without a registry', async () => {
    const topic = await createTopic('no-registry')
    const produced = await runCli(['topic', 'produce', topic, '--brokers', brokers], {cwd, input: '{"key":"k","value":{"n":1}}\n'})
    expect(produced.code, produced.stderr).toBe(0)
    const {stdout} = await run('kcat', ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-f', '%k %s\n'])
    expect(stdout).toBe('k {"n":1}\n')
  })

  it("skips the Java producer's aborted transactions and its commit markers (lz4)", async () => {
    const topic = await createTopic('java-tx')
    await javaProduce(topic, 'lz4', 20, 'transactions')
    const values = (await tailJson([topic])).map((r) => r.value as string)
    expect(values).toEqual([...Array.from({length: 20}, (_, i) => `committed-${i}`), ...Array.from({length: 20}, (_, i) => `after-${i}`)])
  })

  it('shows plain records written before a compressed batch, and merges topics of different codecs', async () => {
    const mixed = await createTopic('mixed')
    await kcatProduce(mixed, 'none', ['a:plain-0', 'b:plain-1', 'c:plain-2'])
    await kcatProduce(mixed, 'snappy', ['d:snappy-3', 'e:snappy-4'])
    const gzipTopic = await createTopic('merge-gzip')
    const lz4Topic = await createTopic('merge-lz4')
    await kcatProduce(gzipTopic, 'gzip', ['g:gzip-0', 'g:gzip-1'])
    await kcatProduce(lz4Topic, 'lz4', ['l:lz4-0', 'l:lz4-1'])

    expect((await tailJson([mixed])).map((r) => r.value)).toEqual(['plain-0', 'plain-1', 'plain-2', 'snappy-3', 'snappy-4'])
    const merged = await tailJson([gzipTopic, lz4Topic])
    expect(merged.map((r) => r.value).sort()).toEqual(['gzip-0', 'gzip-1', 'lz4-0', 'lz4-1'])
  })

  it('export → import → export of records the Java producer wrote (lz4, repeated and null headers) is byte-identical on Kafka', async () => {
    const topic = await createTopic('roundtrip')
    await javaProduce(topic, 'lz4', 20, 'plain')
    const first = await runCli(['topic', 'export', topic, ...kafkaFlags], {cwd})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout.split('\n').filter(Boolean)).toHaveLength(21)

    const {Kafka, logLevel} = ((await import('kafkajs')) as unknown as {default: typeof import('kafkajs')}).default
    const admin = new Kafka({brokers: [brokers], logLevel: logLevel.NOTHING}).admin()
    await admin.connect()
    try {
      await admin.deleteTopics({timeout: 10_000, topics: [topic]})
      for (let tries = 0; (await admin.listTopics()).includes(topic); tries++) {
        expect(tries).toBeLessThan(100)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      await admin.disconnect()
    }

    const imported = await runCli(['topic', 'import', '-', '--compression', 'zstd', ...kafkaFlags], {cwd, input: first.stdout})
    expect(imported.code, imported.stderr).toBe(0)
    const second = await runCli(['topic', 'export', topic, ...kafkaFlags], {cwd})
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toBe(first.stdout)
  })
})
