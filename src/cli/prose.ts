/**
 * Help text written over several source lines: a single line break becomes a space, so oclif wraps
 * each paragraph to the terminal instead of keeping the source's ragged breaks; a blank line still
 * separates paragraphs.
 */
export function prose(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((joined, part, index) => joined + part + (index < values.length ? String(values[index]) : ''), '')
  return text.replaceAll(/([^\n])\n(?!\n)/g, '$1 ')
}
