import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {BIN, runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

const DIST = path.resolve(path.dirname(BIN), '../dist')

/**
 * What scripts/bundle.js does for start-up, checked on the built files: each is ASCII (read as a
 * one-byte string) with its text unchanged, and a run never calls localeCompare (whose first call
 * loads ICU's collation data).
 */
describe('the bundles as built', () => {
  const tempDir = useTempDir()
  beforeAll(() => requireFreshBuild())

  it('are ASCII, and the dashes of a command\'s description still print as dashes', async () => {
    for (const file of ['evt.cjs', 'kafkajs.cjs']) {
      const bytes = readFileSync(path.join(DIST, file))
      expect(bytes.findIndex((byte) => byte > 0x7f), file).toBe(-1)
    }

    const help = await runCli(['topic', 'produce', '--help'], {cwd: tempDir()})
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Reads JSON lines from stdin — {"key"')
  })

  it('a command\'s run calls no localeCompare, oclif\'s start-up included', async () => {
    const dir = tempDir()
    const counter = path.join(dir, 'count-locale-compare.cjs')
    writeFileSync(
      counter,
      `const compare = String.prototype.localeCompare
      let calls = 0
      String.prototype.localeCompare = function (...args) { calls++; return compare.apply(this, args) }
      process.on('exit', () => process.stderr.write('localeCompare calls: ' + calls + '\\n'))`,
    )
    expect((await runCli(['demo'], {cwd: dir})).code).toBe(0)
    for (const args of [['topic', 'list'], ['trace', 'order', '1042'], ['trace', 'order', '--stalled']]) {
      const run = await runCli(args, {cwd: dir, env: {NODE_OPTIONS: `--require ${counter}`}})
      expect(run.code, run.stderr).toBe(0)
      expect(run.stderr, args.join(' ')).toContain('localeCompare calls: 0\n')
    }
  })
})
