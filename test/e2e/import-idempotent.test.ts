import fc from 'fast-check'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'

import type {EventLog} from '../../src/lib/log/event-log.js'
import {importExport} from '../../src/lib/topics/export-import.js'
import {useEmbeddedBackend} from '../helpers/embedded-backend.js'
import {readAll} from '../helpers/read-all.js'
import {runCli} from '../helpers/run-cli.js'

const T0 = 1_767_600_000_000
const topicLine = (partitions: number) => JSON.stringify({kind: 'topic', name: 'imported', partitions})
const recordLine = (n: number, partition = n % 2, extra: object = {}) =>
  JSON.stringify({
    headers: [['n', Buffer.from(String(n)).toString('base64')]],
    key: Buffer.from(`k${n}`).toString('base64'),
    kind: 'record',
    offset: n,
    partition,
    timestamp: T0 + n,
    topic: 'imported',
    value: Buffer.from(`v${n}`).toString('base64'),
    ...extra,
  })

async function* linesOf(lines: string[]): AsyncIterable<string> {
  yield* lines
}

/** What a partition holds, without offsets: the records an import is responsible for. */
async function contents(log: EventLog): Promise<string[]> {
  return (await readAll(log, 'imported')).map((r) => JSON.stringify([r.partition, r.timestamp, r.key?.toString(), r.value?.toString(), r.headers.map(([k, v]) => [k, v?.toString()])]))
}

const sorted = (items: string[]) => [...items].sort()
const imported = (stdout: string) => Number(/imported (\d+) records/.exec(stdout)?.[1])

describe('topic import is idempotent and resumable', () => {
  const openBackend = useEmbeddedBackend()

  it('property: after any part of an import was written (a kill), importing again writes exactly the rest, duplicates in the file included', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Records drawn from a small pool, so the file holds identical records more than once.
        fc.array(fc.integer({max: 15, min: 0}), {maxLength: 40, minLength: 1}),
        fc.array(fc.integer({max: 3, min: 0}), {maxLength: 5}),
        fc.nat(),
        async (pool, before, cut) => {
          const {log, registry} = await openBackend()
          await log.createTopic('imported', {partitions: 2})
          // Records the topic held before: the imported ones get other offsets than in the export.
          if (before.length > 0) await log.produce(before.map((n) => ({headers: [], key: Buffer.from(`other${n}`), partition: n % 2, timestamp: T0, topic: 'imported', value: null})))
          const file = [topicLine(2), ...pool.map((n) => recordLine(n))]
          const preexisting = await contents(log)
          // A kill leaves a prefix of each partition's records: here, any prefix of the file.
          const prefix = file.slice(0, 1 + (cut % (pool.length + 1)))
          await importExport({lines: () => linesOf(prefix), log, registry})
          const again = await importExport({lines: () => linesOf(file), log, registry})
          expect(again.skipped).toBe(prefix.length - 1)
          expect(again.records).toBe(pool.length - (prefix.length - 1))
          const {log: fresh, registry: freshRegistry} = await openBackend()
          await importExport({lines: () => linesOf(file), log: fresh, registry: freshRegistry})
          expect(sorted(await contents(log))).toEqual(sorted([...preexisting, ...(await contents(fresh))]))
          // Per partition, the imported records keep the file's order.
          expect((await contents(log)).filter((line) => !preexisting.includes(line))).toEqual(await contents(fresh))
        },
      ),
      {numRuns: 40},
    )
  })

  it('a second run writes nothing and says how much it skipped; --append writes everything again', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-again-'))
    writeFileSync(path.join(cwd, 'export.jsonl'), [topicLine(2), ...Array.from({length: 2500}, (_, n) => recordLine(n))].join('\n') + '\n')
    const first = await runCli(['topic', 'import', 'export.jsonl'], {cwd})
    expect(first).toMatchObject({code: 0, stdout: "imported 2500 records into 'local'; 0 schemas registered; topics created: imported\n"})
    const second = await runCli(['topic', 'import', 'export.jsonl', '--json'], {cwd})
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({records: 0, skipped: 2500, topicsCreated: []})
    const third = await runCli(['topic', 'import', 'export.jsonl'], {cwd})
    expect(third.stdout).toBe("imported 0 records into 'local' (skipped 2500 already present); 0 schemas registered; topics created: none\n")
    const appended = await runCli(['topic', 'import', 'export.jsonl', '--append'], {cwd})
    expect(imported(appended.stdout)).toBe(2500)
    const topics = JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)
    expect(topics).toMatchObject([{name: 'imported', records: 5000}])
  })

  it('a truncated file imports nothing, naming the line; the whole file then imports everything once', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-truncated-'))
    const whole = [topicLine(2), ...Array.from({length: 3000}, (_, n) => recordLine(n))].join('\n') + '\n'
    const truncated = whole.slice(0, Math.floor(whole.length * 0.8))
    writeFileSync(path.join(cwd, 'cut.jsonl'), truncated)
    const cut = await runCli(['topic', 'import', 'cut.jsonl'], {cwd})
    expect(cut.code).toBe(2)
    expect(cut.stderr).toMatch(new RegExp(`^Error: line ${truncated.split('\n').length}: not JSON: `))
    expect(JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)).toEqual([])
    writeFileSync(path.join(cwd, 'export.jsonl'), whole)
    expect(imported((await runCli(['topic', 'import', 'export.jsonl'], {cwd})).stdout)).toBe(3000)
    expect(JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)).toMatchObject([{name: 'imported', records: 3000}])
  })

  it('stdin (-) is checked whole before writing too, and skips what is present', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-stdin-'))
    const input = [topicLine(1), recordLine(1, 0), recordLine(2, 0)].join('\n') + '\n'
    const bad = await runCli(['topic', 'import', '-'], {cwd, input: input + '{"kind":"record"\n'})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^Error: line 4: not JSON/)
    expect(imported((await runCli(['topic', 'import', '-'], {cwd, input})).stdout)).toBe(2)
    expect((await runCli(['topic', 'import', '-'], {cwd, input})).stdout).toMatch(/^imported 0 records .*\(skipped 2 already present\)/)
  })

  it('after SIGKILL at any moment, running the import again leaves every record exactly once', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-kill-'))
    const count = 200_000
    writeFileSync(path.join(cwd, 'export.jsonl'), [topicLine(2), ...Array.from({length: count}, (_, n) => recordLine(n))].join('\n') + '\n')
    let child: Parameters<NonNullable<Parameters<typeof runCli>[1]['onSpawn']>>[0] | undefined
    const killed = runCli(['topic', 'import', 'export.jsonl'], {cwd, onSpawn: (spawned) => (child = spawned)})
    const held = async () => {
      const listed = await runCli(['topic', 'list', '--json'], {cwd})
      return listed.code === 0 ? ((JSON.parse(listed.stdout) as {records: number}[])[0]?.records ?? 0) : 0
    }

    // Killed once records are being written.
    while ((await held()) === 0) await sleep(50)
    child!.kill('SIGKILL')
    expect((await killed).code).toBe(null)
    const partial = await held()
    expect(partial).toBeGreaterThan(0)
    expect(partial).toBeLessThan(count)
    const again = await runCli(['topic', 'import', 'export.jsonl'], {cwd})
    expect(again.code).toBe(0)
    expect(imported(again.stdout)).toBe(count - partial)
    expect(again.stdout).toContain(`(skipped ${partial} already present)`)
    expect(JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)).toMatchObject([{name: 'imported', records: count}])
  })
})
