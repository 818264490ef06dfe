import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {BIN, cleanEnv, runCli} from '../helpers/run-cli.js'

/**
 * Runs evt on a real pseudo-terminal (util-linux `script`) of the given size and returns everything
 * the terminal received and the exit code.
 */
function onTerminal(args: string[], cwd: string, size: {cols: number; rows: number}): Promise<{code: null | number; screen: string}> {
  return new Promise((resolve, reject) => {
    const command = `stty rows ${size.rows} cols ${size.cols}; exec ${process.execPath} ${BIN} ${args.join(' ')}`
    // A person at a terminal: not CI (there evt prints plain lines, as it should).
    const {CI: _ci, CONTINUOUS_INTEGRATION: _ciToo, ...env} = cleanEnv({TERM: 'xterm'})
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {cwd, env, stdio: 'pipe'})
    let screen = ''
    child.stdout.on('data', (chunk) => (screen += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, screen}))
    child.stdin.end()
  })
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replaceAll(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
/** What the terminal shows, as lines: colours and cursor codes removed, the pty's CR LF as LF. */
const textOf = (screen: string) => stripAnsi(screen).replaceAll('\r\n', '\n')
const occurrences = (text: string, part: string) => text.split(part).length - 1

describe('output on a real terminal', () => {
  let cwd: string
  let id: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-terminal-'))
    expect((await runCli(['demo', '--orders', '150'], {cwd})).code).toBe(0)
    // An order whose story has anomalies (the demo duplicates a few events), so every part shows.
    for (let candidate = 1001; candidate < 1100 && !id; candidate++) {
      const trace = JSON.parse((await runCli(['trace', 'order', String(candidate), '--json'], {cwd})).stdout)
      if (trace.anomalies.length > 0) id = String(candidate)
    }

    expect(id).toBeDefined()
  })

  it('trace on a terminal shorter than the story: printed once, screen and scrollback kept, laid out as in a pipe', async () => {
    const piped = await runCli(['trace', 'order', id], {cwd})
    expect(piped.code).toBe(0)
    const verdict = piped.stdout.split('\n')[0]
    expect(verdict).toMatch(new RegExp(`^order ${id}: `))
    expect(piped.stdout.split('\n').length).toBeGreaterThan(8)

    const {code, screen} = await onTerminal(['trace', 'order', id], cwd, {cols: 80, rows: 8})
    expect(code).toBe(0)
    // Neither "erase screen" nor "erase scrollback": nothing the user had on the terminal is lost.
    expect(screen).not.toContain('\u001B[2J')
    expect(screen).not.toContain('\u001B[3J')
    const text = textOf(screen)
    expect(occurrences(text, verdict)).toBe(1)
    expect(text).toContain('\nanomalies:\n')
    expect(text).toMatch(/\nscanned \d+ records in orders, payments, stock, shipments\n/)
    // The same columns as the piped narrative, line for line.
    expect(text).toBe(piped.stdout)
  })

  it('topic tail on a terminal of width 0: whole lines, no column of single characters', async () => {
    const {code, screen} = await onTerminal(['topic', 'tail', 'orders', '--limit', '5'], cwd, {cols: 0, rows: 8})
    expect(code).toBe(0)
    // Plain lines, as in a pipe: no live ink region (ink hides the cursor while it draws one).
    expect(screen).not.toContain('\u001B[?25l')
    const lines = textOf(screen)
      .split('\n')
      .filter((line) => line.trim() !== '')
    expect(lines.filter((line) => /orders\[\d+\]@\d+/.test(line))).toHaveLength(5)
    expect(lines.filter((line) => line.trim().length === 1)).toEqual([])
  })

  it('rebuild view --resume with nothing new: no "100% 0/0 records" bar', async () => {
    expect((await runCli(['rebuild', 'view', 'orders'], {cwd})).code).toBe(0)
    const {code, screen} = await onTerminal(['rebuild', 'view', 'orders', '--resume'], cwd, {cols: 100, rows: 8})
    expect(code).toBe(0)
    const text = textOf(screen)
    expect(text).toContain('caught up view orders')
    expect(text).not.toMatch(/100%|0\/0 records/)
  })
})
