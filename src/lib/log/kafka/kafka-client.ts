import {readFileSync} from 'node:fs'
import type {Kafka, KafkaConfig, SASLOptions} from 'kafkajs'

import type {KafkaCluster} from '../../config/types.js'
import {ConfigError, UnreachableError} from '../../errors.js'

type KafkaModule = typeof import('kafkajs')

/** kafkajs keeps its error classes on the default export (conventions: pitfalls). */
export async function loadKafkajs(): Promise<KafkaModule> {
  const module = await import('kafkajs')
  return (module as unknown as {default?: KafkaModule}).default ?? module
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
    requestTimeout: 15_000,
    retry: {initialRetryTime: 250, maxRetryTime: 1000, retries: 3},
    sasl: cluster.sasl ? ({mechanism: cluster.sasl.mechanism, password: cluster.sasl.password, username: cluster.sasl.username} as SASLOptions) : undefined,
    ssl: readSsl(cluster),
  }
  return new Kafka(config)
}

function readSsl(cluster: KafkaCluster): KafkaConfig['ssl'] {
  if (cluster.ssl === undefined || typeof cluster.ssl === 'boolean') return cluster.ssl
  const pem = (file?: string) => {
    if (!file) return undefined
    try {
      return readFileSync(file, 'utf8')
    } catch (error) {
      throw new ConfigError(`cannot read ${file} for cluster '${cluster.name}': ${(error as NodeJS.ErrnoException).code}`, {cause: error})
    }
  }

  return {ca: pem(cluster.ssl.ca), cert: pem(cluster.ssl.cert), key: pem(cluster.ssl.key), rejectUnauthorized: cluster.ssl.rejectUnauthorized}
}

function redact(text: string): string {
  return text.replaceAll(/"(password|sasl|ssl)":"[^"]*"/gi, '"$1":"***"')
}

/** Turns kafkajs connection and authentication failures into exit-3 errors naming the brokers. */
export function mapKafkaError(error: unknown, brokers: string[]): unknown {
  const chain: Error[] = []
  let current = error as (Error & {originalError?: Error}) | undefined
  while (current && chain.length < 8) {
    chain.push(current)
    current = (current.originalError ?? current.cause) as (Error & {originalError?: Error}) | undefined
  }

  const names = chain.map((e) => e.name)
  const address = brokers.join(',')
  if (names.includes('KafkaJSSASLAuthenticationError') || chain.some((e) => /SASL|authentication/i.test(e.message))) {
    return new UnreachableError(`authentication failed at Kafka ${address}: ${chain.at(-1)?.message}`, {
      address,
      cause: error,
      hint: 'check the sasl username, password and mechanism of this cluster in evt.yaml',
    })
  }

  // kafkajs throws a plain Error('Broker not connected') when it sends to a broker whose connection
  // handshake timed out (a hung broker): that too is an unreachable broker.
  const notConnected = chain.some((e) => e.message === 'Broker not connected')
  if (notConnected || names.some((name) => ['KafkaJSConnectionError', 'KafkaJSBrokerNotFound', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError'].includes(name))) {
    return new UnreachableError(`cannot reach Kafka at ${address}: ${chain.at(-1)?.message}`, {
      address,
      cause: error,
      hint: 'is the broker running and is the address right? (--brokers, EVT_BROKERS or evt.yaml)',
    })
  }

  return error
}
