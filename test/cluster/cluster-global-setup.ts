import {execFileSync} from 'node:child_process'
import {connect} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {TestProject} from 'vitest/node'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const script = (name: string) => path.join(root, 'scripts/kafka', name)

/** What scripts/kafka/start.sh --brokers 3 prints: bootstrap lists per listener, the registry and the TLS files. */
export interface ClusterInfo {
  /** PLAINTEXT bootstrap, "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292". */
  brokers: string
  mtls: string
  registry: string
  sasl: string
  saslSsl: string
  ssl: string
  tls: {ca: string; clientCert: string; clientKey: string; dir: string; otherCa: string}
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    socket.once('connect', () => socket.end(() => resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

/** start.sh's stdout: one "NAME VALUE" per line. */
export function parseStartOutput(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]))
}

/**
 * Starts the 3-node cluster and the registry once for the 'cluster' project and stops them at
 * the end, unless a 3-node cluster was running already. A single-node harness (the 'integration'
 * project's, or a developer's) is stopped first: the nodes share ports and the machine's cores.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const selected = project.vitest.projects.map((p) => p.name)
  if (selected.includes('integration')) {
    // vitest reports a failed global setup of a project only as "No test files found": say why.
    const message = "the 'cluster' project runs on its own (vitest run --project cluster, npm run test:cluster or npm test): in one run with 'integration' it would stop that project's single broker"
    process.stderr.write(`${message}\n`)
    throw new Error(message)
  }

  const [node1, node2] = await Promise.all([portOpen(9092), portOpen(9192)])
  const alreadyRunning = node1 && node2
  if (node1 && !node2) {
    process.stderr.write('stopping the single-node Kafka harness for the 3-node cluster\n')
    execFileSync('bash', [script('stop.sh')], {stdio: ['ignore', 'ignore', 'inherit']})
  }

  const began = Date.now()
  const stdout = execFileSync('bash', [script('start.sh'), '--brokers', '3'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
  process.stderr.write(`3-node kafka + registry ready in ${((Date.now() - began) / 1000).toFixed(1)} s${alreadyRunning ? ' (already running)' : ''}\n`)
  const out = parseStartOutput(stdout)
  const dir = out['tls-dir']
  project.provide('cluster', {
    brokers: out.kafka,
    mtls: out['kafka-mtls'],
    registry: out.registry,
    sasl: out['kafka-sasl'],
    saslSsl: out['kafka-sasl-ssl'],
    ssl: out['kafka-ssl'],
    tls: {ca: out['tls-ca'], clientCert: path.join(dir, 'client.pem'), clientKey: path.join(dir, 'client-key.pem'), dir, otherCa: path.join(dir, 'other-ca.pem')},
  })
  return () => {
    if (!alreadyRunning) execFileSync('bash', [script('stop.sh')], {stdio: ['ignore', 'ignore', 'inherit']})
  }
}
