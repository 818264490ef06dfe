// oclif's subpaths, never '@oclif/core' itself: its index loads all of oclif and semver at start-up.
import {Command} from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'
import type * as Interfaces from '@oclif/core/interfaces'

import {type Backend, openBackend} from '../lib/backend.js'
import {resolveConfig} from '../lib/config/resolve.js'
import type {EvtConfig} from '../lib/config/types.js'
import type {ErrorCode} from '../lib/errors.js'
import {EXIT_CODES, reportFailure, toCliFailure} from './error-map.js'
import {globalFlags} from './flags.js'
import {OutputWriter, watchStdoutClosed} from './output.js'
import {fromParseError} from './parse-errors.js'

export type EvtFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof EvtCommand)['baseFlags'] & T['flags']>
export type EvtArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const SIGNAL_EXIT: Record<string, number> = {SIGINT: 130, SIGTERM: 143}
/**
 * How long a command may take to stop after Ctrl-C, SIGTERM or a closed stdout. Read loops stop
 * within ~50 ms, registry requests and stdin are aborted, but a kafkajs request to a broker that
 * hangs cannot be: the process then ends after this grace, within the 1 s the contract promises.
 */
const INTERRUPT_GRACE_MS = 600

/**
 * Base of every evt command: global flags, configuration, the backend's lifetime, Ctrl-C as an
 * AbortSignal, and the one mapping from errors to messages and exit codes.
 */
export abstract class EvtCommand<T extends typeof Command> extends Command {
  static baseFlags = globalFlags
  protected args!: EvtArgs<T>
  protected flags!: EvtFlags<T>
  /** Every positional argument, for commands that take a list (strict = false). */
  protected positional: string[] = []
  private readonly abortController = new AbortController()
  private backend?: Backend
  private interruptedBy?: string
  /** stdout's reader went away (`| head -1`): stop reading and exit 0, quietly. */
  private outputClosed = false
  private stdoutWriter?: OutputWriter
  private unwatchStdout?: () => void

  /** Aborted on Ctrl-C (SIGINT), SIGTERM or a closed stdout; long commands stop at the next batch. */
  protected get signal(): AbortSignal {
    return this.abortController.signal
  }

  /** Whether stdout's reader went away: then nothing more is printed, not even a summary. */
  protected get stdoutClosed(): boolean {
    return this.outputClosed
  }

  /** The one writer of streamed records to stdout: back-pressure, and a closed pipe ends the command quietly. */
  protected get stdout(): OutputWriter {
    this.stdoutWriter ??= new OutputWriter(process.stdout)
    return this.stdoutWriter
  }

  async init(): Promise<void> {
    await super.init()
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof EvtCommand).baseFlags,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as EvtFlags<T>
    this.args = args as EvtArgs<T>
    this.positional = argv as string[]
    for (const name of Object.keys(SIGNAL_EXIT)) process.on(name, this.onSignal)
    this.unwatchStdout = watchStdoutClosed(this.onOutputClosed)
  }

  /** The configuration in force; `cluster` picks another named cluster (e.g. an import's target). */
  protected loadConfig(cluster?: string): EvtConfig {
    const overrides = cluster === undefined ? this.flags : {...this.flags, brokers: undefined, cluster, registry: undefined}
    return resolveConfig({cwd: process.cwd(), env: process.env, overrides})
  }

  /**
   * Opens the cluster's backend. Only commands that declare `static writesLog = true` create a
   * missing embedded log; the others fail with EMBEDDED_LOG_NOT_FOUND and leave the disk alone.
   */
  protected async openBackend(config: EvtConfig = this.loadConfig(), create = (this.ctor as {writesLog?: boolean}).writesLog === true): Promise<Backend> {
    this.backend = await openBackend(config.cluster, {create, signal: this.signal, warn: (message) => this.warn(message)})
    return this.backend
  }

  /**
   * Ends the command with the conventional exit code when it stopped because of a signal, or with
   * 0 (and nothing more printed) when it stopped because nobody reads its output any more. With
   * --json, `partial` (how much a stopped replay or import did) is still printed.
   */
  protected exitIfInterrupted(partial?: unknown): void {
    if (this.interruptedBy && partial !== undefined && this.jsonEnabled()) this.logJson(partial)
    if (this.interruptedBy) this.exit(SIGNAL_EXIT[this.interruptedBy])
    if (this.outputClosed) this.exit(0)
  }

  /** Progress, warnings and hints: stderr, so stdout stays data. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  /** A warning in evt's words, one line on stderr (oclif's own adds decoration and hides it with --json). */
  warn(input: Error | string): Error | string {
    this.note(`Warning: ${typeof input === 'string' ? input : input.message}`)
    return input
  }

  /**
   * --json (or --format json) on every command: oclif prints the value `run` returns, compactly (see logJson); streams
   * print JSON lines themselves. Before the flags are parsed (a parse error) argv decides.
   */
  public jsonEnabled(): boolean {
    if (this.flags) return this.flags.json === true || (this.flags as {format?: string}).format === 'json'
    const end = this.argv.indexOf('--')
    const options = this.argv.slice(0, end === -1 ? undefined : end)
    return options.includes('--json') || options.includes('--format=json') || options.join(' ').includes('--format json')
  }

  /** One compact JSON value per line, as every streaming command prints its records. */
  logJson(json: unknown): void {
    if (!this.outputClosed) process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  /**
   * A check found a problem (incompatible schema, divergent view, stalled flow): the result is
   * still printed (and returned for --json), the message goes to stderr, and the exit code is the
   * one the code maps to.
   */
  protected foundProblem(code: ErrorCode, message?: string): void {
    if (message && !this.jsonEnabled()) this.note(`Error: ${message}`)
    process.exitCode = EXIT_CODES[code]
  }

  /**
   * Prints the error as one line (plus a hint) on stderr, or with --json as one object on stdout:
   * {"error": {code, exit, message, hint, data}}; then exits with the code's exit code. oclif's own
   * printer wraps lines and adds decoration, so it is not used.
   */
  protected async catch(error: Error): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    this.exitIfInterrupted()
    if (/\bevt\b|\*/.test(process.env.DEBUG ?? '')) process.stderr.write(`${error.stack}\n`)
    // A command whose file cannot carry its name (`trace index`: trace/index.ts is `trace`) is known by its alias.
    const failure = toCliFailure(fromParseError(error, this.ctor.aliases[0] ?? this.id ?? ''))
    reportFailure(failure, this.jsonEnabled())
    return this.exit(failure.exit)
  }

  protected async finally(error: Error | undefined): Promise<unknown> {
    for (const name of Object.keys(SIGNAL_EXIT)) process.off(name, this.onSignal)
    this.unwatchStdout?.()
    await this.backend?.close().catch(() => {})
    return super.finally(error)
  }

  private readonly onSignal = (name: string): void => {
    // A second Ctrl-C means "now": skip the clean shutdown.
    if (this.interruptedBy) process.exit(SIGNAL_EXIT[name])
    this.interruptedBy = name
    this.abortController.abort()
    // unref: a command that stops in time exits as usual, with its cleanup done.
    setTimeout(() => process.exit(SIGNAL_EXIT[name]), INTERRUPT_GRACE_MS).unref()
  }

  private readonly onOutputClosed = (): void => {
    if (this.outputClosed || this.interruptedBy) return
    this.outputClosed = true
    this.abortController.abort()
    // As `grep | head` does: a reader that left is not an error. Exit 0 even if a request hangs.
    setTimeout(() => process.exit(0), INTERRUPT_GRACE_MS).unref()
  }
}
