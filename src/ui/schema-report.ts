import type {CheckOutcome, RegisterOutcome} from '../lib/schema/schema-workflow.js'

/** `evt schema check` as text: one line per subject, then each reason indented. */
export function formatCheckText(outcomes: CheckOutcome[]): string {
  return outcomes
    .flatMap((o) => [
      o.compatible
        ? `ok    ${o.subject} (${o.file}): compatible under ${o.level}${o.note ? ` — ${o.note}` : ''}`
        : `FAIL  ${o.subject} (${o.file}): incompatible under ${o.level}`,
      ...o.messages.map((message) => `      ${message}`),
    ])
    .join('\n')
}

/** GitHub Actions workflow commands: one error annotation per reason, on the schema file. */
export function formatCheckGithub(outcomes: CheckOutcome[]): string {
  const escape = (text: string) => text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
  return outcomes
    .flatMap((o) => o.messages.map((message) => `::error file=${o.file},title=Incompatible schema ${o.subject}::${escape(message)}`))
    .join('\n')
}

export function formatRegisterText(outcomes: RegisterOutcome[], dryRun: boolean): string {
  return outcomes
    .flatMap((o) => {
      if (!o.check.compatible) return [`rejected  ${o.subject}: incompatible under ${o.check.level}`, ...o.check.messages.map((m) => `          ${m}`)]
      if (o.id === undefined) return [`would register  ${o.subject} (${dryRun ? 'dry run' : 'not registered'})${o.check.note ? ` — ${o.check.note}` : ''}`]
      return [`${o.registered ? 'registered' : 'unchanged '}  ${o.subject}  version ${o.version}  id ${o.id}`]
    })
    .join('\n')
}
