import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, openSync, readdirSync, readlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {beforeAll, describe, expect, it} from 'vitest'

import {BIN, cleanEnv, runCli} from '../helpers/run-cli.js'

/**
 * Ctrl-C, SIGTERM and a closed pipe end every long read promptly, on a log big enough that each
 * command below reads for seconds (the embedded log answers synchronously, so a loop that never
 * yields a macrotask would only see the signal at its end).
 */

/** How soon after a signal or a closed pipe a command must have exited. */
const PROMPT_MS = 1000

interface Run {
  child: ChildProcess
  closed: Promise<{code: null | number; signal: NodeJS.Signals | null; stderr: string; stdout: Buffer}>
}

/** Runs evt with stdout into a pipe, or with `toFile` into /dev/null (a file: writes never wait). */
function start(args: string[], cwd: string, toFile = false): Run {
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env: cleanEnv(), stdio: ['pipe', toFile ? openSync('/dev/null', 'w') : 'pipe', 'pipe']})
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  child.stdin!.end()
  const closed = new Promise<{code: null | number; signal: NodeJS.Signals | null; stderr: string; stdout: Buffer}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stderr, stdout: Buffer.concat(stdout)}))
  })
  return {child, closed}
}

/** Waits until the process has the embedded log open: it is past start-up and reading. */
async function untilReading(child: ChildProcess): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 25) {
    let open: string[] = []
    try {
      open = readdirSync(`/proc/${child.pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${child.pid}/fd/${fd}`)
        } catch {
          return ''
        }
      })
    } catch {
      // Not started yet, or already gone (the exit code then fails the test).
    }

    if (open.some((file) => file.endsWith('evt.db'))) return
    await sleep(25)
  }

  throw new Error('evt never opened its log')
}

/** Sends `signal` while the command reads, and returns its exit code and how long it took to stop. */
async function interrupt(args: string[], cwd: string, signal: NodeJS.Signals, toFile = false): Promise<{code: null | number; stderr: string; stopMs: number}> {
  const {child, closed} = start(args, cwd, toFile)
  await untilReading(child)
  // Well into the read: the command would go on for seconds.
  await sleep(400)
  expect(child.exitCode, `${args.join(' ')} ended before the signal`).toBeNull()
  const sent = performance.now()
  child.kill(signal)
  const {code, stderr} = await closed
  return {code, stderr, stopMs: performance.now() - sent}
}

/** `| head -1`: reads the first line, then closes the read end of the pipe. */
async function headOne(args: string[], cwd: string): Promise<{code: null | number; firstLine: string; stderr: string; stopMs: number}> {
  const {child, closed} = start(args, cwd)
  let text = ''
  const stdout = child.stdout!
  const firstLine = await new Promise<string>((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (!text.includes('\n')) return
      stdout.off('data', onData)
      resolve(text.slice(0, text.indexOf('\n')))
    }

    stdout.on('data', onData)
    child.on('close', () => resolve(text))
  })
  const destroyed = performance.now()
  stdout.destroy()
  const {code, stderr} = await closed
  return {code, firstLine, stderr, stopMs: performance.now() - destroyed}
}

describe('signals and closed pipes on a large embedded log', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-signals-'))
    // 1.6M records (727,000 in orders): each command below reads for 3-10 s.
    expect((await runCli(['demo', '--orders', '250000'], {cwd})).code).toBe(0)
  }, 120_000)

  // Silent into a pipe (nothing matches, or nothing is printed before the end), or into a file.
  const silent: [string, string[], boolean?][] = [
    ['topic tail', ['topic', 'tail', 'orders', '--where', 'false']],
    ['topic tail > /dev/null', ['topic', 'tail', 'orders', 'payments'], true],
    ['topic export > /dev/null', ['topic', 'export', 'orders', 'payments'], true],
    ['replay --dry-run', ['replay', 'orders', '--to', 'orders', '--dry-run', '--where', 'false']],
    ['trace --stalled', ['trace', 'order', '--stalled']],
    ['rebuild view', ['rebuild', 'view', 'orders', '--db', 'interrupted.db']],
  ]

  for (const [name, args, toFile] of silent) {
    it(`${name}: SIGINT while reading silently is exit 130 within 1 s, no stack trace`, async () => {
      const {code, stderr, stopMs} = await interrupt(args, cwd, 'SIGINT', toFile)
      expect(code).toBe(130)
      expect(stopMs).toBeLessThan(PROMPT_MS)
      expect(stderr).not.toMatch(/\n\s+at |Warning/)
    })

    it(`${name}: SIGTERM is exit 143 within 1 s`, async () => {
      const {code, stopMs} = await interrupt(args, cwd, 'SIGTERM', toFile)
      expect(code).toBe(143)
      expect(stopMs).toBeLessThan(PROMPT_MS)
    })
  }

  it('demo: SIGINT while it writes is exit 130 within 1 s, saying the demo is partial', async () => {
    const {code, stderr, stopMs} = await interrupt(['demo', '--orders', '250000'], mkdtempSync(path.join(tmpdir(), 'evt-demo-')), 'SIGINT')
    expect(code).toBe(130)
    expect(stopMs).toBeLessThan(PROMPT_MS)
    expect(stderr).toContain('partial demo')
  })

  it('trace --stalled: the list is not printed after the signal', async () => {
    const {child, closed} = start(['trace', 'order', '--stalled'], cwd)
    await untilReading(child)
    await sleep(400)
    child.kill('SIGINT')
    const {code, stdout} = await closed
    expect(code).toBe(130)
    expect(stdout.length).toBe(0)
  })

  // `| head -1`: exit 0, nothing on stderr, and the read stops at once.
  const streaming: [string, string[]][] = [
    ['topic tail of two topics', ['topic', 'tail', 'orders', 'payments']],
    ['topic tail --format raw', ['topic', 'tail', 'orders', '--format', 'raw']],
    ['topic export', ['topic', 'export', 'orders', 'payments']],
    ['replay --dry-run', ['replay', 'orders', '--to', 'orders', '--dry-run']],
  ]
  for (const [name, args] of streaming) {
    it(`${name} | head -1: exit 0 within 1 s, empty stderr`, async () => {
      const {code, firstLine, stderr, stopMs} = await headOne(args, cwd)
      expect(firstLine.length).toBeGreaterThan(0)
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stopMs).toBeLessThan(PROMPT_MS)
    })
  }

  // These print only at the end: the closed pipe must still be quiet.
  for (const [name, args] of [
    ['trace --stalled', ['trace', 'order', '--stalled', '--older-than', '0s']],
    ['rebuild view --json', ['rebuild', 'view', 'orders', '--db', 'head.db', '--json']],
  ] as [string, string[]][]) {
    it(`${name} | head -1: exit 0, empty stderr`, async () => {
      const {code, firstLine, stderr} = await headOne(args, cwd)
      expect(firstLine.length).toBeGreaterThan(0)
      expect(stderr).toBe('')
      expect(code).toBe(0)
    }, 60_000)
  }
})

describe('--format raw', () => {
  it('writes each value byte for byte (not UTF-8 text), a newline after each', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-raw-'))
    const values = [
      Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      Buffer.from([0xc3, 0x28, 0x80, 0xbf]),
      Buffer.from('héllo wörld', 'utf8'),
      Buffer.from([0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80]),
      Buffer.alloc(0),
    ]
    const lines = [
      {kind: 'topic', name: 'bytes', partitions: 1},
      ...values.map((value, offset) => ({headers: [], key: null, kind: 'record', offset, partition: 0, timestamp: 1_767_600_000_000 + offset, topic: 'bytes', value: value.toString('base64')})),
    ]
    writeFileSync(path.join(cwd, 'bytes.jsonl'), lines.map((line) => JSON.stringify(line)).join('\n') + '\n')
    expect((await runCli(['topic', 'import', 'bytes.jsonl'], {cwd})).code).toBe(0)

    const {closed} = start(['topic', 'tail', 'bytes', '--format', 'raw'], cwd)
    const {code, stdout} = await closed
    expect(code).toBe(0)
    expect(stdout.equals(Buffer.concat(values.flatMap((value) => [value, Buffer.from('\n')])))).toBe(true)
  })
})
