import type {AuditResult} from '../lib/audit/run-audit.js'

const EVIDENCE_SHOWN = 3

/**
 * One line per violation (`FAIL rule topic: message (first at …)`), then the verdict line. On a
 * terminal a table of every rule comes first, so the rules that hold are seen too.
 */
export function formatAudit(result: AuditResult, options: {table?: boolean} = {}): string {
  const lines: string[] = []
  if (options.table) {
    const width = Math.max(...result.rules.map(({rule}) => rule.length), 'rule'.length)
    lines.push(`${'rule'.padEnd(width)}  result  violations`)
    for (const {ok, rule, violations} of result.rules) lines.push(`${rule.padEnd(width)}  ${ok ? 'ok    ' : 'FAIL  '}  ${ok ? '' : violations.reduce((sum, v) => sum + v.count, 0).toLocaleString('en-US')}`.trimEnd())
    if (result.rules.some(({ok}) => !ok)) lines.push('')
  }

  for (const {violations} of result.rules) {
    for (const violation of violations) lines.push(`FAIL ${violation.rule} ${violation.topic}: ${violation.message} (first at ${evidence(violation.evidence)})`)
  }

  lines.push(verdict(result))
  return lines.join('\n')
}

/** GitHub Actions annotations: one error per violation. */
export function formatAuditGithub(result: AuditResult): string {
  const escape = (text: string) => text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
  const lines = result.rules.flatMap(({violations}) =>
    violations.map((v) => `::error title=evt audit ${v.rule} (${escape(v.topic)})::${escape(`${v.topic}: ${v.message}; first at ${evidence(v.evidence)}`)}`),
  )
  return [...lines, verdict(result)].join('\n')
}

function verdict(result: AuditResult): string {
  const failed = result.rules.filter(({ok}) => !ok).map(({rule}) => rule)
  const scope = `${result.records.toLocaleString('en-US')} records of ${result.topics.length} topic${result.topics.length === 1 ? '' : 's'}`
  if (result.rules.length === 1) return `audit: rule ${result.rules[0].rule} ${failed.length === 0 ? 'holds' : 'is broken'} over ${scope}`
  if (failed.length === 0) return `audit: all ${result.rules.length} rules hold over ${scope}`
  return `audit: ${failed.length} of ${result.rules.length} rules broken over ${scope}: ${failed.join(', ')}`
}

function evidence(positions: string[]): string {
  return positions.slice(0, EVIDENCE_SHOWN).join(', ') + (positions.length > EVIDENCE_SHOWN ? ', …' : '')
}
