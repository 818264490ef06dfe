import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import type {Backend} from '../../src/lib/backend.js'
import {encodeWire} from '../../src/lib/codec/wire-format.js'
import type {OutgoingRecord} from '../../src/lib/log/event-log.js'
import {buildingFiles, expectNoStackTrace, listGroups, openKafka, type Running, sha256, startEvt, until, writeProject} from './kafka-faults.js'

const cluster = inject('kafka')
const T0 = Date.parse('2026-03-02T10:00:00Z')
const EXIT = {SIGINT: 130, SIGTERM: 143} as const

/**
 * Ctrl-C (SIGINT) and SIGTERM during each long command on Kafka: exit 130 / 143 promptly, no stack
 * trace, no consumer group left in the cluster, nothing half-done: the tail's lines are whole, the
 * replay's summary counts exactly what reached the target, and a rebuild leaves the previous view
 * as it was. Each command is caught genuinely mid-way: the tail after printing, the rebuild while
 * its build file grows, the replay after records reached the target, and the trace while it waits
 * on a schema registry that does not answer (evt must not wait for that answer once interrupted).
 */
describe('SIGINT and SIGTERM during long commands', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'evt-signals-'))
  const tag = randomUUID().slice(0, 8)
  const [tailTopic, viewTopic, traceTopic, replaySource] = ['tail', 'view', 'trace', 'replay'].map((name) => `signals-${name}-${tag}`)
  const views = {SIGINT: path.join(cwd, 'views/sigint.db'), SIGTERM: path.join(cwd, 'views/sigterm.db')}
  const previous: Record<string, string> = {}
  let backend: Backend
  /** Holds every request and never answers it. */
  let silentRegistry: Server
  const heldRequests: IncomingMessage[] = []

  beforeAll(async () => {
    silentRegistry = createServer((request) => heldRequests.push(request))
    await new Promise<void>((resolve) => silentRegistry.listen(0, '127.0.0.1', resolve))
    backend = await openKafka(cluster)
    for (const topic of [tailTopic, viewTopic, traceTopic, replaySource]) await backend.log.createTopic(topic, {partitions: 1, retainForever: true})
    const json = (topic: string, i: number, pad = 0): OutgoingRecord => ({headers: [], key: Buffer.from(`k${i % 40}`), timestamp: T0 + i, topic, value: Buffer.from(JSON.stringify({n: i, name: `item-${i}`, pad: 'x'.repeat(pad)}))})
    await backend.log.produce([
      ...Array.from({length: 5}, (_, i) => json(tailTopic, i)),
      ...Array.from({length: 100}, (_, i) => json(viewTopic, i)),
      ...Array.from({length: 200}, (_, i) => json(replaySource, i)),
      // Wire-format values of schema 7 (the silent registry's) that contain the traced id.
      ...Array.from({length: 10}, (_, i) => ({headers: [], key: null, timestamp: T0 + i, topic: traceTopic, value: encodeWire(7, Buffer.from(`\u0008${1040 + i}`))})),
    ])
    writeProject(cwd, cluster, ['flows:', `  order: {topics: {${traceTopic}: {id: $.orderId}}, ends: [OrderConfirmed]}`, 'views:', `  slow: {from: [${viewTopic}], table: items, module: ./slow-projection.mjs}`])
    for (const [signal, file] of Object.entries(views)) {
      const built = await startEvt(['rebuild', 'view', 'slow', '--db', file], {cwd}).done
      expect(built.code, built.stderr).toBe(0)
      previous[signal] = sha256(file)
    }

    // 1500 more records of 16 kB: a rebuild fetches them 8 MB (~500 records) at a time and projects
    // each fetch for about a second (2 ms a record). It sees a signal between fetches.
    for (let first = 100; first < 1600; first += 50) await backend.log.produce(Array.from({length: 50}, (_, i) => json(viewTopic, first + i, 16_000)))
  })
  afterAll(async () => {
    for (const request of heldRequests) request.socket.destroy()
    silentRegistry?.close()
    await backend?.close()
    rmSync(cwd, {force: true, recursive: true})
  })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: tail --follow, trace, rebuild view and replay --rate exit ${EXIT[signal]} at once, leaving no group and nothing half-done`, async () => {
      const groupsBefore = await listGroups(cluster.brokers)
      const replayTarget = `signals-replay-${signal.toLowerCase()}-${tag}`
      await backend.log.createTopic(replayTarget, {partitions: 1, retainForever: true})
      const received = heldRequests.length
      const file = views[signal]
      const traceRegistry = `http://127.0.0.1:${(silentRegistry.address() as {port: number}).port}`

      const tail = startEvt(['topic', 'tail', tailTopic, '--follow', '--from', 'beginning', '--json'], {cwd})
      const trace = startEvt(['trace', 'order', '1042', '--registry', traceRegistry], {cwd})
      const rebuild = startEvt(['rebuild', 'view', 'slow', '--db', file], {cwd})
      const replay = startEvt(['replay', replaySource, '--to', replayTarget, '--rate', '20', '--json'], {cwd})
      const sentToTarget = async () => (await backend.log.watermarks(replayTarget))[0].high
      await Promise.all([
        tail.waitFor('the 5 records in the topic', (out) => out.split('\n').filter(Boolean).length === 5),
        until('the trace to ask the registry for the schema of the records it found', () => heldRequests.length > received),
        until('the rebuild to start its build file', () => buildingFiles(file).length === 1),
        (async () => {
          while ((await sentToTarget()) < 4) await sleep(50)
        })(),
      ])
      const running: [string, Running][] = [['tail', tail], ['trace', trace], ['rebuild', rebuild], ['replay', replay]]
      for (const [name, {child, stderr}] of running) expect(child.exitCode, `${name} already ended: ${stderr()}`).toBeNull()

      const sentAt = Date.now()
      for (const [, {child}] of running) child.kill(signal)
      const results = await Promise.all(running.map(async ([name, {done}]) => ({name, ...(await done)})))
      for (const result of results) {
        const context = `${result.name}: exit ${result.code} after ${result.endedAt - sentAt} ms\nstdout: ${result.stdout.slice(-500)}\nstderr: ${result.stderr}`
        expect(result.code, context).toBe(EXIT[signal])
        // The grace period after a signal is 2 s; a rebuild may first finish the batch it is projecting.
        expect(result.endedAt - sentAt, context).toBeLessThan(5000)
        expectNoStackTrace(result.stderr)
        expect(result.stderr, context).not.toMatch(/^Error: (?!.*interrupted)/m)
      }

      const [tailed, traced, rebuilt, replayed] = results
      expect(tailed.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line).offset)).toEqual([0, 1, 2, 3, 4])
      expect(traced.stdout).toBe('')
      expect(rebuilt.stdout).toBe('')
      expect(sha256(file)).toBe(previous[signal])
      expect(buildingFiles(file)).toEqual([])
      // A replay stopped half-way says how many records it sent, and exactly those are in the target.
      const summary = JSON.parse(replayed.stdout)
      expect(summary.records).toBeGreaterThanOrEqual(4)
      expect(summary.records).toBeLessThan(200)
      expect(await sentToTarget()).toBe(summary.records)

      expect(await listGroups(cluster.brokers)).toEqual(groupsBefore)
    })
  }
})
