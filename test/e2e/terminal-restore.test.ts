import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {BIN, cleanEnv, runCli} from '../helpers/run-cli.js'

/**
 * Runs evt on a real pseudo-terminal (util-linux `script`), types Ctrl-C once `ready` shows up in
 * what the terminal received, and returns everything written to the terminal and the exit code.
 */
function ctrlCOnTerminal(args: string[], cwd: string, ready: RegExp): Promise<{code: null | number; screen: string}> {
  return new Promise((resolve, reject) => {
    const command = `stty cols 120 rows 40; exec ${process.execPath} ${BIN} ${args.join(' ')}`
    // A person at a terminal: not CI (there evt and ink print plain lines, as they should).
    const {CI: _ci, CONTINUOUS_INTEGRATION: _ciToo, ...env} = cleanEnv({TERM: 'xterm'})
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {cwd, env, stdio: 'pipe'})
    let screen = ''
    let typed = false
    child.stdout.on('data', (chunk) => {
      screen += chunk
      if (!typed && ready.test(screen)) {
        typed = true
        child.stdin.write('\u0003')
      }
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({code, screen}))
  })
}

/** Whether the last cursor-visibility escape left the cursor shown. */
const cursorShown = (screen: string) => screen.lastIndexOf('\u001B[?25h') > screen.lastIndexOf('\u001B[?25l')

describe('Ctrl-C on a terminal', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-tty-'))
    expect((await runCli(['demo', '--orders', '300'], {cwd})).code).toBe(0)
    // A projection that takes 1 ms a record keeps the rebuild's progress bar on screen.
    writeFileSync(path.join(cwd, 'slow.mjs'), 'export function project(record) {\n  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)\n  return record.value === null ? "delete" : {seen: 1}\n}\n')
    writeFileSync(path.join(cwd, 'evt.yaml'), `${readFileSync(path.join(cwd, 'evt.yaml'), 'utf8')}  slow: {from: [orders], table: slow, module: ./slow.mjs}\n`)
    // A module runs only from a trusted evt.yaml.
    expect((await runCli(['trust'], {cwd})).code).toBe(0)
  })

  it('tail --follow: exit 130, the cursor shown again, no stack trace', async () => {
    const {code, screen} = await ctrlCOnTerminal(['topic', 'tail', 'orders', '--follow'], cwd, /following/)
    expect(code).toBe(130)
    expect(screen).toContain('\u001B[?25l')
    expect(cursorShown(screen)).toBe(true)
    expect(screen).not.toMatch(/Error|\n\s+at /)
  })

  it('rebuild view with its progress bar: exit 130, the cursor shown again, no stack trace', async () => {
    const {code, screen} = await ctrlCOnTerminal(['rebuild', 'view', 'slow'], cwd, /slow .*% \d+\/\d+ records/)
    expect(code).toBe(130)
    expect(screen).toContain('\u001B[?25l')
    expect(cursorShown(screen)).toBe(true)
    expect(screen).not.toMatch(/Error|\n\s+at /)
  })
})
