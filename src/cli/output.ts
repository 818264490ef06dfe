import {once} from 'node:events'
import {createInterface} from 'node:readline'

/** TTY gate (conventions habit 7): ink only on an interactive terminal, never in CI, a dumb terminal or with --json. */
export function useInteractiveOutput(json: boolean, stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.CI && process.env.TERM !== 'dumb' && !json
}

/**
 * Writes lines to stdout in chunks and waits when the pipe is full, so a fast producer neither
 * buffers the whole log in memory nor writes one syscall per record.
 */
export class LineWriter {
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return
    if (!this.stream.write(lines.join('\n') + '\n')) await once(this.stream, 'drain')
  }
}

/**
 * Lines of a stream, buffered from this call on. readline emits lines as soon as it is created, so
 * an iterator taken later (after awaiting a registry, say) would miss the first ones.
 */
export function linesOf(input: NodeJS.ReadableStream): AsyncIterable<string> {
  const iterator = createInterface({crlfDelay: Number.POSITIVE_INFINITY, input})[Symbol.asyncIterator]()
  return {[Symbol.asyncIterator]: () => iterator}
}

/**
 * ink and react, loaded on demand (they cost start-up time), with NO_COLOR honoured: chalk, which
 * ink colours with, reads FORCE_COLOR but not NO_COLOR (https://no-color.org).
 */
export async function loadInk(): Promise<{createElement: typeof import('react').createElement; render: typeof import('ink').render}> {
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0'
  const [{render}, {createElement}] = await Promise.all([import('ink'), import('react')])
  return {createElement, render}
}
