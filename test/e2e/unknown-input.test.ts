import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

const cwd = mkdtempSync(path.join(tmpdir(), 'evt-unknown-'))

describe.concurrent('what is not a command gets one line and exit 2', () => {
  it('a mistyped command names the nearest one', async () => {
    const result = await runCli(['tial', 'orders', '--json'], {cwd})
    expect(JSON.parse(result.stdout)).toEqual({
      error: {code: 'UNKNOWN_COMMAND', data: {command: 'tial orders', suggestion: 'topic tail'}, exit: 2, hint: 'did you mean evt topic tail?', message: "unknown command 'tial orders'"},
    })
    expect(result.code).toBe(2)
  })

  it('flags without a command (evt -v) are a usage error, not a TypeError', async () => {
    for (const args of [['-v'], ['--bogus']]) {
      const result = await runCli(args, {cwd})
      expect(result.code).toBe(2)
      expect(result.stderr).toBe(`Error: unknown flag ${args[0]} without a command\nHint: evt --help lists the commands and the global flags\n`)
    }

    const json = await runCli(['-v', '--json'], {cwd})
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'USAGE', exit: 2})
  })

  it('a flag the command does not know points at the help of the command as the user named it', async () => {
    // trace index lives in trace/reindex.ts (trace/index.ts is trace): its help is evt trace index --help.
    const result = await runCli(['trace', 'index', 'order', '--bogus'], {cwd})
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('Error: unknown flag --bogus\nHint: see evt trace index --help\n')
  })
})
