import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {interruptWhen, PROMPT_MS, start, untilReading} from '../helpers/cli-process.js'
import {runCli} from '../helpers/run-cli.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * --where expressions that once hung evt beyond Ctrl-C (only SIGKILL stopped them) now end: on
 * their own with exit 2 (WHERE_BUDGET_EXCEEDED, naming the expression and the record) about a
 * second after they start, and within 1 s of a SIGINT sent while they run.
 */
const RECURSION = '($f := function($x){$f($x)}; $f(1))'
const CATASTROPHIC_REGEX = '$contains(value.s, /^(a+)+$/)'
const HUGE_RANGE = '$count([1..10000000]) > 0'
/** CLI start-up (a second or so on a loaded machine) plus the 1 s per-record budget, with room. */
const GIVES_UP_WITHIN_MS = 8000

let cwd: string

beforeAll(async () => {
  requireFreshBuild()
  cwd = mkdtempSync(path.join(tmpdir(), 'evt-where-'))
  for (const topic of ['hostile', 'elsewhere']) expect((await runCli(['topic', 'create', topic], {cwd})).code).toBe(0)
  // Three ordinary records, then the long run of a's that makes /^(a+)+$/ backtrack for ever.
  const lines = [...[1, 2, 3].map((n) => ({key: `k${n}`, value: {s: 'b', total: n}})), {key: 'k4', value: {s: `${'a'.repeat(5000)}!`, total: 4}}]
  const produced = await runCli(['topic', 'produce', 'hostile'], {cwd, input: lines.map((line) => JSON.stringify(line)).join('\n') + '\n'})
  expect(produced.code, produced.stderr).toBe(0)
})

afterAll(() => {
  if (cwd) rmSync(cwd, {force: true, recursive: true})
})

describe('hostile --where expressions', () => {
  it.each([
    ['a recursion that never ends', RECURSION, 0, /took longer than 1000 ms/],
    ['a catastrophic regex on a long string of a\'s', CATASTROPHIC_REGEX, 3, /took longer than 1000 ms/],
    ['a range of ten million items', HUGE_RANGE, 0, /builds a sequence of 10000000 items/],
  ])('%s is exit 2 naming the expression and the record', async (_, expression, offset, why) => {
    const started = performance.now()
    const {code, stderr, stdout} = await runCli(['topic', 'tail', 'hostile', '--where', expression], {cwd})
    expect(performance.now() - started).toBeLessThan(GIVES_UP_WITHIN_MS)
    expect(code, stderr).toBe(2)
    expect(stdout).toBe('')
    const [first, hint] = stderr.trim().split('\n')
    expect(first).toContain(`Error: --where ${JSON.stringify(expression)} exceeded its budget on hostile[0]@${offset}: `)
    expect(first).toMatch(why)
    expect(hint).toMatch(/^Hint: each record gets 1000 ms/)
    expect(stderr).not.toMatch(/unexpected| {4}at /)
  })

  it('with --json the error is one object with its code, on topic export and replay too', async () => {
    for (const args of [
      ['topic', 'tail', 'hostile'],
      ['topic', 'export', 'hostile'],
      ['replay', 'hostile', '--to', 'elsewhere', '--dry-run'],
    ]) {
      const {code, stdout} = await runCli([...args, '--where', RECURSION, '--json'], {cwd})
      expect(code, args.join(' ')).toBe(2)
      const {error} = JSON.parse(stdout.trim().split('\n').at(-1)!) as {error: {code: string; data: Record<string, unknown>; exit: number}}
      expect(error).toMatchObject({code: 'WHERE_BUDGET_EXCEEDED', data: {expression: RECURSION, offset: 0, partition: 0, topic: 'hostile'}, exit: 2})
    }
  })

  it.each([
    ['a recursion that never ends', RECURSION],
    ['a catastrophic regex', CATASTROPHIC_REGEX],
  ])('%s ends within 1 s of SIGINT, mid-expression, with exit 130', async (label, expression) => {
    const run = start(['topic', 'tail', 'hostile', '--where', expression], cwd)
    // 400 ms after the log is open the expression is running, well inside its 1 s budget.
    const {code, stderr, stopMs} = await interruptWhen(run, () => untilReading(run.child), 'SIGINT', label, 400)
    expect(code, stderr).toBe(130)
    expect(stopMs).toBeLessThan(PROMPT_MS)
    expect(stderr).not.toMatch(/Error| {4}at /)
  })

  it('a range of ten million items ends promptly on SIGINT too (exit 130, or 2 if its size limit came first)', async () => {
    const run = start(['topic', 'tail', 'hostile', '--where', HUGE_RANGE], cwd)
    const {code, stopMs} = await interruptWhen(run, () => untilReading(run.child), 'SIGINT', 'range', 0)
    expect([2, 130]).toContain(code)
    expect(stopMs).toBeLessThan(PROMPT_MS)
  })
})
