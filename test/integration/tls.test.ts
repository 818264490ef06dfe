import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createServer as createTlsServer} from 'node:tls'
import {afterAll, describe, expect, inject, it} from 'vitest'

import {type CliResult, runCli} from '../helpers/run-cli.js'

/*
 * evt's ssl settings against the test broker's TLS listeners (scripts/kafka/server.properties):
 * 9095 SSL without client certificates, 9096 SASL_SSL (user evt, PLAIN and SCRAM-SHA-256),
 * 9097 SSL that requires a client certificate. scripts/kafka/start.sh makes the certificates in
 * $EVT_INFRA_RUN/tls on every start: ca.pem signed the broker's certificate (IP:127.0.0.1,
 * DNS:localhost) and client.pem; other-ca.pem is an unrelated CA with its own other-client.pem.
 */
const TLS_DIR = path.join(process.env.EVT_INFRA_RUN ?? '/tmp/evt-kafka', 'tls')
const SSL = '127.0.0.1:9095'
const SASL_SSL = '127.0.0.1:9096'
const MTLS = '127.0.0.1:9097'
const tls = (file: string) => path.join(TLS_DIR, file)

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
})

/** A project dir with the TLS files copied next to evt.yaml (so relative paths are tested too) and the given cluster. */
function projectWith(cluster: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'evt-tls-'))
  dirs.push(dir)
  mkdirSync(path.join(dir, 'certs'))
  for (const file of ['ca.pem', 'client.pem', 'client-key.pem', 'other-ca.pem', 'other-client.pem', 'other-client-key.pem']) {
    writeFileSync(path.join(dir, 'certs', file), readFileSync(tls(file)))
  }

  writeFileSync(path.join(dir, 'evt.yaml'), `clusters:\n  secure:\n${cluster.replaceAll(/^/gm, '    ')}\ndefault: secure\n`)
  return dir
}

const uniqueTopic = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`

/** The error contract: the exit code, exactly one `Error:` line that matches, no stack trace. */
function expectFailure(result: CliResult, exit: number, message: RegExp): void {
  const context = `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`
  expect(result.code, context).toBe(exit)
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error: '))
  expect(errors, context).toHaveLength(1)
  expect(errors[0], context).toMatch(message)
  expect(result.stderr, context).not.toMatch(/^\s+at .+[(:]\d+|node:internal/m)
}

function expectOk(result: CliResult): void {
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0)
}

describe('TLS settings from evt.yaml reach the broker', () => {
  const {registry} = inject('kafka')

  it('ssl.ca (a path relative to evt.yaml): creates a topic, produces and reads it back over TLS', async () => {
    const cwd = projectWith(`brokers: [${SSL}]\nregistry: ${registry}\nssl: { ca: certs/ca.pem }`)
    const topic = uniqueTopic('tls')
    expectOk(await runCli(['topic', 'create', topic, '--partitions', '2'], {cwd}))
    const input = '{"key":"k1","value":{"n":1}}\n{"key":"k2","value":{"n":2}}\n'
    expectOk(await runCli(['topic', 'produce', topic], {cwd, input}))
    const tail = await runCli(['topic', 'tail', topic, '--from', 'beginning', '--limit', '2', '--json'], {cwd})
    expectOk(tail)
    const values = tail.stdout.trim().split('\n').map((line) => JSON.parse(line).value.n).sort()
    expect(values).toEqual([1, 2])
  })

  it.each([
    ['the PEM text', () => readFileSync(tls('ca.pem'), 'utf8')],
    ['the PEM text on one line with \\n escapes', () => readFileSync(tls('ca.pem'), 'utf8').replaceAll('\n', '\\n')],
    ['a path', () => tls('ca.pem')],
  ])('ssl.ca as "${VAR}" holding %s', async (_what, value) => {
    const cwd = projectWith(`brokers: [${SSL}]\nssl: { ca: "\${KAFKA_CA}" }`)
    expectOk(await runCli(['topic', 'create', uniqueTopic('tls-env')], {cwd, env: {KAFKA_CA: value()}}))
  })

  it.each([
    ['a CA that did not sign the broker certificate', 'ssl: { ca: certs/other-ca.pem }', 'secure'],
    ['the system CAs only (ssl: true)', 'ssl: true', 'secure'],
  ])('exits 3 naming the certificate problem with %s', async (_what, ssl) => {
    const cwd = projectWith(`brokers: [${SSL}]\n${ssl}`)
    const result = await runCli(['topic', 'create', uniqueTopic('tls-bad')], {cwd})
    expectFailure(result, 3, /^Error: cannot reach Kafka at 127\.0\.0\.1:9095: TLS certificate not trusted \(.+\); check ssl\.ca of cluster 'secure'$/)
  })

  it('exits 3 when the broker certificate does not name the address evt connects to', async () => {
    // A TLS server with a certificate from the trusted CA, but for another host name only.
    const dir = mkdtempSync(path.join(tmpdir(), 'evt-tls-wrong-host-'))
    dirs.push(dir)
    const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=wrong.example', '-keyout', 'key.pem', '-out', 'cert.csr')
    writeFileSync(path.join(dir, 'cert.ext'), 'subjectAltName=DNS:wrong.example\n')
    openssl('x509', '-req', '-in', 'cert.csr', '-CA', tls('ca.pem'), '-CAkey', tls('ca-key.pem'), '-set_serial', '7', '-days', '1', '-extfile', 'cert.ext', '-out', 'cert.pem')
    const server = createTlsServer({cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem'))}, (socket) => socket.destroy())
    server.on('tlsClientError', () => {})
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as AddressInfo
    try {
      const cwd = projectWith(`brokers: [127.0.0.1:${port}]\nssl: { ca: certs/ca.pem }`)
      const result = await runCli(['topic', 'list'], {cwd})
      expectFailure(result, 3, new RegExp(`^Error: cannot reach Kafka at 127\\.0\\.0\\.1:${port}: TLS certificate does not match the broker's address \\(.*127\\.0\\.0\\.1.*\\); .* of cluster 'secure'$`))
    } finally {
      server.close()
    }
  })

  it('exits 3 with a TLS message when a TLS client meets a plaintext listener', async () => {
    const cwd = projectWith(`brokers: [127.0.0.1:9092]\nssl: { ca: certs/ca.pem }`)
    const result = await runCli(['topic', 'create', uniqueTopic('tls-plain')], {cwd})
    expectFailure(result, 3, /^Error: cannot reach Kafka at 127\.0\.0\.1:9092: TLS handshake failed .*certificate.* of cluster 'secure'$/)
  })
})

describe('mTLS: the listener that requires a client certificate', () => {
  it('works with ssl.cert and ssl.key', async () => {
    const cwd = projectWith(`brokers: [${MTLS}]\nssl: { ca: certs/ca.pem, cert: certs/client.pem, key: certs/client-key.pem }`)
    expectOk(await runCli(['topic', 'create', uniqueTopic('mtls')], {cwd}))
  })

  it('exits 3 without a client certificate', async () => {
    const cwd = projectWith(`brokers: [${MTLS}]\nssl: { ca: certs/ca.pem }`)
    const result = await runCli(['topic', 'create', uniqueTopic('mtls-none')], {cwd})
    expectFailure(result, 3, /^Error: cannot reach Kafka at 127\.0\.0\.1:9097: the broker requires a TLS client certificate \(.+\); set ssl\.cert and ssl\.key of cluster 'secure'$/)
  })

  it('exits 3 with a client certificate from a CA the broker does not trust', async () => {
    const cwd = projectWith(`brokers: [${MTLS}]\nssl: { ca: certs/ca.pem, cert: certs/other-client.pem, key: certs/other-client-key.pem }`)
    const result = await runCli(['topic', 'create', uniqueTopic('mtls-other')], {cwd})
    expectFailure(result, 3, /^Error: cannot reach Kafka at 127\.0\.0\.1:9097: the broker rejected the TLS client certificate \(.+\); check ssl\.cert and ssl\.key of cluster 'secure'$/)
  })
})

describe('SASL_SSL', () => {
  it.each(['scram-sha-256', 'plain'])('logs in with %s over TLS', async (mechanism) => {
    const cwd = projectWith(`brokers: [${SASL_SSL}]\nssl: { ca: certs/ca.pem }\nsasl: { mechanism: ${mechanism}, username: evt, password: "\${KAFKA_PASSWORD}" }`)
    const result = await runCli(['topic', 'create', uniqueTopic('sasl-ssl')], {cwd, env: {KAFKA_PASSWORD: 'evt-test-secret'}})
    expect(result.stderr).toBe('')
    expectOk(result)
  })

  it('a wrong password is still an authentication failure (exit 3), not a TLS one', async () => {
    const cwd = projectWith(`brokers: [${SASL_SSL}]\nssl: { ca: certs/ca.pem }\nsasl: { mechanism: scram-sha-256, username: evt, password: wrong-secret-value }`)
    const result = await runCli(['topic', 'create', uniqueTopic('sasl-ssl-bad')], {cwd})
    expectFailure(result, 3, /^Error: authentication failed at Kafka /)
    expect(result.stdout + result.stderr).not.toContain('wrong-secret-value')
  })
})

describe('ssl settings that cannot work are configuration errors (exit 2)', () => {
  it('a missing ssl.ca file, naming the file and the cluster', async () => {
    const cwd = projectWith(`brokers: [${SSL}]\nssl: { ca: certs/missing-ca.pem }`)
    const result = await runCli(['topic', 'list'], {cwd})
    expectFailure(result, 2, new RegExp(`^Error: cannot read ssl\\.ca file ${path.join(cwd, 'certs/missing-ca.pem').replaceAll('.', '\\.')} of cluster 'secure': no such file$`))
  })

  it('a file that holds no certificate', async () => {
    const cwd = projectWith(`brokers: [${SSL}]\nssl: { ca: certs/client-key.pem }`)
    const result = await runCli(['topic', 'list'], {cwd})
    expectFailure(result, 2, /^Error: ssl\.ca file .*client-key\.pem of cluster 'secure' holds no PEM CA certificate$/)
  })

  it('a client certificate without its key', async () => {
    const cwd = projectWith(`brokers: [${MTLS}]\nssl: { ca: certs/ca.pem, cert: certs/client.pem }`)
    const result = await runCli(['topic', 'list'], {cwd})
    expectFailure(result, 2, /clusters\.secure\.ssl\.key: expected the private key of ssl\.cert/)
  })

  it('a key that is not the certificate’s', async () => {
    const cwd = projectWith(`brokers: [${MTLS}]\nssl: { ca: certs/ca.pem, cert: certs/client.pem, key: certs/other-client-key.pem }`)
    const result = await runCli(['topic', 'list'], {cwd})
    expectFailure(result, 2, /^Error: the ssl settings of cluster 'secure' are not usable: .*key values mismatch/)
  })

  it('an unknown ssl setting, without quoting its value (it may be a private key)', async () => {
    const key = readFileSync(tls('client-key.pem'), 'utf8').trim().replaceAll(/^/gm, '    ')
    const cwd = projectWith(`brokers: [${SSL}]\nssl:\n  ca: certs/ca.pem\n  private_key: |\n${key}`)
    const result = await runCli(['topic', 'list'], {cwd})
    expectFailure(result, 2, /clusters\.secure\.ssl\.private_key: no such setting \(known: ca, cert, key, rejectUnauthorized\)$/)
    expect(result.stderr).not.toContain('PRIVATE KEY')
  })
})

describe('a schema registry behind https', () => {
  it('works when Node trusts its CA (NODE_EXTRA_CA_CERTS), exit 3 when it does not', async () => {
    const {brokers, registry} = inject('kafka')
    const upstream = new URL(registry)
    // An https front for the test registry, with the broker's certificate (IP:127.0.0.1).
    const server = createHttpsServer({cert: readFileSync(tls('server.pem')), key: readFileSync(tls('server-key.pem'))}, (req, res) => {
      const forward = httpRequest({headers: req.headers, host: upstream.hostname, method: req.method, path: req.url, port: upstream.port}, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      forward.on('error', () => res.destroy())
      req.pipe(forward)
    })
    server.on('tlsClientError', () => {})
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname}`
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-tls-registry-'))
    dirs.push(cwd)
    try {
      const args = ['schema', 'list', '--brokers', brokers, '--registry', url]
      expectOk(await runCli(args, {cwd, env: {NODE_EXTRA_CA_CERTS: tls('ca.pem')}}))
      const untrusted = await runCli(args, {cwd})
      expectFailure(untrusted, 3, new RegExp(`^Error: cannot reach the schema registry at ${url.replaceAll('.', '\\.')}: `))
    } finally {
      server.close()
    }
  })
})
