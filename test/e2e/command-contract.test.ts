import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {EXIT_CODES} from '../../src/cli/error-map.js'
import {closedPort, firstLineOf, headOne, interruptWhen, PROMPT_MS, silentServer, start, untilReading} from '../helpers/cli-process.js'
import {runCli} from '../helpers/run-cli.js'

/**
 * Issue 14's "done when", for every command: SIGINT while it works silently into a pipe is exit
 * 130 within 1 s; `| head -1` is exit 0 with nothing on stderr; a realistic error is one JSON
 * object with its stable code under --json and one `Error:` line without; `--format raw` is byte
 * exact. Long reads on a large log are covered by signals-pipes.test.ts; here a small demo log
 * suffices, and commands that would finish at once wait on a socket that never answers.
 *
 * The table has one row per command of oclif.manifest.json: a new command fails the first test
 * until it has a row.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {flags: Record<string, {options?: string[]}>}>
}

/** What a command waits on while it is interrupted. */
type WaitOn =
  | 'broker' // --brokers 127.0.0.1:PORT of a server that accepts and never answers
  | 'registry' // --registry http://127.0.0.1:PORT of the same kind (and --brokers, so the cluster is a Kafka one)
  | 'serve' // registry serve: runs until signalled; ready once it printed its URL
  | 'stdin' // reads stdin, which stays open
  | 'nothing' // finishes at once without waiting on anything: there is no moment to interrupt

interface Row {
  /** Exit code with its --json error and code. */
  error: {args: string[]; code: string; cwd?: 'empty'; input?: string}
  /** `| head -1`: 'many' lines on stdout, or 'one' (then exactly one line is printed). */
  head: {args: string[]; input?: string; lines: 'many' | 'one'; notes?: RegExp}
  interrupt: {args: string[]; input?: string; waitOn: WaitOn}
}

const SUBJECT = 'orders-retail.OrderConfirmed'

const COMMANDS: Record<string, Row> = {
  audit: {
    error: {args: ['audit', '--rule', 'nope'], code: 'USAGE'},
    // The demo's log keeps every rule: the verdict is the one line.
    head: {args: ['audit'], lines: 'one'},
    interrupt: {args: ['audit'], waitOn: 'broker'},
  },
  'flow:discover': {
    error: {args: ['flow', 'discover', '--sample', '0'], code: 'USAGE'},
    head: {args: ['flow', 'discover'], lines: 'many'},
    interrupt: {args: ['flow', 'discover'], waitOn: 'broker'},
  },
  'flow:graph': {
    error: {args: ['flow', 'graph', 'nope'], code: 'FLOW_NOT_FOUND'},
    head: {args: ['flow', 'graph', 'order'], lines: 'many'},
    interrupt: {args: ['flow', 'graph', 'order'], waitOn: 'broker'},
  },
  'trace:reindex': {
    error: {args: ['trace', 'index', 'nope'], code: 'FLOW_NOT_FOUND'},
    head: {args: ['trace', 'index', 'order'], lines: 'one'},
    interrupt: {args: ['trace', 'index', 'order'], waitOn: 'broker'},
  },
  demo: {
    error: {args: ['demo', '--orders', 'abc'], code: 'USAGE'},
    // demo's "next:" suggestions are its normal stderr, printed after its summary whether or not
    // the reader is still there (the four summary lines are written before head closes the pipe).
    head: {args: ['demo', '--orders', '20', '--seed', '7'], lines: 'many', notes: /^\nnext:\n( {2}evt .+\n)+\n?$/},
    interrupt: {args: ['demo', '--orders', '20'], waitOn: 'broker'},
  },
  'rebuild:view': {
    error: {args: ['rebuild', 'view', 'nope'], code: 'VIEW_NOT_FOUND'},
    head: {args: ['rebuild', 'view', 'orders', '--db', 'head.db'], lines: 'one'},
    interrupt: {args: ['rebuild', 'view', 'orders', '--db', 'interrupted.db'], waitOn: 'broker'},
  },
  'registry:serve': {
    error: {args: ['registry', 'serve', '--port', 'BUSY_PORT'], code: 'PORT_UNAVAILABLE'},
    // Runs until signalled: its one line is the URL; checked in its own test below.
    head: {args: [], lines: 'one'},
    interrupt: {args: ['registry', 'serve', '--port', '0'], waitOn: 'serve'},
  },
  replay: {
    error: {args: ['replay', 'nope', '--to', 'orders', '--dry-run'], code: 'TOPIC_NOT_FOUND'},
    head: {args: ['replay', 'orders', '--to', 'copy', '--dry-run'], lines: 'many'},
    interrupt: {args: ['replay', 'orders', '--to', 'copy'], waitOn: 'broker'},
  },
  'schema:check': {
    error: {args: ['schema', 'check', SUBJECT, 'missing.avsc'], code: 'FILE_NOT_FOUND'},
    head: {args: ['schema', 'check', SUBJECT, 'confirmed.avsc'], lines: 'one'},
    interrupt: {args: ['schema', 'check', SUBJECT, 'confirmed.avsc'], waitOn: 'registry'},
  },
  'schema:compat': {
    error: {args: ['schema', 'compat', SUBJECT, 'SIDEWAYS'], code: 'USAGE'},
    head: {args: ['schema', 'compat', SUBJECT], lines: 'one'},
    interrupt: {args: ['schema', 'compat', SUBJECT], waitOn: 'registry'},
  },
  'schema:diff': {
    error: {args: ['schema', 'diff', 'nope', '1', '2'], code: 'SUBJECT_NOT_FOUND'},
    head: {args: ['schema', 'diff', SUBJECT, '1', '1'], lines: 'many'},
    interrupt: {args: ['schema', 'diff', SUBJECT, '1', '2'], waitOn: 'registry'},
  },
  'schema:list': {
    // In a directory with no log: read-only commands never create one.
    error: {args: ['schema', 'list'], code: 'EMBEDDED_LOG_NOT_FOUND', cwd: 'empty'},
    head: {args: ['schema', 'list'], lines: 'many'},
    interrupt: {args: ['schema', 'list'], waitOn: 'registry'},
  },
  'schema:register': {
    error: {args: ['schema', 'register', SUBJECT, 'missing.avsc'], code: 'FILE_NOT_FOUND'},
    head: {args: ['schema', 'register', SUBJECT, 'confirmed.avsc'], lines: 'one'},
    interrupt: {args: ['schema', 'register', SUBJECT, 'confirmed.avsc'], waitOn: 'registry'},
  },
  'schema:show': {
    error: {args: ['schema', 'show', 'nope'], code: 'SUBJECT_NOT_FOUND'},
    head: {args: ['schema', 'show', SUBJECT], lines: 'many'},
    interrupt: {args: ['schema', 'show', SUBJECT], waitOn: 'registry'},
  },
  'topic:create': {
    error: {args: ['topic', 'create', 'orders'], code: 'TOPIC_EXISTS'},
    head: {args: ['topic', 'create', 'created-by-head-UNIQUE'], lines: 'one'},
    interrupt: {args: ['topic', 'create', 'fresh'], waitOn: 'broker'},
  },
  'topic:export': {
    error: {args: ['topic', 'export', 'nope'], code: 'TOPIC_NOT_FOUND'},
    head: {args: ['topic', 'export', 'orders', 'payments'], lines: 'many'},
    interrupt: {args: ['topic', 'export', 'orders'], waitOn: 'broker'},
  },
  'topic:import': {
    error: {args: ['topic', 'import', 'missing.jsonl'], code: 'FILE_NOT_FOUND'},
    head: {args: ['topic', 'import', 'bytes.jsonl'], lines: 'one'},
    interrupt: {args: ['topic', 'import', '-'], waitOn: 'stdin'},
  },
  'topic:list': {
    error: {args: ['topic', 'list', '--brokers', '127.0.0.1:CLOSED_PORT', '--timeout', '5s'], code: 'BROKER_UNREACHABLE'},
    head: {args: ['topic', 'list'], lines: 'many'},
    interrupt: {args: ['topic', 'list'], waitOn: 'broker'},
  },
  'topic:produce': {
    error: {args: ['topic', 'produce', 'orders'], code: 'INPUT_INVALID', input: 'not json\n'},
    head: {args: ['topic', 'produce', 'produced', '--json'], input: '{"key": "a", "value": {"n": 1}}\n{"key": "b", "value": {"n": 2}}\n', lines: 'many'},
    interrupt: {args: ['topic', 'produce', 'produced'], waitOn: 'stdin'},
  },
  'topic:tail': {
    error: {args: ['topic', 'tail', 'nope'], code: 'TOPIC_NOT_FOUND'},
    head: {args: ['topic', 'tail', 'orders', 'payments'], lines: 'many'},
    interrupt: {args: ['topic', 'tail', 'orders', '--follow'], waitOn: 'broker'},
  },
  trace: {
    error: {args: ['trace', 'nope', '1001'], code: 'FLOW_NOT_FOUND'},
    head: {args: ['trace', 'order', '1001'], lines: 'many'},
    interrupt: {args: ['trace', 'order', '1001'], waitOn: 'broker'},
  },
  trust: {
    // No evt.yaml in an empty directory (nor above it): nothing to trust.
    error: {args: ['trust'], code: 'USAGE', cwd: 'empty'},
    head: {args: ['trust'], lines: 'one'},
    interrupt: {args: ['trust'], waitOn: 'nothing'},
  },
  'view:diff': {
    error: {args: ['view', 'diff', 'orders', '--db', 'missing.db'], code: 'FILE_NOT_FOUND'},
    head: {args: ['view', 'diff', 'orders', '--db', 'fresh.db'], lines: 'one'},
    interrupt: {args: ['view', 'diff', 'orders', '--db', 'fresh.db'], waitOn: 'broker'},
  },
}

/** Values that are not valid UTF-8 (and one that is), for `--format raw`. */
const RAW_VALUES = [
  Buffer.from([0xff, 0xfe, 0x00, 0x41]),
  Buffer.from([0x80, 0x0a, 0xc3]),
  Buffer.from('zoë', 'utf8'),
  Buffer.from([0xf0, 0x28, 0x8c, 0x28]),
]

/** An export-format file with RAW_VALUES in topic 'bytes' (2 partitions: two values each). */
function bytesExport(): string {
  const lines = [
    {kind: 'topic', name: 'bytes', partitions: 2},
    ...RAW_VALUES.map((value, i) => ({
      headers: [],
      key: null,
      kind: 'record',
      offset: Math.floor(i / 2),
      partition: i % 2,
      timestamp: 1_767_600_000_000 + i,
      topic: 'bytes',
      value: value.toString('base64'),
    })),
  ]
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n'
}

let cwd: string
let empty: string
let busy: net.Server
let busyPort: number
let refusedPort: number

beforeAll(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), 'evt-contract-'))
  empty = mkdtempSync(path.join(tmpdir(), 'evt-contract-empty-'))
  expect((await runCli(['demo', '--orders', '200'], {cwd})).code).toBe(0)
  const show = await runCli(['schema', 'show', SUBJECT, '--json'], {cwd})
  expect(show.code).toBe(0)
  writeFileSync(path.join(cwd, 'confirmed.avsc'), (JSON.parse(show.stdout) as {schema: string}).schema)
  writeFileSync(path.join(cwd, 'bytes.jsonl'), bytesExport())
  expect((await runCli(['rebuild', 'view', 'orders', '--db', 'fresh.db'], {cwd})).code).toBe(0)
  expect((await runCli(['topic', 'create', 'copy'], {cwd})).code).toBe(0)
  expect((await runCli(['topic', 'create', 'produced'], {cwd})).code).toBe(0)
  busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  busyPort = (busy.address() as net.AddressInfo).port
  refusedPort = await closedPort()
}, 60_000)

afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()))
  rmSync(cwd, {force: true, recursive: true})
  rmSync(empty, {force: true, recursive: true})
})

let counter = 0
/** Replaces UNIQUE with a fresh number (a topic created once per run). */
const unique = (args: string[]) => {
  counter++
  return args.map((arg) => arg.replace('UNIQUE', String(counter)))
}

const fill = (args: string[]) => args.map((arg) => arg.replace('BUSY_PORT', String(busyPort)).replace('CLOSED_PORT', String(refusedPort)))

describe('the table covers every command', () => {
  it('has one row per command in oclif.manifest.json', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(Object.keys(manifest.commands).sort())
  })

  it('every command has the global --json flag', () => {
    const without = Object.entries(manifest.commands)
      .filter(([, command]) => !('json' in command.flags))
      .map(([id]) => id)
    expect(without).toEqual([])
  })

  it('--format raw exists on topic tail only (a new raw output needs a byte-exact test below)', () => {
    const withRaw = Object.entries(manifest.commands)
      .filter(([, command]) => Object.values(command.flags).some((flag) => flag.options?.includes('raw')))
      .map(([id]) => id)
    expect(withRaw).toEqual(['topic:tail'])
  })
})

describe.concurrent('SIGINT while a command works and prints nothing into a pipe: exit 130 within 1 s', () => {
  for (const [id, row] of Object.entries(COMMANDS)) {
    const {args, input, waitOn} = row.interrupt
    if (waitOn === 'nothing') continue
    it(`${id} (waiting on ${waitOn === 'serve' ? 'requests' : waitOn})`, async () => {
      const server = waitOn === 'broker' || waitOn === 'registry' ? await silentServer() : undefined
      try {
        const address = `127.0.0.1:${server?.port}`
        const extra =
          waitOn === 'broker' ? ['--brokers', address, '--timeout', '60s'] : waitOn === 'registry' ? ['--brokers', address, '--registry', `http://${address}`, '--timeout', '60s'] : []
        const run = start([...args, ...extra], cwd, {input: waitOn === 'stdin' ? (input ?? 'open') : undefined})
        const ready = server ? server.connected : waitOn === 'serve' ? async () => void (await firstLineOf(run.child)) : () => untilReading(run.child)
        const {code, stderr, stdout, stopMs} = await interruptWhen(run, ready, 'SIGINT', id)
        if (waitOn !== 'serve') expect(stdout.toString('utf8')).toBe('')
        expect(stderr).not.toMatch(/\n\s+at |Warning|EPIPE|unexpected error/)
        expect({code, stopMs: stopMs < PROMPT_MS ? 'within 1 s' : `${Math.round(stopMs)} ms`}).toEqual({code: 130, stopMs: 'within 1 s'})
      } finally {
        await server?.close()
      }
    })
  }
})

describe('| head -1: exit 0, nothing on stderr', () => {
  for (const [id, row] of Object.entries(COMMANDS)) {
    if (id === 'registry:serve') continue
    const {input, lines, notes} = row.head
    it(`${id} (${lines === 'many' ? 'many lines' : 'one line'})`, async () => {
      // demo writes into the current directory: a fresh one each time.
      const dir = id === 'demo' ? mkdtempSync(path.join(tmpdir(), 'evt-contract-demo-')) : cwd
      try {
        if (lines === 'one') {
          const result = await runCli(unique(row.head.args), {cwd: dir, input})
          expect(result.stderr).toBe('')
          expect(result.code).toBe(0)
          expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(1)
        }

        const {code, firstLine, stderr, stopMs} = await headOne(unique(row.head.args), dir, {input})
        expect(firstLine.length).toBeGreaterThan(0)
        if (notes) expect(stderr).toMatch(notes)
        else expect(stderr).toBe('')
        expect(code).toBe(0)
        expect(stopMs).toBeLessThan(PROMPT_MS)
      } finally {
        if (dir !== cwd) rmSync(dir, {force: true, recursive: true})
      }
    })
  }

  it('registry serve prints its URL as its one line (a JSON line with --json), then runs until Ctrl-C', async () => {
    for (const json of [false, true]) {
      const run = start(['registry', 'serve', '--port', '0', ...(json ? ['--json'] : [])], cwd)
      let line = ''
      const {code, stderr} = await interruptWhen(
        run,
        async () => {
          // Give up waiting after 5 s: a command that prints nothing must fail here, not hang.
          line = await Promise.race([firstLineOf(run.child), new Promise<string>((resolve) => setTimeout(() => resolve(''), 5000))])
        },
        'SIGINT',
        'registry serve',
        0,
      )
      expect(code).toBe(130)
      expect(stderr).not.toMatch(/Error|Warning|\n\s+at /)
      if (json) expect(line === '' ? undefined : JSON.parse(line), 'registry serve --json prints {"url": ...} first').toEqual({url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)})
      else expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    }
  })
})

describe.concurrent('errors: one JSON object with a stable code under --json, one Error: line without', () => {
  for (const [id, row] of Object.entries(COMMANDS)) {
    const {code: expected, input} = row.error
    const args = () => fill(row.error.args)
    it(`${id}: ${row.error.args.join(' ')} → ${expected}`, async () => {
      const dir = row.error.cwd === 'empty' ? empty : cwd
      const json = await runCli([...args(), '--json'], {cwd: dir, input})
      const lines = json.stdout.split('\n').filter(Boolean)
      expect(lines, `stdout of ${args().join(' ')} --json`).toHaveLength(1)
      const {error} = JSON.parse(lines[0]) as {error: {code: string; data: unknown; exit: number; hint?: string; message: string}}
      expect(Object.keys(error).sort()).toEqual(expect.arrayContaining(['code', 'data', 'exit', 'message']))
      expect(Object.keys(error).every((key) => ['code', 'data', 'exit', 'hint', 'message'].includes(key))).toBe(true)
      expect(error.code).toBe(expected)
      expect(error.exit).toBe(EXIT_CODES[expected as keyof typeof EXIT_CODES])
      expect(json.code).toBe(error.exit)
      expect(typeof error.data).toBe('object')
      expect(error.message).toMatch(/\S/)
      expect(error.message).not.toContain('\n')
      if (error.hint !== undefined) expect(error.hint).toMatch(/\S/)
      expect(json.stderr).not.toMatch(/\n\s+at |Warning/)

      const plain = await runCli(args(), {cwd: dir, input})
      expect(plain.stdout).toBe('')
      expect(plain.code).toBe(error.exit)
      expect(plain.stderr.split('\n').filter(Boolean)).toEqual([`Error: ${error.message}`, ...(error.hint ? [`Hint: ${error.hint}`] : [])])
    })
  }
})

describe('--format raw writes value bytes exactly', () => {
  it('topic tail --format raw: non-UTF-8 values imported from stdin, across partitions, a newline after each', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evt-contract-raw-'))
    try {
      const imported = await runCli(['topic', 'import', '-'], {cwd: dir, input: bytesExport()})
      expect(imported.code).toBe(0)
      const {closed} = start(['topic', 'tail', 'bytes', '--format', 'raw', '--partition', '1'], dir)
      const {code, stderr, stdout} = await closed
      expect(code).toBe(0)
      expect(stderr).toBe('')
      const partition1 = RAW_VALUES.filter((_, i) => i % 2 === 1)
      expect(stdout.toString('hex')).toBe(Buffer.concat(partition1.flatMap((value) => [value, Buffer.from('\n')])).toString('hex'))

      // Every partition: the same bytes, in some order (partitions interleave by time).
      const all = await start(['topic', 'tail', 'bytes', '--format', 'raw'], dir).closed
      expect(all.code).toBe(0)
      const expected = RAW_VALUES.map((value) => Buffer.concat([value, Buffer.from('\n')]))
      expect(all.stdout.length).toBe(expected.reduce((sum, value) => sum + value.length, 0))
      expect(all.stdout.toString('hex')).toBe(Buffer.concat(expected).toString('hex'))
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('--format raw conflicts with --json: a USAGE error as JSON', async () => {
    const result = await runCli(['topic', 'tail', 'orders', '--format', 'raw', '--json'], {cwd})
    expect(result.code).toBe(2)
    expect((JSON.parse(result.stdout) as {error: {code: string}}).error.code).toBe('USAGE')
  })
})
