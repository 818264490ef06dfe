import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {TestProject} from 'vitest/node'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
/** The server of scripts/postgres/start.sh: port 5433, trust authentication on loopback. */
export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5433'

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: string
  }
}

/**
 * Starts the real PostgreSQL server once per test run with `npm run pg:start`'s script, and stops
 * it afterwards — unless a developer had it running already, in which case it stays.
 */
export default function setup(project: TestProject): () => void {
  const alreadyRunning = existsSync('/tmp/evt-postgres/data/postmaster.pid')
  execFileSync('bash', [path.join(root, 'scripts/postgres/start.sh')], {stdio: ['ignore', 'ignore', 'inherit']})
  project.provide('postgres', POSTGRES_SERVER)
  return () => {
    if (!alreadyRunning) execFileSync('bash', [path.join(root, 'scripts/postgres/stop.sh')], {stdio: ['ignore', 'ignore', 'inherit']})
  }
}
