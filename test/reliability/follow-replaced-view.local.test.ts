import Database from 'better-sqlite3'
import {existsSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {beforeAll, describe, expect, it} from 'vitest'

import {type Run, start} from '../helpers/cli-process.js'
import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * `rebuild view --follow` in one terminal while the same view is rebuilt from another: the second
 * rebuild renames a new file over the one the follower writes. The follower must go on in the new
 * file (the one at the path, which readers open), or stop with exit 2 saying why — never die with
 * SQLite's "attempt to write a readonly database".
 */
const yaml = (columns: string) => `views:\n  counts:\n    from: [counts]\n    table: counts\n    key: key\n    columns: { ${columns} }\n`

async function produce(cwd: string, records: {key: string; n: number}[]): Promise<void> {
  const input = records.map(({key, n}) => JSON.stringify({key, value: {n}})).join('\n')
  const result = await runCli(['topic', 'produce', 'counts'], {cwd, input})
  expect(result).toMatchObject({code: 0})
}

function rowsOf(file: string): Record<string, number> {
  const db = new Database(file, {readonly: true})
  try {
    return Object.fromEntries((db.prepare('SELECT key, n FROM counts ORDER BY key').all() as {key: string; n: number}[]).map((row) => [row.key, row.n]))
  } finally {
    db.close()
  }
}

async function until(what: string, done: () => boolean, run: Run): Promise<void> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    if (done()) return
    if (run.child.exitCode !== null) throw new Error(`the follower exited (${run.child.exitCode}) while waiting for ${what}: ${(await run.closed).stderr}`)
    await sleep(50)
  }

  throw new Error(`timed out waiting for ${what}`)
}

/** Starts `rebuild view counts --follow` and waits until its first build is in place and it follows. */
async function startFollower(cwd: string): Promise<{run: Run; stderr: () => string}> {
  const run = start(['rebuild', 'view', 'counts', '--follow'], cwd)
  let stderr = ''
  run.child.stderr!.on('data', (chunk) => (stderr += chunk))
  await until('the follower to start following', () => stderr.includes('following new records'), run)
  return {run, stderr: () => stderr}
}

describe('a rebuild view --follow whose file another rebuild replaces', () => {
  const tempDir = useTempDir()
  beforeAll(requireFreshBuild)

  async function setUp(): Promise<{cwd: string; file: string}> {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'evt.yaml'), yaml('n: $.n'))
    expect(await runCli(['topic', 'create', 'counts'], {cwd})).toMatchObject({code: 0})
    await produce(cwd, [{key: 'a', n: 1}])
    return {cwd, file: path.join(cwd, '.evt/views/counts.db')}
  }

  it('follows on in the new file: records produced after the replacement reach the file at the path', async () => {
    const {cwd, file} = await setUp()
    const follower = await startFollower(cwd)
    try {
      await produce(cwd, [{key: 'b', n: 2}])
      await until('the follower to apply b', () => rowsOf(file).b === 2, follower.run)

      expect(await runCli(['rebuild', 'view', 'counts'], {cwd})).toMatchObject({code: 0})
      await produce(cwd, [{key: 'a', n: 3}, {key: 'c', n: 4}])
      await until('the follower to apply a and c to the new file', () => rowsOf(file).c === 4, follower.run)
      expect(rowsOf(file)).toEqual({a: 3, b: 2, c: 4})
      expect(follower.stderr()).toContain('was replaced by another rebuild of view \'counts\'')

      // Replaced a second time: it switches again.
      expect(await runCli(['rebuild', 'view', 'counts'], {cwd})).toMatchObject({code: 0})
      await produce(cwd, [{key: 'd', n: 5}])
      await until('the follower to apply d', () => rowsOf(file).d === 5, follower.run)
    } finally {
      follower.run.child.kill('SIGINT')
    }

    const closed = await follower.run.closed
    expect({code: closed.code, stderr: closed.stderr}).toMatchObject({code: 130, stderr: expect.not.stringMatching(/readonly|unexpected/i)})
  })

  it('stops with exit 2 when the new file is a build of another definition', async () => {
    const {cwd, file} = await setUp()
    const follower = await startFollower(cwd)
    writeFileSync(path.join(cwd, 'evt.yaml'), yaml('n: $.n, again: $.n'))
    expect(await runCli(['rebuild', 'view', 'counts'], {cwd})).toMatchObject({code: 0})
    await produce(cwd, [{key: 'b', n: 2}])

    const closed = await follower.run.closed
    expect(closed.code).toBe(2)
    expect(closed.stderr).toMatch(/Error: .*counts\.db was replaced by a build of another view or definition while following view 'counts'; stopped after applying 0 records/)
    expect(closed.stderr).toContain('Hint: run evt rebuild view counts --resume --follow')
    // The new build is left as it was: the old definition's follower wrote nothing into it.
    expect(rowsOf(file)).toEqual({a: 1})
  })

  it('stops with exit 2 when the file is removed', async () => {
    const {cwd, file} = await setUp()
    const follower = await startFollower(cwd)
    rmSync(file)
    await produce(cwd, [{key: 'b', n: 2}])

    const closed = await follower.run.closed
    expect(closed.code).toBe(2)
    expect(closed.stderr).toMatch(/Error: .*counts\.db was removed while following view 'counts'/)
    expect(existsSync(file)).toBe(false)
  })
})
