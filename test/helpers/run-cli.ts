import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/run.js')

export interface CliResult {
  code: null | number
  stderr: string
  stdout: string
}

/**
 * Environment without the caller's EVT_* settings, so tests only see what they set; NODE_ENV as a
 * user has it (vitest sets 'test', which makes oclif register tsx in every child: a slow start).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('EVT_') && key !== 'DEBUG'))
  return {...env, NODE_ENV: 'production', XDG_CONFIG_HOME: testConfigHome(), ...extra}
}

let configHome: string | undefined

/** Where `evt trust` keeps its records in tests: a directory of the test run, never the developer's ~/.config. */
function testConfigHome(): string {
  configHome ??= mkdtempSync(path.join(tmpdir(), 'evt-test-config-'))
  return configHome
}

/** Runs the built CLI (bin/run.js) through pipes, as a user's shell would. */
export function runCli(
  args: string[],
  options: {cwd: string; env?: Record<string, string>; input?: string; onSpawn?: (child: ReturnType<typeof spawn>) => void},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd, env: cleanEnv(options.env), stdio: 'pipe'})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stderr, stdout}))
    child.stdin.end(options.input ?? '')
    options.onSpawn?.(child)
  })
}
