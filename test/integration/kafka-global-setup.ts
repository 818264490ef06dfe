import {execFileSync} from 'node:child_process'
import {connect} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {TestProject} from 'vitest/node'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const KAFKA_BROKERS = '127.0.0.1:9092'
export const REGISTRY_URL = 'http://127.0.0.1:8080/apis/ccompat/v7'

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: {brokers: string; registry: string}
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    socket.once('connect', () => socket.end(() => resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts the real broker and registry once per test run with `npm run kafka:start`'s script, and
 * stops them afterwards — unless a developer had them running already, in which case they stay.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const alreadyRunning = await portOpen(9092)
  const began = Date.now()
  execFileSync('bash', [path.join(root, 'scripts/kafka/start.sh')], {stdio: ['ignore', 'ignore', 'inherit']})
  process.stderr.write(`kafka + registry ready in ${((Date.now() - began) / 1000).toFixed(1)} s${alreadyRunning ? ' (already running)' : ''}\n`)
  project.provide('kafka', {brokers: KAFKA_BROKERS, registry: REGISTRY_URL})
  return () => {
    if (!alreadyRunning) execFileSync('bash', [path.join(root, 'scripts/kafka/stop.sh')], {stdio: ['ignore', 'ignore', 'inherit']})
  }
}
