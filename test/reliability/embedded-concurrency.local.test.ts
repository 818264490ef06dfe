import {execFile} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * Several real evt processes on one embedded evt.db at the same time, as when a developer tails
 * a topic in one terminal while a script produces into it from another. SQLite serialises the
 * writers (WAL, busy_timeout, BEGIN IMMEDIATE); none of them may fail with SQLITE_BUSY.
 */
// evt produce writes 500 lines per transaction: 5000 each makes the two producers' transactions interleave.
const PER_PRODUCER = 5000
const LOCKED = /SQLITE_BUSY|database is locked/i


interface TailedRecord {
  key: string
  offset: number
  partition: number
  value: {producer: string; seq: number}
}

const lines = (output: string): TailedRecord[] =>
  output
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

function expectClean(result: CliResult, what: string): void {
  expect({code: result.code, stderr: result.stderr, what}).toMatchObject({code: 0, stderr: expect.not.stringMatching(LOCKED)})
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group) group.push(item)
    else groups.set(key, [item])
  }
  return groups
}

/** Offsets 0..n-1 in every partition, in order: nothing lost, nothing written twice, no holes. */
function expectDenseOffsets(records: TailedRecord[]): void {
  const byPartition = groupBy(records, (record) => String(record.partition))
  for (const [partition, inPartition] of byPartition) {
    const offsets = inPartition.map((record) => record.offset).sort((a, b) => a - b)
    expect({offsets, partition}).toEqual({offsets: offsets.map((_, index) => index), partition})
  }
}

const avro = (name: string) => JSON.stringify({fields: [{name: 'id', type: 'string'}], name, namespace: 'concurrency', type: 'record'})

describe('one embedded evt.db, several evt processes at once', () => {
  const tempDir = useTempDir()
  beforeAll(requireFreshBuild)

  it('creates a fresh evt.db from four processes at once: every schema and topic lands', async () => {
    const cwd = tempDir()
    for (const name of ['Order', 'Payment']) writeFileSync(path.join(cwd, `${name}.avsc`), avro(name))
    const results = await Promise.all([
      runCli(['schema', 'register', 'orders-value', 'Order.avsc'], {cwd}),
      runCli(['schema', 'register', 'payments-value', 'Payment.avsc'], {cwd}),
      runCli(['topic', 'create', 'orders', '--partitions', '3'], {cwd}),
      runCli(['topic', 'create', 'payments', '--partitions', '2'], {cwd}),
    ])
    for (const result of results) expectClean(result, 'first open')

    const subjects = JSON.parse((await runCli(['schema', 'list', '--json'], {cwd})).stdout)
    expect(subjects.map((s: {subject: string}) => s.subject)).toEqual(['orders-value', 'payments-value'])
    const topics = JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)
    expect(topics.map((t: {name: string}) => t.name)).toEqual(['orders', 'payments'])
  })

  it('keeps every record of two producers writing one topic at once, while a follower and bounded tails read it', async () => {
    const cwd = tempDir()
    expectClean(await runCli(['topic', 'create', 'events', '--partitions', '3'], {cwd}), 'topic create')
    for (const name of ['Shipment', 'Refund']) writeFileSync(path.join(cwd, `${name}.avsc`), avro(name))
    const input = (producer: string) =>
      Array.from({length: PER_PRODUCER}, (_, seq) => JSON.stringify({key: `${producer}-${seq}`, value: {producer, seq}})).join('\n')

    // The follower starts first and stops by itself once it has seen every record.
    const follower = runCli(['topic', 'tail', 'events', '--follow', '--from', 'beginning', '--limit', String(2 * PER_PRODUCER), '--json'], {cwd})
    let producing = true
    const producers = Promise.all([
      runCli(['topic', 'produce', 'events'], {cwd, input: input('a')}),
      runCli(['topic', 'produce', 'events'], {cwd, input: input('b')}),
      runCli(['schema', 'register', 'shipments-value', 'Shipment.avsc'], {cwd}),
      runCli(['schema', 'register', 'refunds-value', 'Refund.avsc'], {cwd}),
    ]).finally(() => (producing = false))
    // Bounded tails while the producers write: each sees a consistent prefix of every partition.
    const snapshots: CliResult[] = []
    while (producing || snapshots.length < 2) snapshots.push(await runCli(['topic', 'tail', 'events', '--json'], {cwd}))

    for (const result of await producers) expectClean(result, 'producer or schema register')
    for (const snapshot of snapshots) {
      expectClean(snapshot, 'bounded tail')
      expectDenseOffsets(lines(snapshot.stdout))
    }

    const followed = await follower
    expectClean(followed, 'tail --follow')
    const final = await runCli(['topic', 'tail', 'events', '--json'], {cwd})
    expectClean(final, 'final tail')

    const expected = ['a', 'b'].flatMap((producer) => Array.from({length: PER_PRODUCER}, (_, seq) => `${producer}-${seq}`)).sort()
    for (const output of [final.stdout, followed.stdout]) {
      const records = lines(output)
      expect(records.map((record) => record.key).sort()).toEqual(expected)
      expectDenseOffsets(records)
      // Each producer's records keep its order within a partition.
      for (const inPartition of groupBy(records, (record) => `${record.partition}/${record.value.producer}`).values()) {
        const seqs = inPartition.sort((x, y) => x.offset - y.offset).map((record) => record.value.seq)
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
      }
    }

    const subjects = JSON.parse((await runCli(['schema', 'list', '--json'], {cwd})).stdout)
    expect(subjects.map((s: {subject: string}) => s.subject)).toEqual(['refunds-value', 'shipments-value'])
  })

  it('opens one new flow index from ten processes at once, every time (evt trace in parallel)', async () => {
    // Started together and waiting for one moment, so that their opening statements meet: spread
    // out the way whole evt processes start, they rarely do (the deadlock was seen 1 in 75 under load).
    const flowIndex = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/lib/trace/flow-index.js')
    const opener = `
      const {FlowIndex} = await import(${JSON.stringify(flowIndex)})
      while (Date.now() < Number(process.argv[2])) {}
      try {
        const index = await FlowIndex.open(process.argv[1], {ends: ['OrderShipped'], topics: {orders: {id: {kind: 'key', text: 'key'}}}})
        index.close()
        console.log('opened')
      } catch (error) {
        console.log(error.code, error.message)
      }`
    const outcomes: string[] = []
    for (let round = 0; round < 8; round++) {
      const file = path.join(tempDir(), 'order.db')
      const at = String(Date.now() + 1500)
      const runs = Array.from({length: 10}, () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', opener, file, at]))
      outcomes.push(...(await Promise.all(runs)).map((run) => run.stdout.trim()))
    }

    expect(outcomes.filter((outcome) => outcome !== 'opened')).toEqual([])
  })
})
