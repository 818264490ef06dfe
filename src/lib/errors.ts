/**
 * Errors the domain throws. Each carries a stable code (scripts match on it, never on the message),
 * the data a person or a script needs to fix the problem, and a hint. Exit codes are the CLI's
 * business: src/cli/error-map.ts maps every code to one.
 */
export const ERROR_CODES = [
  // Usage and configuration (the person can fix the command line or evt.yaml).
  'USAGE',
  'UNKNOWN_COMMAND',
  'CONFIG_INVALID',
  'FILE_NOT_FOUND',
  'INPUT_INVALID',
  'SCHEMA_INVALID',
  'RECORD_INVALID',
  'UNSUPPORTED_COMPRESSION',
  'DISK_FULL',
  'UNSUPPORTED_FORMAT',
  'DATA_CORRUPT',
  'PARTITION_NOT_FOUND',
  'RESUME_IMPOSSIBLE',
  'PORT_UNAVAILABLE',
  'NOT_EVT_FILE',
  'DEMO_RUNNING',
  'UNTRUSTED_CONFIG',
  'WHERE_BUDGET_EXCEEDED',
  'INSTALL_BROKEN',
  // Things that do not exist (the data names what does).
  'EMBEDDED_LOG_NOT_FOUND',
  'CLUSTER_NOT_FOUND',
  'TOPIC_NOT_FOUND',
  'TOPIC_DELETED',
  'TOPIC_EXISTS',
  'SUBJECT_NOT_FOUND',
  'SCHEMA_NOT_FOUND',
  'FLOW_NOT_FOUND',
  'VIEW_NOT_FOUND',
  'REGISTRY_NOT_CONFIGURED',
  // Brokers and registries that cannot be reached or refuse.
  'BROKER_UNREACHABLE',
  'BROKER_ERROR',
  'AUTH_FAILED',
  'REGISTRY_UNREACHABLE',
  'REGISTRY_ERROR',
  'BROKER_REFUSED',
  'REGISTRY_REFUSED',
  // The database a view is built in.
  'DATABASE_UNREACHABLE',
  'DATABASE_ERROR',
  // A check that found a problem.
  'SCHEMA_INCOMPATIBLE',
  'VIEW_DIVERGED',
  'FLOW_STALLED',
  'VIEW_DATA_INVALID',
  'NO_EVENTS',
  'AUDIT_FAILED',
  // The command stopped because it was asked to.
  'INTERRUPTED',
  // An invariant of evt or of a library it relies on does not hold: a bug.
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface EvtErrorOptions {
  cause?: unknown
  /** Facts a script can act on (the topics that exist, the address tried, the file and line). */
  data?: Record<string, unknown>
  hint?: string
}

export class EvtError extends Error {
  readonly code: ErrorCode
  readonly data: Record<string, unknown>
  readonly hint?: string

  constructor(code: ErrorCode, message: string, options: EvtErrorOptions = {}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.data = options.data ?? {}
    this.hint = options.hint
  }
}

/** Bad input on the command line. */
export class UsageError extends EvtError {
  constructor(message: string, options: EvtErrorOptions & {code?: ErrorCode} = {}) {
    super(options.code ?? 'USAGE', message, options)
  }
}

/** An invalid evt.yaml, environment or unusable EVT_HOME. */
export class ConfigError extends EvtError {
  readonly file?: string
  readonly path?: string

  constructor(message: string, options: EvtErrorOptions & {code?: ErrorCode; file?: string; path?: string} = {}) {
    super(options.code ?? 'CONFIG_INVALID', message, {...options, data: {...options.data, file: options.file, path: options.path}})
    this.file = options.file
    this.path = options.path
  }
}

/** A topic, subject, flow or view that does not exist, naming those that do. */
export class NotFoundError extends EvtError {
  readonly available: string[]

  constructor(code: ErrorCode, message: string, options: EvtErrorOptions & {available?: string[]} = {}) {
    super(code, message, {...options, data: {...options.data, ...(options.available ? {available: options.available} : {})}})
    this.available = options.available ?? []
  }
}

/** The broker or registry cannot be reached (or refuses us). */
export class UnreachableError extends EvtError {
  readonly address: string

  constructor(code: ErrorCode, message: string, options: EvtErrorOptions & {address: string}) {
    super(code, message, {...options, data: {...options.data, address: options.address}})
    this.address = options.address
  }
}

/** A check found a problem (incompatible schema, divergent view, stalled flow). */
export class CheckFailedError extends EvtError {}

/** The command was stopped (Ctrl-C, SIGTERM, a closed stdout) before it finished. */
export class InterruptedError extends EvtError {
  constructor(message: string, options: EvtErrorOptions = {}) {
    super('INTERRUPTED', message, options)
  }
}
