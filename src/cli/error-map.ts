import {type ErrorCode, EvtError, NotFoundError} from '../lib/errors.js'

/**
 * The one place where error codes become exit codes (design §5): 1 a check found a problem,
 * 2 usage or configuration, 3 a broker or registry cannot be reached, 70 a bug, 130 interrupted.
 * A Record over every code, so a new code does not compile until it has an exit code here.
 */
export const EXIT_CODES: Record<ErrorCode, number> = {
  AUDIT_FAILED: 1,
  AUTH_FAILED: 3,
  BROKER_ERROR: 3,
  BROKER_REFUSED: 2,
  BROKER_UNREACHABLE: 3,
  CLUSTER_NOT_FOUND: 2,
  CONFIG_INVALID: 2,
  DATA_CORRUPT: 2,
  DATABASE_ERROR: 3,
  DATABASE_UNREACHABLE: 3,
  DEMO_RUNNING: 2,
  DISK_FULL: 2,
  EMBEDDED_LOG_NOT_FOUND: 2,
  FILE_NOT_FOUND: 2,
  FLOW_NOT_FOUND: 2,
  FLOW_STALLED: 1,
  INPUT_INVALID: 2,
  INSTALL_BROKEN: 2,
  // A bug (sysexits' EX_SOFTWARE): an invariant failed, or an error evt did not anticipate.
  INTERNAL: 70,
  INTERRUPTED: 130,
  NO_EVENTS: 1,
  NOT_EVT_FILE: 2,
  PARTITION_NOT_FOUND: 2,
  PORT_UNAVAILABLE: 2,
  RECORD_INVALID: 2,
  REGISTRY_ERROR: 3,
  REGISTRY_NOT_CONFIGURED: 2,
  REGISTRY_REFUSED: 2,
  REGISTRY_UNREACHABLE: 3,
  RESUME_IMPOSSIBLE: 2,
  SCHEMA_INCOMPATIBLE: 1,
  SCHEMA_INVALID: 2,
  SCHEMA_NOT_FOUND: 2,
  SUBJECT_NOT_FOUND: 2,
  TOPIC_DELETED: 2,
  TOPIC_EXISTS: 2,
  TOPIC_NOT_FOUND: 2,
  UNKNOWN_COMMAND: 2,
  UNSUPPORTED_COMPRESSION: 2,
  UNSUPPORTED_FORMAT: 2,
  UNTRUSTED_CONFIG: 2,
  USAGE: 2,
  VIEW_DATA_INVALID: 1,
  VIEW_DIVERGED: 1,
  VIEW_NOT_FOUND: 2,
  WHERE_BUDGET_EXCEEDED: 2,
}

export interface CliFailure {
  code: ErrorCode
  data: Record<string, unknown>
  exit: number
  hint?: string
  message: string
}

/** The one place where errors become a code, a message, a hint and an exit code. */
export function toCliFailure(error: unknown): CliFailure {
  if (error instanceof EvtError) {
    const hints: string[] = []
    if (error instanceof NotFoundError && error.available.length > 0) hints.push(`available: ${error.available.join(', ')}`)
    if (error.hint) hints.push(error.hint)
    const data = Object.fromEntries(Object.entries(error.data).filter(([, value]) => value !== undefined))
    return {code: error.code, data, exit: EXIT_CODES[error.code], hint: hints.join('; ') || undefined, message: error.message}
  }

  const message = error instanceof Error ? error.message : String(error)
  return {
    code: 'INTERNAL',
    data: {},
    exit: EXIT_CODES.INTERNAL,
    hint: 'this is a bug in evt: run again with DEBUG=evt to see where it happened, and report it',
    message: `unexpected error: ${message}`,
  }
}

/** Prints a failure: with --json one object on stdout, else "Error: …" and "Hint: …" lines on stderr. */
export function reportFailure(failure: CliFailure, json: boolean): void {
  const message = failure.message.replaceAll(/:?\s*\n\s*/g, ': ')
  if (json) {
    const {code, data, exit, hint} = failure
    process.stdout.write(`${JSON.stringify({error: {code, data, exit, hint, message}})}\n`)
  } else {
    process.stderr.write(`Error: ${message}\n${failure.hint ? `Hint: ${failure.hint}\n` : ''}`)
  }
}
