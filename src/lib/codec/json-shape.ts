import type {Headers} from '../log/event-log.js'
import {setOwn} from '../util/set-own.js'
import {decodeText, plainText} from './raw.js'
import type {DecodedPayload} from './record-decoder.js'
import {EvtError} from '../errors.js'

/**
 * How record keys and headers look in JSON: the shape of `topic tail --json`, of what `--where`
 * and view modules see, and what `topic produce` reads back. Text stays a string; bytes that are
 * not printable UTF-8 text are `{"base64": "..."}`, so text that happens to look like base64 is
 * never mistaken for bytes.
 */
export interface Base64Json {
  base64: string
}

/** A header value: its text, null for a null value, or its bytes. */
export type HeaderValueJson = Base64Json | null | string

/** Headers by name; a name that repeats has the array of its values, in order. */
export type HeadersJson = Record<string, HeaderValueJson | HeaderValueJson[]>

export function headerValueToJson(value: Buffer | null): HeaderValueJson {
  if (value === null) return null
  return plainText(value) ?? decodeText(value) ?? {base64: value.toString('base64')}
}

export function headersToJson(headers: Headers): HeadersJson {
  const out: HeadersJson = {}
  for (let i = 0; i < headers.length; i++) {
    const [name, bytes] = headers[i]
    const value = headerValueToJson(bytes)
    if (!Object.hasOwn(out, name)) {
      setOwn(out, name, value)
      continue
    }

    // A value is never an array itself, so an array here means the name repeated before.
    const seen = out[name]
    if (Array.isArray(seen)) seen.push(value)
    else setOwn(out, name, [seen, value])
  }

  return out
}

/** A decoded key: what its decoder made of it (text, JSON, a schema's record), or `{"base64"}` for bytes. */
export function keyToJson(key: DecodedPayload | null): unknown {
  if (key === null) return null
  return key.encoding === 'base64' ? {base64: key.value as string} : key.value
}

/** The bytes `{"base64": "..."}` stands for; undefined for any other value. Throws on base64 that is not canonical. */
export function bytesFromBase64Json(value: unknown): Buffer | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const keys = Object.keys(value)
  if (keys.length !== 1 || keys[0] !== 'base64') return undefined
  const text = (value as Base64Json).base64
  if (typeof text !== 'string' || !BASE64.test(text)) throw new EvtError('INPUT_INVALID', `{"base64": ...} needs standard padded base64, not ${JSON.stringify(text)}`)
  return Buffer.from(text, 'base64')
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Headers from JSON: the map `headersToJson` writes (an array for a repeated name, null, text or
 * `{"base64"}`), or a list of `[name, value]` pairs, which also keeps the order between names.
 * Numbers and booleans are their text. Throws an Error saying what is wrong.
 */
export function headersFromJson(json: unknown): Headers {
  if (json === undefined || json === null) return []
  const headers: Headers = []
  if (Array.isArray(json)) {
    for (const pair of json) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') throw new EvtError('INPUT_INVALID', `a header in a list is a [name, value] pair, not ${JSON.stringify(pair)}`)
      headers.push([pair[0], headerValueFromJson(pair[0], pair[1])])
    }

    return headers
  }

  if (typeof json !== 'object') throw new EvtError('INPUT_INVALID', `"headers" is an object of name → value or a list of [name, value] pairs, not ${JSON.stringify(json)}`)
  for (const [name, value] of Object.entries(json)) {
    if (Array.isArray(value)) for (const each of value) headers.push([name, headerValueFromJson(name, each)])
    else headers.push([name, headerValueFromJson(name, value)])
  }

  return headers
}

function headerValueFromJson(name: string, value: unknown): Buffer | null {
  if (value === null) return null
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (typeof value === 'number' || typeof value === 'boolean') return Buffer.from(String(value), 'utf8')
  let bytes: Buffer | undefined
  try {
    bytes = bytesFromBase64Json(value)
  } catch (error) {
    throw new EvtError('INPUT_INVALID', `header '${name}': ${(error as Error).message}`)
  }

  if (bytes === undefined) throw new EvtError('INPUT_INVALID', `header '${name}' is text, null or {"base64": "..."}, not ${JSON.stringify(value)}`)
  return bytes
}
