import {isUtf8} from 'node:buffer'

/** How bytes that carry no schema are shown: JSON if they parse, else UTF-8 text, else base64. Never dropped. */
export type RawEncoding = 'base64' | 'json' | 'utf8'

// Control characters other than tab, CR and LF mark binary data that merely happens to be valid UTF-8.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

export function decodeRaw(bytes: Buffer): {encoding: RawEncoding; value: unknown} {
  const text = decodeText(bytes)
  if (text === undefined) return {encoding: 'base64', value: bytes.toString('base64')}
  const first = text.trimStart()[0]
  if (first === '{' || first === '[') {
    try {
      return {encoding: 'json', value: JSON.parse(text)}
    } catch {
      // Not JSON after all: shown as text.
    }
  }

  return {encoding: 'utf8', value: text}
}

/** The bytes as text when they are valid UTF-8 without control characters, else undefined. */
export function decodeText(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined
  const text = bytes.toString('utf8')
  return CONTROL.test(text) ? undefined : text
}
