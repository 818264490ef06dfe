const MAX_SHOWN = 40

/** A value in an error message, cut short, with its JSON kind: `"lots" (a string)`, `[1,2] (an array)`. */
export function shownValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`
  return `${text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text} (${kind})`
}

/** The first of several problems, and how many more there are. */
export function firstProblem(problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined
  return problems.length === 1 ? problems[0] : `${problems[0]} (and ${problems.length - 1} more)`
}
