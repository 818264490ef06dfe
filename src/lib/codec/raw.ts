import {isUtf8} from 'node:buffer'

/** How bytes that carry no schema are shown: JSON if they parse, else UTF-8 text, else base64. Never dropped. */
export type RawEncoding = 'base64' | 'json' | 'utf8'

// Control characters other than tab, CR and LF mark binary data that merely happens to be valid UTF-8.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

export function decodeRaw(bytes: Buffer): {encoding: RawEncoding; value: unknown} {
  const plain = plainText(bytes)
  if (plain !== undefined) return {encoding: 'utf8', value: plain}
  const text = decodeText(bytes)
  if (text === undefined) return {encoding: 'base64', value: bytes.toString('base64')}
  const first = text.trimStart()[0]
  if (first === '{' || first === '[') {
    try {
      const value = JSON.parse(text)
      if (!nestsTooDeep(value, bytes.length)) return {encoding: 'json', value}
    } catch {
      // Not JSON after all: shown as text.
    }
  }

  return {encoding: 'utf8', value: text}
}

/**
 * Short printable ASCII that cannot be JSON (ids: most record keys) is its own text, without the
 * UTF-8, control-character and JSON checks of decodeRaw; anything else gives undefined.
 */
export function plainText(bytes: Buffer | null): string | undefined {
  if (bytes === null || bytes.length === 0 || bytes.length > 64) return undefined
  const first = bytes[0]
  if (first === 0x7b || first === 0x5b || first === 0x20) return undefined // {, [ or a space: maybe JSON
  for (let i = 0; i < bytes.length; i++) if (bytes[i] < 0x20 || bytes[i] > 0x7e) return undefined
  return bytes.toString('latin1')
}

/** Printers (JSON.stringify first) run out of stack a few thousand levels down: deeper values are not shown as structure. */
export const MAX_NESTING = 1000

/**
 * Whether a decoded value nests arrays and objects more than MAX_NESTING deep. Each level takes
 * at least a byte of the encoding it came from (`size`), so only large values are walked.
 */
export function nestsTooDeep(value: unknown, size: number): boolean {
  if (size <= MAX_NESTING) return false
  const pending: [unknown, number][] = [[value, 1]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next
    if (node === null || typeof node !== 'object') continue
    if (depth > MAX_NESTING) return true
    for (const child of Object.values(node)) pending.push([child, depth + 1])
  }

  return false
}

/** The bytes as text when they are valid UTF-8 without control characters, else undefined. */
export function decodeText(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined
  const text = bytes.toString('utf8')
  return CONTROL.test(text) ? undefined : text
}
