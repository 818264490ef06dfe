import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * Passwords from evt.yaml (literal or `${VAR}`), from the environment or inside a registry URL
 * never reach stdout or stderr: not in results, errors, --json errors, DEBUG=evt* stack traces
 * or DEBUG=* kafkajs logs, and not encoded either. The brokers and registries are closed ports
 * (127.0.0.1:1, connection refused) or a local registry that answers 401.
 */
const LITERAL = 'S3cr3t-evt-PASSWORD-xyz'
// From the environment, so characters YAML would need quoted are fine; they make every encoding differ.
const FROM_ENV = 'S3cr3t-env-PASSWORD-xyz:@/"\\%+ é'
const CLOSED = '127.0.0.1:1'
const DEBUG_SETTINGS: Record<string, string>[] = [{}, {DEBUG: 'evt*'}, {DEBUG: '*'}]

/**
 * Every way a secret could show: as is, either half of it, JSON-escaped, URL-encoded, hex, a byte
 * list (a Buffer as JSON) and base64 at each of the three byte alignments — so also inside a Basic
 * auth header (base64 of `user:password`) or any other base64 blob.
 */
function leakedForms(secret: string): string[] {
  const bytes = Buffer.from(secret)
  const base64 = [0, 1, 2].map((offset) => Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').slice(Math.ceil((offset * 4) / 3), -4))
  const half = Math.floor(secret.length / 2)
  return [secret, secret.slice(0, half), secret.slice(half), JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), bytes.toString('hex'), [...bytes].join(','), ...base64]
}

function expectNoSecret(result: CliResult & {what: string}, secret: string): void {
  for (const form of leakedForms(secret)) {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (result[stream].includes(form)) throw new Error(`${result.what}: ${stream} shows the password as '${form}':\n${result[stream]}`)
    }
  }
}

/** Runs the commands eight at a time: most of their time is kafkajs waiting to retry a closed port. */
async function runAll(jobs: {args: string[]; env?: Record<string, string>; input?: string}[], cwd: string): Promise<(CliResult & {what: string})[]> {
  const results: (CliResult & {what: string})[] = []
  const queue = [...jobs]
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const result = await runCli(job.args, {cwd, env: job.env, input: job.input})
      results.push({...result, what: `${Object.entries(job.env ?? {}).map(([k, v]) => `${k}=${v} `).join('')}evt ${job.args.join(' ')}`})
    }
  }

  await Promise.all(Array.from({length: 8}, worker))
  return results
}

function withDebug(commands: string[][], env: Record<string, string> = {}): {args: string[]; env: Record<string, string>; input?: string}[] {
  return commands.flatMap((args) => DEBUG_SETTINGS.map((debug) => ({args, env: {...env, ...debug}, input: args[1] === 'produce' ? '{"key":"1","value":{"id":"1"}}\n' : undefined})))
}

const COMMANDS = [
  ['topic', 'list'],
  ['topic', 'list', '--json'],
  ['topic', 'tail', 'orders', '--json'],
  ['topic', 'produce', 'orders'],
  ['schema', 'list'],
  ['schema', 'list', '--json'],
  ['schema', 'register', 'orders-value', 'order.avsc', '--json'],
  ['trace', 'order', '1042', '--json'],
]

const FLOWS = `flows:
  order:
    topics:
      orders: {id: key}
`

describe('secrets are never printed', () => {
  const tempDir = useTempDir()
  let registry: Server
  let registryUrl: string
  const authorizations: string[] = []

  beforeAll(async () => {
    requireFreshBuild()
    // A registry that refuses everyone, and notes what it was sent.
    registry = createServer((request, response) => {
      authorizations.push(request.headers.authorization ?? '')
      response.writeHead(401, {'Content-Type': 'application/json'}).end('{"error_code":40101,"message":"Unauthorized"}')
    })
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve))
    registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => registry?.close(resolve))
  })

  const project = (yaml: string): string => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'evt.yaml'), yaml)
    writeFileSync(path.join(cwd, 'order.avsc'), JSON.stringify({fields: [{name: 'id', type: 'string'}], name: 'Order', type: 'record'}))
    return cwd
  }

  it('with the passwords written in evt.yaml', async () => {
    const cwd = project(`clusters:
  prod:
    brokers: [${CLOSED}]
    sasl: {mechanism: plain, username: evt, password: ${LITERAL}}
    registry: {url: "http://${CLOSED}", username: evt, password: ${LITERAL}}
default: prod
${FLOWS}`)
    const results = await runAll(withDebug(COMMANDS), cwd)
    for (const result of results) {
      expect(result.code, `${result.what}\n${result.stderr}`).toBe(3)
      expectNoSecret(result, LITERAL)
    }
  })

  it('with the passwords taken from the environment through ${VAR}', async () => {
    const cwd = project(`clusters:
  prod:
    brokers: [${CLOSED}]
    sasl: {mechanism: scram-sha-256, username: evt, password: "\${KAFKA_PASSWORD}"}
    registry: {url: "http://${CLOSED}", username: evt, password: "\${REGISTRY_PASSWORD}"}
default: prod
${FLOWS}`)
    const results = await runAll(withDebug(COMMANDS, {KAFKA_PASSWORD: FROM_ENV, REGISTRY_PASSWORD: FROM_ENV}), cwd)
    for (const result of results) {
      expect(result.code, `${result.what}\n${result.stderr}`).toBe(3)
      expectNoSecret(result, FROM_ENV)
    }
  })

  it('sends the password to a registry that refuses it, and prints neither it nor the Authorization header', async () => {
    const cwd = project(`clusters:
  literal:
    brokers: [${CLOSED}]
    registry: {url: "${registryUrl}", username: evt, password: ${LITERAL}}
  fromenv:
    brokers: [${CLOSED}]
    registry: {url: "${registryUrl}", username: evt, password: "\${REGISTRY_PASSWORD}"}
  inurl:
    brokers: [${CLOSED}]
    registry: "${registryUrl.replace('//', `//evt:${encodeURIComponent(FROM_ENV)}@`)}"
`)
    const commands = [['schema', 'list'], ['schema', 'list', '--json'], ['schema', 'register', 'orders-value', 'order.avsc']]
    const env = {REGISTRY_PASSWORD: FROM_ENV}
    // Every DEBUG setting for one cluster; the most verbose one for the others.
    const results = await runAll(
      [
        ...withDebug(commands.map((args) => [...args, '--cluster', 'fromenv']), env),
        ...['literal', 'inurl'].flatMap((cluster) => commands.map((args) => ({args: [...args, '--cluster', cluster], env: {...env, DEBUG: '*'}}))),
      ],
      cwd,
    )
    for (const result of results) {
      expect({code: result.code, stderrOrStdout: result.stderr + result.stdout, what: result.what}).toMatchObject({code: 3, stderrOrStdout: expect.stringMatching(/authentication failed at the schema registry/)})
      expectNoSecret(result, LITERAL)
      expectNoSecret(result, FROM_ENV)
    }

    // The passwords did reach the registry, so the runs above had something to leak.
    const basic = (secret: string) => `Basic ${Buffer.from(`evt:${secret}`).toString('base64')}`
    expect(new Set(authorizations)).toEqual(new Set([basic(LITERAL), basic(FROM_ENV)]))
  })

  it('keeps credentials in a --registry URL or EVT_REGISTRY_URL out of every message', async () => {
    const cwd = project(`clusters:
  local: {embedded: .evt/evt.db}
  prod: {brokers: [${CLOSED}]}
default: local
`)
    const withCredentials = `http://evt:${encodeURIComponent(FROM_ENV)}@${CLOSED}`
    const results = await runAll(
      [
        {args: ['schema', 'list', '--registry', withCredentials]},
        {args: ['schema', 'list', '--cluster', 'prod', '--registry', withCredentials]},
        {args: ['schema', 'list', '--json'], env: {DEBUG: '*', EVT_CLUSTER: 'prod', EVT_REGISTRY_URL: withCredentials}},
        {args: ['schema', 'list'], env: {DEBUG: 'evt*', EVT_CLUSTER: 'prod', EVT_REGISTRY_URL: withCredentials.replace('http', 'ftp')}},
      ],
      cwd,
    )
    expect(results.map((r) => r.code).sort()).toEqual([2, 2, 3, 3])
    for (const result of results) expectNoSecret(result, FROM_ENV)
  })

  it('keeps passwords typed on the command line (--registry URL, --auth) out of the framework\'s DEBUG=* argv output', async () => {
    const cwd = project('')
    const inUrl = `http://evt:${encodeURIComponent(FROM_ENV)}@${CLOSED}`
    const results = await runAll(
      [
        {args: ['schema', 'list', '--registry', inUrl, '--brokers', CLOSED], env: {DEBUG: '*'}},
        {args: ['schema', 'list', `--registry=${inUrl.replace(encodeURIComponent(FROM_ENV), LITERAL)}`, '--brokers', CLOSED], env: {DEBUG: '*'}},
        // A Kafka cluster cannot be served: the run ends at once, after the argv was logged.
        {args: ['registry', 'serve', '--auth', `evt:${FROM_ENV}`, '--brokers', CLOSED], env: {DEBUG: '*'}},
        {args: ['registry', 'serve', `--auth=evt:${LITERAL}`, '--brokers', CLOSED], env: {DEBUG: '*'}},
        {args: ['registry', 'serve', '--brokers', CLOSED], env: {DEBUG: '*', EVT_REGISTRY_AUTH: `evt:${LITERAL}`}},
      ],
      cwd,
    )
    for (const result of results) {
      expect({code: result.code, what: result.what}).toEqual({code: result.what.includes('registry serve') ? 2 : 3, what: result.what})
      // The framework's debug output ran (with the argv it logs redacted), so a leak would show.
      expect(result.stderr).toMatch(/oclif:config runCommand/)
      if (/--registry|--auth/.test(result.what)) expect(result.stderr).toMatch(/runCommand .*\*\*\*/)
      expectNoSecret(result, LITERAL)
      expectNoSecret(result, FROM_ENV)
    }
  })

  it('names the file, path and problem of an invalid evt.yaml without quoting a password', async () => {
    const sasl = `sasl: {mechanism: plain, username: evt, password: ${LITERAL}}`
    const invalid: Record<string, [string, RegExp]> = {
      'a cluster without brokers': [`clusters:\n  prod:\n    broker: [${CLOSED}]\n    ${sasl}\ndefault: prod\n`, /clusters\.prod: expected either 'embedded: PATH' or 'brokers/],
      'clusters as a list': [`clusters:\n  - prod:\n      brokers: [${CLOSED}]\n      ${sasl}\n`, /clusters: expected a map of clusters, found \[\{"prod":\{.*"password":"\*\*\*"/],
      'a misspelt setting': [`cluster:\n  prod:\n    brokers: [${CLOSED}]\n    ${sasl}\n`, /cluster: expected no such setting/],
      'a password that is a list': [`clusters:\n  prod:\n    brokers: [${CLOSED}]\n    sasl: {mechanism: plain, username: evt, password: [${LITERAL}]}\n`, /clusters\.prod\.sasl\.password: expected a string, found a list/],
      'a bad mechanism': [`clusters:\n  prod:\n    brokers: [${CLOSED}]\n    sasl: {mechanism: md5, username: evt, password: ${LITERAL}}\n`, /clusters\.prod\.sasl\.mechanism: expected one of plain/],
      'a YAML syntax error next to the password': [`clusters:\n  prod:\n    brokers: [${CLOSED}]\n    sasl: {mechanism: plain, username: evt, password: ${LITERAL}\ndefault: prod\n`, /not valid YAML/],
      'a registry URL that is not http': [`clusters:\n  prod:\n    brokers: [${CLOSED}]\n    registry: {url: "htp://evt:${LITERAL}@${CLOSED}"}\n`, /clusters\.prod\.registry\.url: expected an http\(s\) URL, found "htp:\/\/127/],
    }
    const results = await runAll(
      Object.values(invalid).flatMap(([yaml], index) => {
        writeFileSync(path.join(tempDir(), `evt-${index}.yaml`), yaml)
        return [{args: ['topic', 'list', '--config', `evt-${index}.yaml`], env: {DEBUG: 'evt*'}}, {args: ['topic', 'list', '--json', '--config', `evt-${index}.yaml`]}]
      }),
      tempDir(),
    )
    for (const [index, [name, [, message]]] of Object.entries(invalid).entries()) {
      for (const result of results.filter((r) => r.what.endsWith(`evt-${index}.yaml`))) {
        // With --json the message is a field of the JSON error on stdout.
        const shown = result.stdout ? JSON.parse(result.stdout).error.message : result.stderr
        expect({code: result.code, message: shown, name}).toMatchObject({code: 2, message: expect.stringMatching(message), name})
        expectNoSecret(result, LITERAL)
      }
    }
  })
})
