import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {expect} from 'vitest'

import {type Backend, openBackend} from '../../src/lib/backend.js'
import {trustConfig, trustStoreFile} from '../../src/lib/config/trust.js'
import {BIN, cleanEnv} from '../helpers/run-cli.js'

/*
 * Shared by the fault tests against the real broker (*.kafka.test.ts): evt run as a child process
 * whose output can be awaited while it runs, the broker process of scripts/kafka/start.sh (to
 * freeze, kill and start again), and the checks every fault test makes on an error.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
/** The run dir of scripts/kafka/common.sh: pid files, logs and the broker's data. */
const INFRA_RUN = process.env.EVT_INFRA_RUN ?? '/tmp/evt-kafka'

export interface Finished {
  code: null | number
  /** Date.now() at exit. */
  endedAt: number
  /** Milliseconds from spawn to exit. */
  ms: number
  signal: NodeJS.Signals | null
  stderr: string
  stdout: string
}

/** An evt process running in the background. */
export interface Running {
  readonly child: ChildProcess
  readonly done: Promise<Finished>
  stderr(): string
  stdout(): string
  /** Resolves once `check(stdout, stderr)` holds; fails (naming `what`) after `timeoutMs` or if evt exits first. */
  waitFor(what: string, check: (stdout: string, stderr: string) => boolean, timeoutMs?: number): Promise<void>
}

/** Starts bin/run.js with pipes, as a user's shell would, without waiting for it. */
export function startEvt(args: string[], options: {cwd: string; env?: Record<string, string>}): Running {
  const started = Date.now()
  const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd, env: cleanEnv(options.env), stdio: 'pipe'})
  let stdout = ''
  let stderr = ''
  let exited = false
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const listener of listeners) listener()
  }

  child.stdout!.on('data', (chunk) => {
    stdout += chunk
    changed()
  })
  child.stderr!.on('data', (chunk) => {
    stderr += chunk
    changed()
  })
  child.stdin!.end()
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      exited = true
      changed()
      resolve({code, endedAt: Date.now(), ms: Date.now() - started, signal, stderr, stdout})
    })
  })
  return {
    child,
    done,
    stderr: () => stderr,
    stdout: () => stdout,
    waitFor(what, check, timeoutMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const finish = (error?: Error) => {
          clearTimeout(timer)
          listeners.delete(poll)
          if (error) reject(error)
          else resolve()
        }

        const poll = () => {
          if (check(stdout, stderr)) finish()
          else if (exited) finish(new Error(`evt ${args.join(' ')} exited before ${what}:\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`))
        }

        const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from evt ${args.join(' ')}:\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`)), timeoutMs)
        listeners.add(poll)
        poll()
      })
    },
  }
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * The contract for an error (design §5): the exit code, one `Error:` line naming the problem
 * (hints may follow on their own lines), and no stack trace; with --json instead the last line of
 * stdout is the error object, whose `exit` is the exit code.
 */
export function expectCleanFailure(result: Finished, exit: number, message: RegExp): void {
  const context = `exit ${result.code} (${result.signal ?? 'no signal'}) after ${result.ms} ms\nstdout: ${result.stdout.slice(-1500)}\nstderr: ${result.stderr}`
  expect(result.code, context).toBe(exit)
  const lines = result.stderr.split('\n').filter(Boolean)
  const errors = lines.filter((line) => line.startsWith('Error: '))
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? ''
  if (lastLine.startsWith('{"error":')) {
    const {error} = JSON.parse(lastLine) as {error: {exit: number; message: string}}
    expect(error.exit, context).toBe(exit)
    expect(`Error: ${error.message}`, context).toMatch(message)
    expect(errors, context).toEqual([])
  } else {
    expect(errors, context).toHaveLength(1)
    expect(errors[0], context).toMatch(message)
  }

  expect(lines.every((line) => /^(Error|Hint|Warning): /.test(line)), context).toBe(true)
  expectNoStackTrace(result.stderr)
}

export function expectNoStackTrace(stderr: string): void {
  expect(stderr, stderr).not.toMatch(/^\s+at .+[(:]\d+|node:internal|Error: .*\n\s+at /m)
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound once, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

/** The `.NAME.db.building-PID` files next to a view file. */
export function buildingFiles(file: string): string[] {
  const dir = path.dirname(file)
  return existsSync(dir) ? readdirSync(dir).filter((entry) => entry.startsWith(`.${path.basename(file)}.building-`)) : []
}

/**
 * A projection module that blocks for SLOW_PROJECTION_MS (default 2) per record, so a rebuild is
 * still running when a test interrupts it; rows are keyed by the record key.
 */
export const SLOW_PROJECTION = `const ms = Number(process.env.SLOW_PROJECTION_MS ?? 2)
export function project(record) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
  return record.value === null ? 'delete' : {name: record.value.name, n: record.value.n}
}
`

/** Writes evt.yaml (clusters `k` = the broker under test, default) plus the slow projection module into `dir`. */
export function writeProject(dir: string, cluster: {brokers: string; registry: string}, extra: string[] = []): string {
  writeFileSync(path.join(dir, 'evt.yaml'), [`clusters: {k: {brokers: ['${cluster.brokers}'], registry: '${cluster.registry}'}}`, 'default: k', ...extra].join('\n') + '\n')
  writeFileSync(path.join(dir, 'slow-projection.mjs'), SLOW_PROJECTION)
  // As `evt trust` would: the views' module runs only from a trusted evt.yaml.
  trustConfig({configFile: path.join(dir, 'evt.yaml'), modules: [path.join(dir, 'slow-projection.mjs')], store: trustStoreFile(cleanEnv())})
  return dir
}

export function openKafka(cluster: {brokers: string; registry: string}): Promise<Backend> {
  return openBackend({brokers: [cluster.brokers], kind: 'kafka', name: 'reliability', registry: {url: cluster.registry}})
}

/** Consumer groups in the cluster, through kafkajs's admin client. */
export async function listGroups(brokers: string): Promise<string[]> {
  const {Kafka, logLevel} = ((await import('kafkajs')) as unknown as {default: typeof import('kafkajs')}).default
  const admin = new Kafka({brokers: [brokers], clientId: 'evt-reliability-test', logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).sort()
  } finally {
    await admin.disconnect()
  }
}

/** The pid of the broker JVM of scripts/kafka/start.sh, found by the marker properties it starts with. */
export function brokerPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let cmdline: string
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
    } catch {
      continue
    }

    if (cmdline.includes('-Devt.infra.role=kafka ') && cmdline.includes(`-Devt.infra.run=${INFRA_RUN} `)) return Number(entry)
  }

  return undefined
}

/** Sends `signal` to the broker and returns when it was sent; with SIGKILL, waits until the process is gone. */
export async function signalBroker(signal: 'SIGCONT' | 'SIGKILL' | 'SIGSTOP'): Promise<number> {
  const pid = brokerPid()
  if (pid === undefined) throw new Error('the broker of scripts/kafka/start.sh is not running')
  const sent = Date.now()
  process.kill(pid, signal)
  if (signal === 'SIGKILL') await until(`broker pid ${pid} to exit`, () => !existsSync(`/proc/${pid}`), 10_000)
  return sent
}

/**
 * Starts the broker again with the repo's script (a fresh, empty cluster: start.sh formats new
 * storage) and waits until it answers metadata requests, for the test files that run next.
 */
export async function restartBroker(cluster: {brokers: string; registry: string}): Promise<void> {
  const pid = brokerPid()
  if (pid !== undefined) {
    // Still there (a test failed before its kill): never leave a frozen or second broker behind.
    process.kill(pid, 'SIGKILL')
    await until(`broker pid ${pid} to exit`, () => !existsSync(`/proc/${pid}`), 10_000)
  }

  await promisify(execFile)('bash', [path.join(ROOT, 'scripts/kafka/start.sh')], {timeout: 150_000})
  const deadline = Date.now() + 60_000
  for (;;) {
    const backend = await openKafka(cluster)
    try {
      await backend.log.listTopics()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    } finally {
      await backend.close()
    }
  }
}
