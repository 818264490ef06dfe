/**
 * Errors the domain throws. Each carries the exit code of the CLI contract (design §5) and the
 * data a person needs to fix the problem; the CLI maps them to output once (src/cli/error-map.ts).
 */
export type ExitCode = 1 | 2 | 3 | 130

export class EvtError extends Error {
  readonly exitCode: ExitCode
  readonly hint?: string

  constructor(message: string, options: {cause?: unknown; exitCode?: ExitCode; hint?: string} = {}) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.exitCode = options.exitCode ?? 2
    this.hint = options.hint
  }
}

/** Bad input on the command line: exit 2. */
export class UsageError extends EvtError {
  constructor(message: string, options: {cause?: unknown; hint?: string} = {}) {
    super(message, {...options, exitCode: 2})
  }
}

/** An invalid evt.yaml, environment or unusable EVT_HOME: exit 2. */
export class ConfigError extends EvtError {
  readonly file?: string
  readonly path?: string

  constructor(message: string, options: {cause?: unknown; file?: string; hint?: string; path?: string} = {}) {
    super(message, {...options, exitCode: 2})
    this.file = options.file
    this.path = options.path
  }
}

/** A topic, subject, flow or view that does not exist: exit 2, naming what does. */
export class NotFoundError extends EvtError {
  readonly available: string[]

  constructor(message: string, options: {available?: string[]; hint?: string} = {}) {
    super(message, {...options, exitCode: 2})
    this.available = options.available ?? []
  }
}

/** The broker or registry cannot be reached: exit 3. */
export class UnreachableError extends EvtError {
  readonly address: string

  constructor(message: string, options: {address: string; cause?: unknown; hint?: string}) {
    super(message, {...options, exitCode: 3})
    this.address = options.address
  }
}

/** A check found a problem (incompatible schema, divergent view, stalled flow): exit 1. */
export class CheckFailedError extends EvtError {
  constructor(message: string, options: {hint?: string} = {}) {
    super(message, {...options, exitCode: 1})
  }
}
