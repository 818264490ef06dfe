/** How bytes that carry no schema are shown: JSON if they parse, else UTF-8 text, else base64. Never dropped. */
export type RawEncoding = 'base64' | 'json' | 'utf8'

const utf8 = new TextDecoder('utf-8', {fatal: true})
// Control characters other than tab, CR and LF mark binary data that merely happens to be valid UTF-8.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

export function decodeRaw(bytes: Buffer): {encoding: RawEncoding; value: unknown} {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return {encoding: 'base64', value: bytes.toString('base64')}
  }

  if (CONTROL.test(text)) return {encoding: 'base64', value: bytes.toString('base64')}
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
