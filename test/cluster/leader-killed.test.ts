import {spawn} from 'node:child_process'
import {createReadStream, mkdtempSync, openSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import Database from 'better-sqlite3'
import {afterEach, beforeAll, describe, expect, inject, it} from 'vitest'

import {BIN, cleanEnv, runCli} from '../helpers/run-cli.js'
import {until} from '../reliability/kafka-faults.js'
import {leaderOf, node, waitInSync} from './nodes.js'

/*
 * A leader SIGKILLed in the middle of a bounded read of about a million records (the demo, on
 * three brokers with replication factor 3): tail, trace and rebuild wait for the new leader and
 * finish with exactly the output they give on a healthy cluster.
 */
const {brokers, registry} = inject('cluster')
const ORDERS = Number(process.env.EVT_CLUSTER_TEST_ORDERS ?? 150_000)
const TOPICS = ['orders', 'payments', 'stock', 'shipments']

let cwd: string
let watermarkTotal: number
let killed: number | undefined

beforeAll(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), 'evt-leader-killed-'))
  const demo = await runCli(['demo', '--orders', String(ORDERS), '--brokers', brokers, '--registry', registry], {cwd})
  expect(demo.code, demo.stderr).toBe(0)
  const list = await runCli(['topic', 'list', '--json'], {cwd})
  const topics = JSON.parse(list.stdout) as {name: string; records: number}[]
  watermarkTotal = topics.filter((t) => TOPICS.includes(t.name)).reduce((sum, t) => sum + t.records, 0)
  expect(watermarkTotal).toBeGreaterThan(ORDERS * 6)
}, 600_000)

afterEach(async () => {
  if (killed === undefined) return
  await node('start', killed)
  await waitInSync()
  killed = undefined
})

/** Starts evt with stdout into a file (a million lines do not belong in the test's memory). */
function startToFile(args: string[], file: string): {done: Promise<{code: null | number; stderr: string}>; interrupt(): void; running(): boolean} {
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env: cleanEnv(), stdio: ['ignore', openSync(file, 'w'), 'pipe']})
  let stderr = ''
  let exited = false
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const done = new Promise<{code: null | number; stderr: string}>((resolve) =>
    child.on('close', (code) => {
      exited = true
      resolve({code, stderr})
    }),
  )
  return {done, interrupt: () => child.kill('SIGINT'), running: () => !exited}
}

async function killLeaderOf(topic: string, partition: number): Promise<number> {
  const leader = await leaderOf(brokers, topic, partition)
  killed = leader
  await node('kill', leader)
  return leader
}

describe('a leader killed during a bounded read of the demo (about 1M records)', () => {
  it('tail prints every record exactly once', async () => {
    const out = path.join(cwd, 'tail.jsonl')
    const tail = startToFile(['topic', 'tail', ...TOPICS, '--json'], out)
    await until('the tail to be under way', () => statSync(out, {throwIfNoEntry: false})!.size > 5_000_000, 60_000)
    await killLeaderOf('orders', 0)
    expect(tail.running(), 'the tail was still reading when the leader died').toBe(true)
    const {code, stderr} = await tail.done
    expect(code, stderr).toBe(0)

    const seen = new Set<string>()
    let count = 0
    for await (const line of createInterface({input: createReadStream(out)})) {
      const {offset, partition, topic} = JSON.parse(line) as {offset: number; partition: number; topic: string}
      seen.add(`${topic}/${partition}/${offset}`)
      count++
    }

    expect(count).toBe(watermarkTotal)
    expect(seen.size).toBe(watermarkTotal)
  }, 240_000)

  it('trace tells the same story as on a healthy cluster', async () => {
    const id = String(1000 + Math.floor(ORDERS / 2))
    // Answered from the flow index, which this first trace builds on the healthy cluster.
    const healthy = await runCli(['trace', 'order', id, '--json'], {cwd})
    expect(healthy.code, healthy.stderr).toBe(0)
    const out = path.join(cwd, 'trace.json')
    // A scan of every record (a warm index would answer before the leader dies).
    const trace = startToFile(['trace', 'order', id, '--json', '--no-index'], out)
    await new Promise((resolve) => setTimeout(resolve, 700))
    await killLeaderOf('payments', 1)
    expect(trace.running(), 'the trace was still reading when the leader died').toBe(true)
    const {code, stderr} = await trace.done
    expect(code, stderr).toBe(0)
    const traced = await new Promise<string>((resolve) => {
      let text = ''
      createReadStream(out, 'utf8')
        .on('data', (chunk) => (text += chunk))
        .on('end', () => resolve(text))
    })
    expect(JSON.parse(traced)).toEqual(JSON.parse(healthy.stdout))
  }, 240_000)

  it('rebuild view builds the same rows as on a healthy cluster', async () => {
    const healthyDb = path.join(cwd, 'healthy.db')
    const healthy = await runCli(['rebuild', 'view', 'orders', '--db', healthyDb], {cwd})
    expect(healthy.code, healthy.stderr).toBe(0)
    const faultyDb = path.join(cwd, 'faulty.db')
    const rebuild = startToFile(['rebuild', 'view', 'orders', '--db', faultyDb], path.join(cwd, 'rebuild.out'))
    await new Promise((resolve) => setTimeout(resolve, 700))
    await killLeaderOf('orders', 2)
    expect(rebuild.running(), 'the rebuild was still reading when the leader died').toBe(true)
    const {code, stderr} = await rebuild.done
    expect(code, stderr).toBe(0)
    const rows = (file: string) => {
      const db = new Database(file, {readonly: true})
      try {
        return db.prepare('select * from orders order by key').all()
      } finally {
        db.close()
      }
    }

    expect(rows(faultyDb)).toEqual(rows(healthyDb))
  }, 240_000)

  it('replay writes every record once although the target partition\'s leader dies', async () => {
    const target = `orders-replayed-${Date.now()}`
    const created = await runCli(['topic', 'create', target, '--partitions', '6'], {cwd})
    expect(created.code, created.stderr).toBe(0)
    const out = path.join(cwd, 'replay.json')
    const replay = startToFile(['replay', 'orders', '--to', target, '--keep-partition', '--json'], out)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    await killLeaderOf(target, 0)
    expect(replay.running(), 'the replay was still writing when the leader died').toBe(true)
    const {code, stderr} = await replay.done
    expect(code, stderr).toBe(0)

    const list = await runCli(['topic', 'list', '--json'], {cwd})
    const records = (name: string) => (JSON.parse(list.stdout) as {name: string; records: number}[]).find((t) => t.name === name)!.records
    expect(JSON.parse(readFileSync(out, 'utf8')).records).toBe(records('orders'))
    expect(records(target)).toBe(records('orders'))
  }, 240_000)

  it('tail --follow rides out a broker that stays dead, printing nothing but the records', async () => {
    const topic = `followed-${Date.now()}`
    const created = await runCli(['topic', 'create', topic, '--partitions', '3'], {cwd})
    expect(created.code, created.stderr).toBe(0)
    const produce = async (prefix: string) => {
      const input = Array.from({length: 30}, (_, n) => JSON.stringify({key: `${prefix}${n}`, value: {n}})).join('\n') + '\n'
      const run = await runCli(['topic', 'produce', topic], {cwd, input})
      expect(run.code, run.stderr).toBe(0)
    }

    const out = path.join(cwd, 'follow.jsonl')
    const printed = () => readFileSync(out, 'utf8').split('\n').filter(Boolean)
    await produce('before-')
    const tail = startToFile(['topic', 'tail', topic, '--follow', '--from', 'beginning', '--json'], out)
    await until('the tail to print the first records', () => printed().length === 30, 30_000)
    const leader = await killLeaderOf(topic, 0)
    await produce('during-')
    // Down long enough for evt to give up its connection to the dead broker again and again
    // (kafkajs did so a dozen times, and Node.js warned of a listener leak).
    await new Promise((resolve) => setTimeout(resolve, 20_000))
    await node('start', leader)
    await waitInSync()
    killed = undefined
    await produce('after-')
    await until('the tail to print every record', () => printed().length === 90, 60_000)
    tail.interrupt()
    const {code, stderr} = await tail.done
    expect(code, stderr).toBe(130)
    expect(stderr).toBe('')
    const keys = printed().map((line) => (JSON.parse(line) as {key: string}).key)
    expect(new Set(keys).size).toBe(90)
  }, 240_000)

  it('produce started right after a SIGKILL waits for the new leader and writes every record once', async () => {
    const topic = `produced-${Date.now()}`
    const created = await runCli(['topic', 'create', topic, '--partitions', '3'], {cwd})
    expect(created.code, created.stderr).toBe(0)
    await killLeaderOf(topic, 0)
    // Several at once: each asks the broker the metadata names as controller (a random live one in
    // KRaft) for its producer id, and the killed broker is named until its session expires.
    const producers = 10
    const keys = (producer: number) => Array.from({length: 20}, (_, n) => `p${producer}-${n}`)
    const runs = await Promise.all(
      Array.from({length: producers}, (_, producer) =>
        runCli(['topic', 'produce', topic], {cwd, input: keys(producer).map((key) => JSON.stringify({key, value: {key}})).join('\n') + '\n'}),
      ),
    )
    for (const run of runs) expect(run.code, run.stderr).toBe(0)

    const tail = await runCli(['topic', 'tail', topic, '--json'], {cwd})
    expect(tail.code, tail.stderr).toBe(0)
    const written = tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as {key: string}).key)
    const expected = Array.from({length: producers}, (_, producer) => keys(producer)).flat()
    expect(written.sort()).toEqual(expected.sort())
  }, 240_000)
})
