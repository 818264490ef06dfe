import {writeFileSync} from 'node:fs'
import {request} from 'node:http'
import {networkInterfaces} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {type CliResult, runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * `evt registry serve` answers only its own clients: not a web page the developer has open (any
 * Origin; a POST without a JSON Content-Type, which a page can send with no preflight), not a
 * page whose name was rebound to 127.0.0.1 (a Host that is not the server's), and, off loopback,
 * nobody without the --auth credentials. Requests go over real sockets with the headers a browser
 * would send; the server is the built CLI.
 */
const PASSWORD = 'S3cr3t-serve-PASSWORD-xyz'
const SCHEMA = JSON.stringify({schema: JSON.stringify({fields: [{name: 'id', type: 'string'}], name: 'Order', type: 'record'})})
const CONFLUENT = 'application/vnd.schemaregistry.v1+json'

interface Answer {
  body: string
  headers: Record<string, string | string[] | undefined>
  status: number
}

/** One HTTP request to 127.0.0.1:port with exactly these headers (fetch would not let a test set Host). */
function send(port: number, method: string, target: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({headers, host: '127.0.0.1', method, path: target, port, setHost: false}, (response) => {
      let text = ''
      response.on('data', (chunk) => (text += chunk))
      response.on('end', () => resolve({body: text, headers: response.headers, status: response.statusCode ?? 0}))
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** Runs `evt registry serve ARGS`, calls `use` with the port once its URL is printed, then stops it with SIGTERM. */
async function whileServing(args: string[], cwd: string, env: Record<string, string>, use: (port: number, url: string) => Promise<void>) {
  let failure: unknown
  const result = await runCli(['registry', 'serve', '--port', '0', ...args], {
    cwd,
    env,
    onSpawn(child) {
      let out = ''
      child.stdout!.on('data', (chunk) => {
        out += chunk
        if (!out.endsWith('\n') || out.split('\n').length !== 2) return
        const url = out.trim()
        use(Number(new URL(url).port), url)
          .catch((error) => (failure = error))
          .finally(() => child.kill('SIGTERM'))
      })
    },
  })
  if (failure) throw failure
  return result
}

describe('registry serve refuses requests that are not from its clients', () => {
  const tempDir = useTempDir()

  it('on loopback: a foreign Host or Origin is 403, a write without a JSON Content-Type is 415, and nothing is registered', async () => {
    requireFreshBuild()
    const cwd = tempDir()
    const env = {EVT_HOME: path.join(cwd, 'home')}
    const result = await whileServing([], cwd, env, async (port) => {
      const host = `127.0.0.1:${port}`
      const write = (headers: Record<string, string>, subject: string) => send(port, 'POST', `/subjects/${subject}/versions`, {Host: host, ...headers}, SCHEMA)
      const refused: [string, Promise<Answer>, number][] = [
        ['no Content-Type', write({}, 'bare'), 415],
        ['text/plain', write({'Content-Type': 'text/plain'}, 'text'), 415],
        ['a form', write({'Content-Type': 'application/x-www-form-urlencoded'}, 'form'), 415],
        ['another site', write({'Content-Type': CONFLUENT, Origin: 'https://evil.example'}, 'site'), 403],
        ['an opaque origin', write({'Content-Type': CONFLUENT, Origin: 'null'}, 'opaque'), 403],
        ['localhost on another port', write({'Content-Type': CONFLUENT, Origin: `http://localhost:${port + 1}`}, 'otherport'), 403],
        ['a rebound name', write({'Content-Type': CONFLUENT, Host: `evil.example:${port}`}, 'rebound'), 403],
        ['a rebound name, read', send(port, 'GET', '/subjects', {Host: `evil.example:${port}`}), 403],
        ['the right name, another port', write({'Content-Type': CONFLUENT, Host: `127.0.0.1:${port + 1}`}, 'port'), 403],
        ['no Host', write({'Content-Type': CONFLUENT, Host: ''}, 'nohost'), 403],
      ]
      for (const [what, answer, status] of refused) {
        const {body, status: actual} = await answer
        expect({status: actual, what}).toEqual({status, what})
        expect(JSON.parse(body)).toMatchObject({error_code: status})
      }

      // What its clients send is served: loopback names, and the page it would itself be (same origin).
      for (const [name, headers] of [
        ['localhost', {Host: `localhost:${port}`}],
        ['ipv6', {Host: `[::1]:${port}`}],
        ['same-origin', {Host: host, Origin: `http://${host}`}],
        ['json', {'Content-Type': 'application/json; charset=utf-8', Host: host}],
      ] as const) {
        expect(await write({'Content-Type': CONFLUENT, ...headers}, name)).toMatchObject({body: '{"id":1}', status: 200})
      }

      const subjects = await send(port, 'GET', '/subjects', {Host: host})
      expect(JSON.parse(subjects.body).sort()).toEqual(['ipv6', 'json', 'localhost', 'same-origin'])
    })
    expect(result.code).toBe(143)
  })

  it('refuses to serve other machines without --auth, exit 2 with the fix', async () => {
    const cwd = tempDir()
    for (const host of ['0.0.0.0', '::']) {
      const result = await runCli(['registry', 'serve', '--port', '0', '--host', host], {cwd, env: {EVT_HOME: path.join(cwd, 'home')}})
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^Error: serving on .* it needs credentials\nHint: add --auth "USER:\$PASSWORD" \(or set EVT_REGISTRY_AUTH/)
    }

    const malformed = await runCli(['registry', 'serve', '--port', '0', '--auth', PASSWORD], {cwd, env: {EVT_HOME: path.join(cwd, 'home')}})
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toMatch(/^Error: --auth \(or EVT_REGISTRY_AUTH\) must be USER:PASSWORD/)
    expect(malformed.stderr + malformed.stdout).not.toContain(PASSWORD)
  })

  it('on 0.0.0.0 with --auth: prints a usable URL and a warning, answers 401 without the credentials, and serves evt with them', async () => {
    const cwd = tempDir()
    const env = {EVT_HOME: path.join(cwd, 'home'), EVT_REGISTRY_AUTH: `evt:${PASSWORD}`}
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && !address.internal && address.family === 'IPv4')?.address
    let registered: CliResult | undefined
    const result = await whileServing(['--host', '0.0.0.0'], cwd, env, async (port, url) => {
      expect(url).toBe(`http://127.0.0.1:${port}`)
      const basic = (password: string) => `Basic ${Buffer.from(`evt:${password}`).toString('base64')}`
      const anonymous = await send(port, 'GET', '/subjects', {Host: `127.0.0.1:${port}`})
      expect(anonymous).toMatchObject({headers: {'www-authenticate': expect.stringMatching(/^Basic /)}, status: 401})
      expect((await send(port, 'GET', '/subjects', {Authorization: basic('wrong'), Host: `127.0.0.1:${port}`})).status).toBe(401)
      expect((await send(port, 'GET', '/subjects', {Authorization: basic(PASSWORD), Host: `127.0.0.1:${port}`})).status).toBe(200)
      if (external) expect((await send(port, 'GET', '/subjects', {Authorization: basic(PASSWORD), Host: `${external}:${port}`})).status).toBe(200)
      // Credentials do not make a web page welcome.
      expect((await send(port, 'GET', '/subjects', {Authorization: basic(PASSWORD), Host: `127.0.0.1:${port}`, Origin: 'https://evil.example'})).status).toBe(403)

      // evt itself, as a client with the credentials in its --registry URL.
      const file = path.join(cwd, 'order.avsc')
      writeFileSync(file, JSON.parse(SCHEMA).schema)
      registered = await runCli(['schema', 'register', 'orders-value', file, '--registry', url.replace('//', `//evt:${PASSWORD}@`), '--brokers', '127.0.0.1:1'], {cwd})
    })
    expect(registered).toMatchObject({code: 0})
    expect(result.code).toBe(143)
    expect(result.stderr).toMatch(/Warning: listening on every interface \(0\.0\.0\.0\).* at http:\/\/127\.0\.0\.1:\d+/)
    if (external) expect(result.stderr).toContain(`http://${external}:`)
    expect(result.stdout + result.stderr + registered!.stderr).not.toContain(PASSWORD)
  })
})
