import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

// The test broker's SASL_PLAINTEXT listener (scripts/kafka/server.properties): user evt with PLAIN and SCRAM-SHA-256.
const SASL_BROKER = '127.0.0.1:9094'

function projectWith(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'evt-sasl-'))
  writeFileSync(path.join(dir, 'evt.yaml'), yaml)
  return dir
}

const cluster = (mechanism: string) => `clusters:
  secured:
    brokers: [${SASL_BROKER}]
    sasl: { mechanism: ${mechanism}, username: evt, password: "\${KAFKA_PASSWORD}" }
default: secured
`

describe('SASL settings from evt.yaml reach the broker', () => {
  it.each(['plain', 'scram-sha-256'])('logs in with %s and lists topics', async (mechanism) => {
    const cwd = projectWith(cluster(mechanism))
    const result = await runCli(['topic', 'list', '--json'], {cwd, env: {KAFKA_PASSWORD: 'evt-test-secret'}})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true)
  })

  it('exits 3 with "authentication failed" on a wrong password, and never prints the password', async () => {
    const cwd = projectWith(cluster('scram-sha-256'))
    const result = await runCli(['topic', 'list'], {cwd, env: {DEBUG: 'evt*', KAFKA_PASSWORD: 'wrong-secret-value'}})
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`authentication failed at Kafka ${SASL_BROKER}`)
    expect(result.stdout + result.stderr).not.toContain('wrong-secret-value')
  })
})
