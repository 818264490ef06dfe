/**
 * Text in code-unit order, the order Kafka's tools and SQLite list names in. Not localeCompare:
 * its order depends on the locale (case, punctuation), and its first call in a process loads ICU's
 * collation data, 11–15 ms of a short command (scripts/bundle.js keeps oclif from calling it too).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
