import * as Errors from '@oclif/core/errors'

import {EvtError, UsageError} from '../lib/errors.js'
import {closest} from './did-you-mean.js'

interface OclifParseError extends Errors.CLIError {
  args?: {name: string}[] | string[]
  flags?: string[]
  parse?: {input?: {flags?: Record<string, unknown>}}
}

/**
 * oclif's parse errors in evt's words: one line naming the problem, a hint naming the fix, code
 * USAGE (exit 2). oclif appends "See more help with --help" and wraps lists over lines; neither
 * reaches the user. Anything else passes through unchanged.
 */
export function fromParseError(error: unknown, commandId: string): unknown {
  const exit = (error as OclifParseError | undefined)?.oclif?.exit
  if (!(error instanceof Error) || exit === undefined) return error
  // A flag's own parse function failed: oclif wrapped our message in its decoration.
  const flagFailure = /^Parsing --\S+ \n\t([\s\S]*?)\n?See more help with --help$/.exec(error.message)
  if (error instanceof EvtError) {
    if (flagFailure) error.message = flagFailure[1]
    return error
  }

  const parseError = error as OclifParseError
  const help = `see evt ${commandId.replaceAll(':', ' ')} --help`
  const usage = (message: string, hint = help) => new UsageError(message, {cause: error, hint})
  if (flagFailure) return usage(flagFailure[1].trim())
  const text = error.message.replace(/\n?See more help with --help\s*$/, '')

  switch (error.constructor.name) {
    case 'NonExistentFlagsError': {
      const known = Object.keys(parseError.parse?.input?.flags ?? {})
      // Names only: a value given with = may be a secret (--auth=user:password on the wrong command).
      const flags = (parseError.flags ?? []).map((flag) => flag.replace(/=.*/s, ''))
      const suggestion = flags.length === 1 ? closest(flags[0].replace(/^-+/, ''), known) : undefined
      return usage(`unknown flag${flags.length === 1 ? '' : 's'} ${flags.join(', ')}`, suggestion ? `did you mean --${suggestion}?` : help)
    }

    case 'RequiredArgsError': {
      const names = (parseError.args ?? []).map((arg) => (typeof arg === 'string' ? arg : arg.name).toUpperCase())
      return usage(`missing argument${names.length === 1 ? '' : 's'} ${names.join(' ')}`)
    }

    case 'UnexpectedArgsError': {
      const args = (parseError.args ?? []).map(String)
      return usage(`unexpected argument${args.length === 1 ? '' : 's'} ${args.map((arg) => `'${arg}'`).join(' ')}`)
    }

    default: {
      // "The following error occurred:\n  Missing required flag db" → "missing required flag --db"
      const lines = text
        .replace(/^The following errors? occurred:\s*/, '')
        .split('\n')
        .map((line) => stripAnsi(line).trim())
        .filter(Boolean)
        .map((line) =>
          line
            .replace(/^Missing required flag (\S+)/, 'missing required flag --$1')
            .replace(/^Expected --([^=\s]+)=(.*) to be one of: (.*)$/, "--$1 must be one of $3, not '$2'"),
        )
      return usage(lines.join('; '))
    }
  }
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replaceAll(/\u001B\[[0-9;]*m/g, '')
}
