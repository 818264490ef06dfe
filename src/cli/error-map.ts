import {EvtError, NotFoundError} from '../lib/errors.js'

export interface CliFailure {
  exit: number
  message: string
  suggestions: string[]
}

/** The one place where domain errors become a message, suggestions and an exit code (design §5). */
export function toCliFailure(error: unknown): CliFailure {
  if (error instanceof EvtError) {
    const suggestions: string[] = []
    if (error instanceof NotFoundError) {
      suggestions.push(error.available.length > 0 ? `available: ${error.available.join(', ')}` : 'there are none yet')
    }

    if (error.hint) suggestions.push(error.hint)
    return {exit: error.exitCode, message: error.message, suggestions}
  }

  const message = error instanceof Error ? error.message : String(error)
  return {exit: 1, message: `unexpected error: ${message}`, suggestions: ['run again with DEBUG=evt* to see where it happened']}
}
