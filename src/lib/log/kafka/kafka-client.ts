import {readFileSync} from 'node:fs'
import {createSecureContext, type SecureContextOptions} from 'node:tls'
import type {Kafka, KafkaConfig, SASLOptions} from 'kafkajs'

import {isPemText} from '../../config/pem.js'
import type {KafkaCluster, SslConfig} from '../../config/types.js'
import {ConfigError, UnreachableError, UsageError} from '../../errors.js'
import {installExactHeaders} from './kafka-headers.js'
import {kafkaSocket} from './kafka-socket.js'
import {DEFAULT_TIMEOUT_MS, errorChain, isRetriable} from './retry.js'

type KafkaModule = typeof import('kafkajs')

/** kafkajs keeps its error classes on the default export (conventions: pitfalls). */
export async function loadKafkajs(): Promise<KafkaModule> {
  // Before kafkajs loads its Produce request: records are produced with their exact headers.
  await installExactHeaders()
  // Run from the bundle, this is dist/kafkajs.cjs (scripts/bundle.js).
  return ((await import('kafkajs')) as unknown as {default: KafkaModule}).default
}

/**
 * A kafkajs client for a configured cluster. Retries are few and short so an unreachable broker
 * is reported (exit 3) within a few seconds instead of kafkajs's default minute of retrying.
 */
export async function createKafkaClient(cluster: KafkaCluster): Promise<Kafka> {
  const {Kafka, logLevel} = await loadKafkajs()
  const debug = /\bevt:kafka\b|\*/.test(process.env.DEBUG ?? '')
  const config: KafkaConfig = {
    brokers: cluster.brokers,
    clientId: 'evt',
    connectionTimeout: 3000,
    logLevel: debug ? logLevel.DEBUG : logLevel.NOTHING,
    // kafkajs logs through console; evt's stdout is data only, so its log goes to stderr.
    logCreator: () => (entry) => {
      if (debug) process.stderr.write(`kafkajs ${entry.label} ${entry.log.message} ${redact(JSON.stringify(entry.log))}\n`)
    },
    requestTimeout: cluster.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: {initialRetryTime: 250, maxRetryTime: 1000, retries: 3},
    sasl: cluster.sasl ? ({mechanism: cluster.sasl.mechanism, password: cluster.sasl.password, username: cluster.sasl.username} as SASLOptions) : undefined,
    socketFactory: kafkaSocket,
    ssl: readSsl(cluster),
  }
  return new Kafka(config)
}

/** The clusters with TLS by bootstrap address, so that a TLS failure can name the cluster's settings. */
const tlsClusters = new Map<string, {clientCert: boolean; name: string}>()

const PEM_SETTINGS = {
  ca: {label: 'a CA certificate', marker: /-----BEGIN CERTIFICATE-----/},
  cert: {label: 'a certificate', marker: /-----BEGIN CERTIFICATE-----/},
  key: {label: 'a private key', marker: /-----BEGIN [A-Z ]*PRIVATE KEY-----/},
} as const

/**
 * kafkajs's `ssl` option from the cluster's: each of ca, cert and key is PEM text already or a
 * file to read now. A file that cannot be read, or does not hold what the setting needs, is a
 * configuration error (exit 2) naming the file and the cluster, not a failure to connect.
 */
function readSsl(cluster: KafkaCluster): KafkaConfig['ssl'] {
  if (cluster.ssl === undefined || cluster.ssl === false) return cluster.ssl
  const clientCert = typeof cluster.ssl === 'object' && cluster.ssl.cert !== undefined
  for (const broker of cluster.brokers) tlsClusters.set(broker, {clientCert, name: cluster.name})
  if (cluster.ssl === true) return true
  const ssl: SslConfig = cluster.ssl
  const pem = (setting: keyof typeof PEM_SETTINGS) => {
    const value = ssl[setting]
    if (value === undefined) return undefined
    const source = isPemText(value) ? `the PEM text in ssl.${setting}` : `ssl.${setting} file ${value}`
    let text = value
    if (!isPemText(value)) {
      try {
        text = readFileSync(value, 'utf8')
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message
        throw new ConfigError(`cannot read ${source} of cluster '${cluster.name}': ${why}`, {cause: error, file: value, hint: 'ssl.ca, ssl.cert and ssl.key are PEM file paths (relative to evt.yaml) or PEM text'})
      }
    }

    if (!PEM_SETTINGS[setting].marker.test(text)) {
      throw new ConfigError(`${source} of cluster '${cluster.name}' holds no PEM ${PEM_SETTINGS[setting].label.replace(/^an? /, '')}`, {file: isPemText(value) ? undefined : value, hint: `expected ${PEM_SETTINGS[setting].label} in PEM form (-----BEGIN ...-----)`})
    }

    return text
  }

  const options: SecureContextOptions & {rejectUnauthorized?: boolean} = {ca: pem('ca'), cert: pem('cert'), key: pem('key'), rejectUnauthorized: ssl.rejectUnauthorized}
  try {
    // Parsed here once so that a broken key, or a key that is not the certificate's, is reported as
    // the configuration error it is (kafkajs would only fail each connection with it).
    createSecureContext(options)
  } catch (error) {
    throw new ConfigError(`the ssl settings of cluster '${cluster.name}' are not usable: ${(error as Error).message.replace(/^error:[\dA-F]+:/, '')}`, {cause: error, hint: 'ssl.cert and ssl.key must be a certificate and its own private key, in PEM form'})
  }

  return options
}

function redact(text: string): string {
  return text.replaceAll(/"(password|sasl|ssl)":"[^"]*"/gi, '"$1":"***"')
}

const UNTRUSTED = new Set([
  'CERT_CHAIN_TOO_LONG',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'INVALID_CA',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
])
const OUT_OF_DATE = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED'])
/** TLS alerts a broker sends when it does not accept the client's certificate (or its absence). */
const CLIENT_CERT_REJECTED = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|ACCESS_DENIED)$/

type TlsExplanation = (clientCert: boolean) => {advice: string; problem: string}

/**
 * The TLS failure in a kafkajs error chain, if it is one. kafkajs keeps Node's TLS error code on its
 * KafkaJSConnectionError (`code`) and its text in the message ("Connection error: …").
 */
function tlsFailure(chain: Error[]): TlsExplanation | undefined {
  for (const error of chain) {
    const code = String((error as Error & {code?: unknown}).code ?? '')
    const reason = tlsReason(error.message)
    if (UNTRUSTED.has(code)) return () => ({advice: 'check ssl.ca', problem: `TLS certificate not trusted (${reason})`})
    if (OUT_OF_DATE.has(code)) return () => ({advice: "renew the broker's certificate or check ssl.ca", problem: `TLS certificate not valid now (${reason})`})
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return () => ({advice: 'connect with a host name the certificate lists, or check the brokers', problem: `TLS certificate does not match the broker's address (${reason})`})
    }

    if (CLIENT_CERT_REJECTED.test(code)) {
      return (clientCert) =>
        clientCert
          ? {advice: 'check ssl.cert and ssl.key', problem: `the broker rejected the TLS client certificate (${reason})`}
          : {advice: 'set ssl.cert and ssl.key', problem: `the broker requires a TLS client certificate (${reason})`}
    }

    if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || /before secure TLS connection was established/.test(reason)) {
      return () => ({advice: 'is it a TLS listener? check the ssl settings and the certificate', problem: `TLS handshake failed (${reason})`})
    }
  }

  return undefined
}

/**
 * Node's text of a TLS error without kafkajs's prefix; an OpenSSL error line
 * ("803C…:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:…") is cut to its reason.
 */
function tlsReason(message: string): string {
  const text = message.replace(/^(Connection error|Failed to connect): /, '')
  return /^[\dA-F]+:error:[\dA-F]+:[^:]*:[^:]*:([^:]+)/.exec(text)?.[1] ?? text
}

/** Turns kafkajs connection and authentication failures into exit-3 errors naming the brokers. */
export function mapKafkaError(error: unknown, brokers: string[]): unknown {
  const chain: Error[] = errorChain(error)

  const names = chain.map((e) => e.name)
  const address = brokers.join(',')
  const tls = tlsFailure(chain)
  if (tls) {
    const broker = chain.map((e) => (e as Error & {broker?: unknown}).broker).find((b): b is string => typeof b === 'string')
    const at = broker ?? address
    const cluster = tlsClusters.get(broker ?? '') ?? tlsClusters.get(brokers[0] ?? '') ?? (new Set([...tlsClusters.values()].map((c) => c.name)).size === 1 ? [...tlsClusters.values()][0] : undefined)
    const of = cluster ? ` of cluster '${cluster.name}'` : ' in evt.yaml'
    const {advice, problem} = tls(cluster?.clientCert ?? false)
    return new UnreachableError('BROKER_UNREACHABLE', `cannot reach Kafka at ${at}: ${problem}; ${advice}${of}`, {address: at, cause: error})
  }

  if (names.includes('KafkaJSSASLAuthenticationError') || chain.some((e) => /SASL|authentication/i.test(e.message))) {
    return new UnreachableError('AUTH_FAILED', `authentication failed at Kafka ${address}: ${chain.at(-1)?.message}`, {
      address,
      cause: error,
      hint: 'check the sasl username, password and mechanism of this cluster in evt.yaml',
    })
  }

  // A protocol error that outlived the retries: the cluster answers but cannot serve the request
  // (a retriable code, exit 3), or refuses it (exit 2, naming Kafka's error code).
  const refusal = chain.findLast((e) => typeof (e as {type?: unknown}).type === 'string') as (Error & {type: string}) | undefined
  if (refusal && refusal.type !== 'UNKNOWN') {
    if (isRetriable(refusal)) {
      return new UnreachableError('BROKER_ERROR', `Kafka at ${address} kept answering ${refusal.type} (${refusal.message})`, {
        address,
        cause: error,
        hint: 'evt retried with fresh metadata until --timeout; is every partition of the topic led by a running broker?',
      })
    }

    return new UsageError(`Kafka refused the request: ${refusal.type} (${refusal.message})`, {cause: error, code: 'BROKER_REFUSED', data: {kafkaError: refusal.type}})
  }

  // kafkajs throws a plain Error('Broker not connected') when it sends to a broker whose connection
  // handshake timed out (a hung broker): that too is an unreachable broker.
  const notConnected = chain.some((e) => e.message === 'Broker not connected')
  if (notConnected || names.some((name) => ['KafkaJSConnectionError', 'KafkaJSBrokerNotFound', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError'].includes(name))) {
    return new UnreachableError('BROKER_UNREACHABLE', `cannot reach Kafka at ${address}: ${chain.at(-1)?.message}`, {
      address,
      cause: error,
      hint: 'is the broker running and is the address right? (--brokers, EVT_BROKERS or evt.yaml)',
    })
  }

  return error
}
