import type {ChildProcess} from 'node:child_process'
import {createServer} from 'node:net'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {orderV1} from '../helpers/schema-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'

/** Calls `use` with the URL the server prints as its first stdout line, then sends SIGTERM. */
function whenServing(use: (url: string) => Promise<unknown>, outcome: {error?: unknown; value?: unknown}) {
  return (child: ChildProcess) => {
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk
      if (!out.includes('\n')) return
      child.stdout!.off('data', onData)
      use(out.split('\n')[0])
        .then(
          (value) => (outcome.value = value),
          (error) => (outcome.error = error),
        )
        .finally(() => child.kill('SIGTERM'))
    }

    child.stdout!.on('data', onData)
  }
}

describe('evt registry serve (through pipes)', () => {
  const tempDir = useTempDir()

  it('prints its URL, serves the embedded registry to HTTP clients, and exits 143 on SIGTERM', async () => {
    const cwd = tempDir()
    const env = {EVT_HOME: path.join(cwd, 'home')}
    const outcome: {error?: unknown; value?: unknown} = {}
    const result = await runCli(['registry', 'serve', '--port', '0'], {
      cwd,
      env,
      onSpawn: whenServing(async (url) => {
        const response = await fetch(`${url}/subjects/orders-value/versions`, {
          body: JSON.stringify({schema: JSON.stringify(orderV1)}),
          headers: {'Content-Type': 'application/vnd.schemaregistry.v1+json'},
          method: 'POST',
        })
        return {body: await response.json(), status: response.status}
      }, outcome),
    })

    expect(outcome.error).toBeUndefined()
    expect(outcome.value).toEqual({body: {id: 1}, status: 200})
    expect(result.code).toBe(143)
    expect(result.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/)
    expect(result.stderr).not.toContain('    at ')

    // Registered in the embedded file: evt itself sees it.
    const list = await runCli(['schema', 'list', '--json'], {cwd, env})
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({id: 1, latest: 1, subject: 'orders-value'})])
  })

  it('exits 2 naming the port when it is taken, and 2 for a Kafka cluster', async () => {
    const cwd = tempDir()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const {port} = blocker.address() as {port: number}
    try {
      const taken = await runCli(['registry', 'serve', '--port', String(port)], {cwd, env: {EVT_HOME: path.join(cwd, 'home')}})
      expect(taken.code).toBe(2)
      expect(taken.stdout).toBe('')
      expect(taken.stderr.split('\n')[0]).toBe(`Error: port ${port} on 127.0.0.1 is already in use`)
      expect(taken.stderr).toContain('--port')
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }

    const kafka = await runCli(['registry', 'serve', '--brokers', '127.0.0.1:1'], {cwd})
    expect(kafka.code).toBe(2)
    expect(kafka.stderr.split('\n')[0]).toContain('is a Kafka cluster')
  })
})
