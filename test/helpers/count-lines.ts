import {spawn} from 'node:child_process'

import {BIN, cleanEnv} from './run-cli.js'

export interface CountedRun {
  code: null | number
  /** stdout's first 4 KiB. */
  head: string
  /** Newlines written to stdout. */
  lines: number
  stderr: string
  /** stdout's last line: a result object, or the last record. */
  tail: string
}

/**
 * Runs the built CLI through pipes and counts stdout's lines as they stream by, keeping only its
 * start and its last line: for commands that print a million records, which a test must not hold in memory.
 */
export function countOutputLines(args: string[], options: {cwd: string; env?: Record<string, string>}): Promise<CountedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']})
    let lines = 0
    let head = ''
    let last = ''
    let stderr = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) lines++
      if (head.length < 4096) head = (head + chunk).slice(0, 4096)
      last = (last + chunk).slice(-4096)
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, head, lines, stderr, tail: last.trimEnd().split('\n').at(-1) ?? ''}))
  })
}
