import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {beforeAll, describe, expect, it} from 'vitest'

import {headOne, interrupt, PROMPT_MS, start, untilReading} from '../helpers/cli-process.js'
import {runCli} from '../helpers/run-cli.js'

/**
 * Ctrl-C, SIGTERM and a closed pipe end every long read promptly, on a log big enough that each
 * command below reads for seconds (the embedded log answers synchronously, so a loop that never
 * yields a macrotask would only see the signal at its end).
 */

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
