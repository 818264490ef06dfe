import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import type {OutgoingRecord} from '../../src/lib/log/event-log.js'
import {buildingFiles, expectCleanFailure, type Finished, openKafka, restartBroker, type Running, sha256, signalBroker, startEvt, until, writeProject} from './kafka-faults.js'

const cluster = inject('kafka')
const T0 = Date.parse('2026-03-01T10:00:00Z')
/** Either the request that found no broker, or the partition whose leader stayed unreachable. */
const BROKER_GONE = /^Error: (cannot reach Kafka at 127\.0\.0\.1:9092\b|no leader of failing-\S+ could be reached for 5 s; not answering: 127\.0\.0\.1:9092\b)/
/** How long evt waits for a leader to come back: short here, so the tests end quickly. */
const TIMEOUT = ['--timeout', '5s']

/**
 * Design §5 and the view guarantees: a broker that hangs or dies under a running command, and
 * does not come back within the timeout (the cluster's only broker: no other leader), ends it with
 * exit 3 and one line naming the broker, and loses nothing: what a tail printed stays printed, and
 * a rebuild leaves the previous view byte-identical with no partial file next to it. Each fault
 * hits `topic tail --follow`, `trace` and `rebuild view` at once.
 */
describe('broker failing while commands run', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'evt-broker-failures-'))
  const file = path.join(cwd, '.evt/views/slow.db')
  const tag = randomUUID().slice(0, 8)
  const [tailTopic, bigTopic, traceTopic] = ['tail', 'big', 'trace'].map((name) => `failing-${name}-${tag}`)
  let before: string

  beforeAll(async () => {
    const backend = await openKafka(cluster)
    try {
      for (const topic of [tailTopic, bigTopic, traceTopic]) await backend.log.createTopic(topic, {partitions: 1, retainForever: true})
      await backend.log.produce([...Array.from({length: 5}, (_, i) => record(tailTopic, i)), ...Array.from({length: 20}, (_, i) => record(traceTopic, i))])
      await backend.log.produce(Array.from({length: 100}, (_, i) => record(bigTopic, i)))
      writeProject(cwd, cluster, ['flows:', `  order: {topics: {${traceTopic}: {id: key}}, ends: [OrderConfirmed]}`, 'views:', `  slow: {from: [${bigTopic}], table: items, module: ./slow-projection.mjs}`])
      const built = await startEvt(['rebuild', 'view', 'slow'], {cwd}).done
      expect(built.code, built.stderr).toBe(0)
      before = sha256(file)
      // ~30 MB more: a rebuild fetches 8 MB at a time and projects each fetch for about 1.6 s, so
      // it goes back to the broker several times over a few seconds.
      for (let first = 100; first < 3100; first += 60) {
        await backend.log.produce(Array.from({length: 60}, (_, i) => record(bigTopic, first + i, 10_000)))
      }
    } finally {
      await backend.close()
    }
  })
  afterAll(() => rmSync(cwd, {force: true, recursive: true}))

  /** tail --follow (once it printed what the topic holds) and a rebuild (once it is writing its build file). */
  const startTailAndRebuild = async (): Promise<{rebuild: Running; tail: Running}> => {
    const tail = startEvt(['topic', 'tail', tailTopic, '--follow', '--from', 'beginning', '--json', ...TIMEOUT], {cwd})
    const rebuild = startEvt(['rebuild', 'view', 'slow', ...TIMEOUT], {cwd})
    await tail.waitFor('the 5 records already in the topic', (out) => out.split('\n').filter(Boolean).length === 5)
    await until('the rebuild to start its build file', () => buildingFiles(file).length === 1)
    await sleep(500)
    return {rebuild, tail}
  }

  const expectNothingLost = (tailed: Finished, rebuilt: Finished, traced: Finished) => {
    // What the tail printed before the broker failed is there, whole (then, with --json, the
    // error object: checked by expectCleanFailure); the view is as it was.
    const printed = tailed.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
    expect(printed.filter((line) => !line.error).map((line) => line.offset)).toEqual([0, 1, 2, 3, 4])
    expect(rebuilt.stdout).toBe('')
    expect(traced.stdout).toBe('')
    expect(sha256(file)).toBe(before)
    expect(buildingFiles(file)).toEqual([])
  }

  it('a hung broker (SIGSTOP): each command gives up with exit 3 after the timeout, naming it; the view is untouched', {timeout: 90_000}, async () => {
    const {rebuild, tail} = await startTailAndRebuild()
    let frozenAt = 0
    try {
      frozenAt = await signalBroker('SIGSTOP')
      const trace = startEvt(['trace', 'order', 'k7', ...TIMEOUT], {cwd})
      const [tailed, rebuilt, traced] = await Promise.all([tail.done, rebuild.done, trace.done])
      for (const result of [tailed, rebuilt, traced]) {
        expectCleanFailure(result, 3, BROKER_GONE)
        expect(result.endedAt - frozenAt, `exited ${result.endedAt - frozenAt} ms after the broker froze`).toBeLessThan(15_000)
      }

      expectNothingLost(tailed, rebuilt, traced)
    } finally {
      if (frozenAt) await signalBroker('SIGCONT')
    }
  })

  it('a killed broker (SIGKILL) that stays down: each command exits 3 once the timeout passed, naming it; the view is byte-identical, no build file is left', {timeout: 240_000}, async () => {
    try {
      const {rebuild, tail} = await startTailAndRebuild()
      // The trace starts against a frozen broker: it connects (the kernel accepts) and waits for answers.
      await signalBroker('SIGSTOP')
      const trace = startEvt(['trace', 'order', 'k7', ...TIMEOUT], {cwd})
      await sleep(1500)
      for (const running of [tail, rebuild, trace]) expect(running.child.exitCode, running.stderr()).toBeNull()
      expect(buildingFiles(file)).toHaveLength(1)
      const killedAt = await signalBroker('SIGKILL')
      const [tailed, rebuilt, traced] = (await Promise.all([tail.done, rebuild.done, trace.done])).map((result) => ({...result, afterKill: result.endedAt - killedAt}))
      for (const result of [tailed, rebuilt, traced]) {
        expectCleanFailure(result, 3, BROKER_GONE)
        expect(result.afterKill, `exited ${result.afterKill} ms after the kill`).toBeLessThan(15_000)
      }

      expectNothingLost(tailed, rebuilt, traced)
    } finally {
      // start.sh formats fresh storage: the files after this one get an empty, healthy broker.
      await restartBroker(cluster)
    }
  })
})

/** Record i: 50 keys, every fifth an end event of the flow, `pad` bytes of filler in the value. */
function record(topic: string, i: number, pad = 0): OutgoingRecord {
  return {
    headers: [['ce_type', Buffer.from(i % 5 === 4 ? 'OrderConfirmed' : 'OrderUpdated')]],
    key: Buffer.from(`k${i % 50}`),
    timestamp: T0 + i,
    topic,
    value: Buffer.from(JSON.stringify({n: i, name: `item-${i}`, pad: 'x'.repeat(pad)})),
  }
}
