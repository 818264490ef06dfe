import {Command, Errors, type Interfaces} from '@oclif/core'

import {type Backend, openBackend} from '../lib/backend.js'
import {resolveConfig} from '../lib/config/resolve.js'
import type {EvtConfig} from '../lib/config/types.js'
import {EvtError} from '../lib/errors.js'
import {toCliFailure} from './error-map.js'
import {globalFlags} from './flags.js'
import {OutputWriter, watchStdoutClosed} from './output.js'

export type EvtFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof EvtCommand)['baseFlags'] & T['flags']>
export type EvtArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const SIGNAL_EXIT: Record<string, number> = {SIGINT: 130, SIGTERM: 143}
/**
 * How long a command may take to stop after Ctrl-C or SIGTERM. Commands stop at their next batch,
 * but a request to a broker or registry that hangs cannot be aborted (kafkajs, the registry's fetch
 * timeout) and would otherwise hold the interrupt for its whole timeout.
 */
const INTERRUPT_GRACE_MS = 2000

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
      enableJsonFlag: this.ctor.enableJsonFlag,
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

  protected async openBackend(config: EvtConfig = this.loadConfig()): Promise<Backend> {
    this.backend = await openBackend(config.cluster)
    return this.backend
  }

  /**
   * Ends the command with the conventional exit code when it stopped because of a signal, or with
   * 0 (and nothing more printed) when it stopped because nobody reads its output any more.
   */
  protected exitIfInterrupted(): void {
    if (this.interruptedBy) this.exit(SIGNAL_EXIT[this.interruptedBy])
    if (this.outputClosed) this.exit(0)
  }

  /** Progress, warnings and hints: stderr, so stdout stays data. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  /**
   * Prints the error as one line (plus hints) on stderr, or as JSON on stdout with --json, and
   * exits with the contract's code. oclif's own printer wraps lines and adds decoration, so it is
   * not used; its parse errors keep their exit code (2 via package.json).
   */
  protected async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    this.exitIfInterrupted()
    if (/\bevt\b|\*/.test(process.env.DEBUG ?? '')) process.stderr.write(`${error.stack}\n`)

    const oclifExit = error instanceof EvtError ? undefined : (error as Errors.CLIError).oclif?.exit
    const failure = oclifExit === undefined ? toCliFailure(error) : {exit: oclifExit, message: error.message, suggestions: []}
    const message = failure.message.replaceAll(/:?\s*\n\s*/g, ': ')
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({error: {exit: failure.exit, message, suggestions: failure.suggestions}})}\n`)
    } else {
      process.stderr.write([`Error: ${message}`, ...failure.suggestions.map((hint) => `Hint: ${hint}`)].join('\n') + '\n')
    }

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
