import type {Hook} from '@oclif/core'

import {closest} from '../cli/did-you-mean.js'
import {EXIT_CODES, reportFailure} from '../cli/error-map.js'

/**
 * `evt tail orders`: one line naming the unknown command and the nearest real one, instead of
 * oclif's "command tail:orders not found". Matches on the whole id or on its last word, so that a
 * subcommand typed without its topic ("tail", "diff") finds it.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const words = options.id.split(':')
  const ids = options.config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const typed = words.filter((word) => !word.startsWith('-'))
  const json = (options.argv ?? []).includes('--json')
  if (typed.length === 0) {
    // `evt -v`: flags and no command.
    const flags = words.join(' ')
    reportFailure({code: 'USAGE', data: {flags}, exit: EXIT_CODES.USAGE, hint: 'evt --help lists the commands and the global flags', message: `unknown flag ${flags} without a command`}, json)
    this.exit(EXIT_CODES.USAGE)
  }

  const suggestion =
    closest(typed.slice(0, 2).join(':'), ids) ??
    closest(typed[0], ids) ??
    ids.find((id) => id.split(':').at(-1) === typed[0]) ??
    closest(typed[0], ids.map((id) => id.split(':').at(-1)!)) // "tial" → "tail" → "topic tail"
  const command = suggestion && (ids.includes(suggestion) ? suggestion : ids.find((id) => id.endsWith(`:${suggestion}`)))
  const shown = command?.replaceAll(':', ' ')
  reportFailure(
    {
      code: 'UNKNOWN_COMMAND',
      data: {command: typed.join(' '), ...(shown ? {suggestion: shown} : {})},
      exit: EXIT_CODES.UNKNOWN_COMMAND,
      hint: shown ? `did you mean evt ${shown}?` : 'evt --help lists the commands',
      message: `unknown command '${typed.join(' ')}'`,
    },
    json,
  )
  this.exit(EXIT_CODES.UNKNOWN_COMMAND)
}

export default hook
