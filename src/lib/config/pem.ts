/**
 * An ssl.ca / ssl.cert / ssl.key setting holds a file path or, typically through `${VAR}`, the PEM
 * text itself. Text that starts with `-----BEGIN` is PEM; anything else is a path.
 */
export function isPemText(value: string): boolean {
  return value.trimStart().startsWith('-----BEGIN')
}

/**
 * PEM text as a variable often carries it: on one line with literal `\n` escapes (CI secret
 * stores, `.env` files). Those become real line breaks; text with line breaks stays as it is.
 */
export function normalizePem(text: string): string {
  const trimmed = text.trim()
  return trimmed.includes('\n') ? `${trimmed}\n` : `${trimmed.replaceAll('\\n', '\n').trim()}\n`
}
