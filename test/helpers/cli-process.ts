import {type ChildProcess, spawn} from 'node:child_process'
import {openSync, readdirSync, readlinkSync} from 'node:fs'
import net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN, cleanEnv} from './run-cli.js'

/** How soon after a signal or a closed pipe a command must have exited (issue 14). */
export const PROMPT_MS = 1000

export interface Closed {
  code: null | number
  signal: NodeJS.Signals | null
  stderr: string
  stdout: Buffer
}

export interface Run {
  child: ChildProcess
  closed: Promise<Closed>
}

export interface StartOptions {
  /** stdin: 'closed' (the default, as `< /dev/null`), 'open' (a terminal or a producer that waits), or text then EOF. */
  input?: 'closed' | 'open' | string
  /** stdout into /dev/null (a file: writes never wait) instead of a pipe. */
  toFile?: boolean
}

/** Runs the built evt with stdout into a pipe (or /dev/null), collecting stdout as bytes. */
export function start(args: string[], cwd: string, options: StartOptions = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env: cleanEnv(), stdio: ['pipe', options.toFile ? openSync('/dev/null', 'w') : 'pipe', 'pipe']})
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const input = options.input ?? 'closed'
  if (input === 'closed') child.stdin!.end()
  else if (input !== 'open') child.stdin!.end(input)
  child.stdin!.on('error', () => {})
  const closed = new Promise<Closed>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stderr, stdout: Buffer.concat(stdout)}))
  })
  return {child, closed}
}

/** The files a process has open (Linux /proc); empty when it has not started or is gone. */
function openFiles(pid: number | undefined): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        return ''
      }
    })
  } catch {
    return []
  }
}

/** Waits until the process has the embedded log open: it is past start-up and reading. */
export async function untilReading(child: ChildProcess): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 25) {
    if (openFiles(child.pid).some((file) => file.endsWith('evt.db'))) return
    if (child.exitCode !== null) throw new Error(`evt exited (${child.exitCode}) before it opened its log`)
    await sleep(25)
  }

  throw new Error('evt never opened its log')
}

/** Sends `signal` once `ready` resolves (plus a moment), and returns the exit code and how long evt took to stop. */
export async function interruptWhen(
  run: Run,
  ready: () => Promise<void>,
  signal: NodeJS.Signals,
  label: string,
  settleMs = 400,
): Promise<Closed & {stopMs: number}> {
  const {child, closed} = run
  await ready()
  await sleep(settleMs)
  if (child.exitCode !== null) {
    const early = await closed
    throw new Error(`${label} ended (exit ${early.code}) before the signal: ${early.stderr}${early.stdout.toString('utf8')}`)
  }

  const sent = performance.now()
  child.kill(signal)
  const result = await closed
  return {...result, stopMs: performance.now() - sent}
}

/** Sends `signal` while the command reads its embedded log. */
export async function interrupt(args: string[], cwd: string, signal: NodeJS.Signals, toFile = false): Promise<Closed & {stopMs: number}> {
  const run = start(args, cwd, {toFile})
  return interruptWhen(run, () => untilReading(run.child), signal, args.join(' '))
}

/** Resolves with the first line a process writes to stdout (or all of it if it ends first). */
export function firstLineOf(child: ChildProcess): Promise<string> {
  let text = ''
  const stdout = child.stdout!
  return new Promise<string>((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (!text.includes('\n')) return
      stdout.off('data', onData)
      resolve(text.slice(0, text.indexOf('\n')))
    }

    stdout.on('data', onData)
    child.on('close', () => resolve(text))
  })
}

/**
 * `| head -1`: reads the first line, then closes the read end of the pipe in the same callback,
 * as head does: reading on while a loaded machine gets round to closing it would drain the pipe,
 * and a command with a few hundred KB to write would finish instead of meeting a closed pipe.
 */
export async function headOne(args: string[], cwd: string, options: {input?: string} = {}): Promise<{code: null | number; firstLine: string; stderr: string; stopMs: number}> {
  const {child, closed} = start(args, cwd, {input: options.input})
  const stdout = child.stdout!
  let destroyed = 0
  const firstLine = await new Promise<string>((resolve) => {
    let text = ''
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (destroyed > 0 || !text.includes('\n')) return
      stdout.destroy()
      destroyed = performance.now()
      resolve(text.slice(0, text.indexOf('\n')))
    })
    child.on('close', () => resolve(text))
  })
  destroyed ||= performance.now()
  const {code, stderr} = await closed
  return {code, firstLine, stderr, stopMs: performance.now() - destroyed}
}

/**
 * A TCP server that accepts connections and never answers: a broker or registry that hangs.
 * `connected()` resolves once some client has connected.
 */
export async function silentServer(): Promise<{close: () => Promise<void>; connected: () => Promise<void>; connections: () => number; port: number}> {
  const sockets = new Set<net.Socket>()
  let count = 0
  const server = net.createServer((socket) => {
    count++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  return {
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    async connected() {
      for (let waited = 0; waited < 20_000; waited += 20) {
        if (count > 0) return
        await sleep(20)
      }

      throw new Error('nothing connected to the silent server')
    },
    connections: () => count,
    port,
  }
}

/** A port on 127.0.0.1 where nothing listens (connections are refused at once). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
