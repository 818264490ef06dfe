import {createRequire} from 'node:module'

import {UsageError} from '../lib/errors.js'
import {importEsm} from '../lib/util/import-esm.js'

// node:readline is required by the functions that read lines: compiling it is start-up time otherwise.
const require = createRequire(import.meta.url)
const readline = () => require('node:readline') as typeof import('node:readline')

/**
 * TTY gate (conventions habit 7): ink only on an interactive terminal, never in CI, a dumb terminal
 * or with --json. A terminal whose width is unknown or 0 (some ptys, serial consoles) gets plain
 * lines too: ink would lay out at that width, one character per line.
 */
export function useInteractiveOutput(json: boolean, stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && Boolean(stream.columns) && !process.env.CI && process.env.TERM !== 'dumb' && !json
}

/** Whether a write failed because the reader went away (`| head -1`, a pager quit early). */
export function isClosedPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED'
}

const stdoutClosedListeners = new Set<() => void>()
let stdoutClosed = false
let watchingStdout = false

/**
 * Calls `onClosed` once stdout's reader has gone away. One 'error' listener on stdout serves
 * every caller (no MaxListenersExceededWarning however many writes wait); other write errors are
 * rethrown as an unhandled 'error' event would be. Returns the function that stops watching.
 */
export function watchStdoutClosed(onClosed: () => void): () => void {
  if (!watchingStdout) {
    watchingStdout = true
    process.stdout.on('error', (error) => {
      if (!isClosedPipe(error)) throw error
      stdoutClosed = true
      for (const listener of stdoutClosedListeners) listener()
    })
  }

  if (stdoutClosed) queueMicrotask(onClosed)
  stdoutClosedListeners.add(onClosed)
  return () => stdoutClosedListeners.delete(onClosed)
}

const NEWLINE = Buffer.from('\n')

/**
 * Writes records to stdout (or another stream) in chunks: waits for 'drain' when the pipe is full,
 * so a reader slower than evt never makes memory grow, and drops everything once the reader has
 * gone away (the command, told through `watchStdoutClosed`, stops and exits 0).
 */
export class OutputWriter {
  private closed = false

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  /** Whether the reader has gone away: nothing more is written. */
  get isClosed(): boolean {
    return this.closed || (this.stream === process.stdout && stdoutClosed)
  }

  /** Each line followed by a newline, in one write. */
  async writeLines(lines: string[]): Promise<void> {
    if (lines.length > 0) await this.write(lines.join('\n') + '\n')
  }

  /** Each buffer's exact bytes followed by a newline, in one write (raw values are not text). */
  async writeBuffers(buffers: Buffer[]): Promise<void> {
    if (buffers.length > 0) await this.write(Buffer.concat(buffers.flatMap((buffer) => [buffer, NEWLINE])))
  }

  async write(chunk: Buffer | string): Promise<void> {
    if (this.isClosed) return
    if (this.stream.write(chunk)) return
    await new Promise<void>((resolve) => {
      // An error (EPIPE) or 'close' while waiting: the reader is gone, nothing more is written.
      const done = (error?: unknown) => {
        if (error !== undefined) this.closed = true
        this.stream.off('drain', done)
        this.stream.off('close', onClose)
        this.stream.off('error', done)
        resolve()
      }

      const onClose = () => {
        this.closed = true
        done()
      }

      this.stream.on('drain', done)
      this.stream.on('close', onClose)
      this.stream.on('error', done)
    })
  }
}

/**
 * Lines of a stream, buffered from this call on. readline emits lines as soon as it is created, so
 * an iterator taken later (after awaiting a registry, say) would miss the first ones.
 */
export function linesOf(input: NodeJS.ReadableStream, signal?: AbortSignal): AsyncIterable<string> {
  // Aborted (Ctrl-C): the lines end at once, even while stdin waits for more.
  const lines = readline().createInterface({crlfDelay: Number.POSITIVE_INFINITY, input})
  signal?.addEventListener('abort', () => lines.close(), {once: true})
  const iterator = lines[Symbol.asyncIterator]()
  return {[Symbol.asyncIterator]: () => iterator}
}

/**
 * ink and react, loaded on demand (they cost start-up time), with NO_COLOR honoured: chalk, which
 * ink colours with, reads FORCE_COLOR but not NO_COLOR (https://no-color.org); and `viewFile`, an
 * ink view of src/ui, loaded as the ES module it is beside this file (dist/ui when evt runs bundled).
 */
export async function loadInk<View>(viewFile: string): Promise<{createElement: typeof import('react').createElement; render: typeof import('ink').render; view: View}> {
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0'
  const [{render}, {createElement}, view] = await Promise.all([
    importEsm<typeof import('ink')>('ink'),
    import('react'),
    importEsm<View>(new URL(`../ui/${viewFile}`, import.meta.url).href),
  ])
  return {createElement, render, view}
}

export type RecordFormat = 'json' | 'pretty' | 'raw'

/** `--json` is `--format json`: with another --format it is a usage error, not a silent choice. */
export function requireFormatAgreesWithJson(format: string | undefined, json: boolean): void {
  if (json && format !== undefined && format !== 'json') throw new UsageError(`--json conflicts with --format ${format}`, {hint: 'give one of them'})
}

/**
 * How records are printed: --format, else JSON with --json or in a pipe, pretty on a terminal
 * (as kcat and jq users expect a pipe to get data). --json with another --format is a conflict.
 */
export function recordFormat(format: RecordFormat | undefined, json: boolean): RecordFormat {
  requireFormatAgreesWithJson(format, json)
  if (json) return 'json'
  return format ?? (process.stdout.isTTY ? 'pretty' : 'json')
}

/** Asks a yes/no question on the terminal (stderr), answered on stdin; anything but y or yes is no. */
export async function askYesNo(question: string): Promise<boolean> {
  const prompt = readline().createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await new Promise<string>((resolve) => prompt.question(`${question} [y/N] `, resolve))
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    prompt.close()
  }
}
