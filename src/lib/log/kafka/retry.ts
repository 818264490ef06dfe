import {EvtError} from '../../errors.js'

/*
 * The one retry policy of evt's Kafka client. A broker that closes, refuses or times out, and a
 * partition whose leader moved, are normal events in a cluster (a rolling restart, a leader
 * election): evt refreshes its metadata, finds the current leader and goes on. Only a partition
 * that has had no reachable leader for the whole timeout ends a command (exit 3).
 */

/** Kafka's default request timeout; `--timeout` or a cluster's `timeout:` changes it. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** Protocol errors after which the same request succeeds once metadata is fresh (Kafka's retriable codes). */
const RETRIABLE_TYPES = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'KAFKA_STORAGE_ERROR',
  'LEADER_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'NOT_CONTROLLER',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'OFFSET_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_OR_PARTITION',
])

/**
 * kafkajs answered from metadata that changed under it (a topic created or deleted by another
 * client, or concurrent look-ups that replaced each other's metadata): asking again is right.
 */
export class MetadataChangedError extends Error {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'MetadataChangedError'
  }
}

/** A Kafka protocol condition evt detects itself (e.g. no leader in the metadata): retried as Kafka's own answer would be. */
export class KafkaConditionError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message)
    this.name = 'KafkaConditionError'
  }
}

/** Socket-level failures of a broker connection (kafkajs's error names), as opposed to protocol answers. */
const CONNECTION_ERRORS = new Set(['KafkaJSBrokerNotFound', 'KafkaJSConnectionClosedError', 'KafkaJSConnectionError', 'KafkaJSMetadataNotLoaded', 'KafkaJSRequestTimeoutError'])

/** Certificate and handshake failures: retrying cannot fix a wrong CA or key. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO/

interface KafkaError extends Error {
  broker?: string
  code?: string
  originalError?: KafkaError
  retriable?: boolean
  type?: string
}

/** The error and the errors it wraps (kafkajs nests them as originalError, Node as cause). */
export function errorChain(error: unknown): KafkaError[] {
  const chain: KafkaError[] = []
  let current = error as KafkaError | undefined
  while (current && typeof current === 'object' && chain.length < 8) {
    chain.push(current)
    current = (current.originalError ?? current.cause) as KafkaError | undefined
  }

  return chain
}

/** Whether the same request may succeed after a metadata refresh and a pause. */
export function isRetriable(error: unknown): boolean {
  // evt's own errors are verdicts already (an unreachable cluster at connect, a deleted topic).
  if (error instanceof EvtError) return false
  const chain = errorChain(error)
  if (chain.some((e) => TLS_CODE.test(e.code ?? '') || /SASL|authentication/i.test(e.message ?? '') || e.name === 'KafkaJSSASLAuthenticationError')) return false
  return chain.some(
    (e) =>
      RETRIABLE_TYPES.has(e.type ?? '') ||
      CONNECTION_ERRORS.has(e.name) ||
      e.name === 'MetadataChangedError' ||
      e.message === 'Broker not connected' ||
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(e.code ?? ''),
  )
}

/** The broker (HOST:PORT) a connection-level error came from, if it says. */
export function failedBroker(error: unknown): string | undefined {
  for (const e of errorChain(error)) {
    if (CONNECTION_ERRORS.has(e.name) && typeof e.broker === 'string') return e.broker
  }

  return undefined
}

/** Exponential backoff with jitter: 100 ms, 200 ms, … up to 2 s, like Kafka's reconnect.backoff. */
export function backoffMs(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** Math.min(attempt, 5))
  return base / 2 + Math.random() * (base / 2)
}

/** Waits `ms`, or less if the signal aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }

    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}

/**
 * Runs `operation` until it succeeds, retrying retriable failures with backoff (calling
 * `recover` first, e.g. to refresh metadata) until `timeoutMs` has passed since the first failure,
 * or since `startedAt` for an operation that retries inside as well (its first failure may come
 * only once its own retries have used the timeout). The last error is thrown then, and at once
 * for an error that is not retriable.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  options: {onRetry?: (error: unknown) => void; recover?: () => Promise<unknown>; signal?: AbortSignal; startedAt?: number; timeoutMs: number},
): Promise<T> {
  let failingSince = options.startedAt
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      failingSince ??= Date.now()
      if (!isRetriable(error) || options.signal?.aborted || Date.now() - failingSince >= options.timeoutMs) throw error
      options.onRetry?.(error)
      await pause(backoffMs(attempt), options.signal)
      await options.recover?.().catch(() => {})
    }
  }
}
