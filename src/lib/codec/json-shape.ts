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
 * The most headers one record holds and the longest header name in UTF-8 bytes. Kafka's record
 * format would take more (varint counts), but the embedded log stores both in 16 bits, and a record
 * must fit both backends so that export, import and replay can move it between them.
 */
export const MAX_HEADERS = 65_535
export const MAX_HEADER_NAME_BYTES = 65_535

const HEADERS_SHAPE = '"headers" is an object of name → value or a list of [name, value] pairs'

/**
 * Headers from JSON: the map `headersToJson` writes (an array for a repeated name, null, text or
 * `{"base64"}`), or a list of `[name, value]` pairs, which also keeps the order between names.
 * Booleans and whole numbers up to 2^53 are their text. Anything else (objects, other numbers,
 * text with lone surrogates, more headers or longer names than a record holds) is an INPUT_INVALID
 * error naming the header and the fix: never a value silently made up from it.
 */
export function headersFromJson(json: unknown): Headers {
  if (json === undefined || json === null) return []
  const headers: Headers = []
  if (Array.isArray(json)) {
    for (const pair of json) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw headersError(`a header in a list is a [name, value] pair, not ${preview(pair)}`, {hint: 'write [["name", "value"], ...], or an object {"name": "value"}'})
      }

      headers.push([headerName(pair[0]), headerValueFromJson(pair[0], pair[1])])
      requireHeaderCount(headers.length)
    }

    return headers
  }

  if (typeof json !== 'object') throw headersError(`${HEADERS_SHAPE}, not ${preview(json)}`, {hint: 'write "headers": {"name": "value"} or [["name", "value"]]; a value is text, null, {"base64": "..."} or an array of those'})
  for (const [name, value] of Object.entries(json)) {
    headerName(name)
    if (Array.isArray(value) && value.length === 0) throw headersError(`header '${shortName(name)}' has an empty list of values`, {hint: 'give it at least one value (null for a null value), or leave the name out', name})
    for (const each of Array.isArray(value) ? value : [value]) {
      headers.push([name, headerValueFromJson(name, each)])
      requireHeaderCount(headers.length)
    }
  }

  return headers
}

function headerName(name: string): string {
  if (LONE_SURROGATE.test(name)) throw headersError(`header name '${shortName(name)}' has a lone UTF-16 surrogate, which has no UTF-8 bytes`, {hint: 'a name is text: bytes that are not text belong in the value, as {"base64": "..."}', name})
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > MAX_HEADER_NAME_BYTES) {
    throw headersError(`header name '${shortName(name)}' is ${bytes} bytes of UTF-8; a name holds at most ${MAX_HEADER_NAME_BYTES}`, {hint: 'shorten the name (long data belongs in the value)', name})
  }

  return name
}

function requireHeaderCount(count: number): void {
  if (count > MAX_HEADERS) throw headersError(`more than ${MAX_HEADERS} headers; a record holds at most ${MAX_HEADERS}`, {hint: 'put the data in fewer headers, or in the value'})
}

function headerValueFromJson(name: string, value: unknown): Buffer | null {
  if (value === null) return null
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw headersError(`header '${shortName(name)}' has a lone UTF-16 surrogate, which has no UTF-8 bytes`, {hint: 'give bytes that are not text as {"base64": "..."}', name})
    return Buffer.from(value, 'utf8')
  }

  if (typeof value === 'boolean' || Number.isSafeInteger(value)) return Buffer.from(String(value), 'utf8')
  if (typeof value === 'number') {
    // JSON parsing may already have changed its digits (1.10, 2^53 + 1): only the writer knows the text.
    throw headersError(`header '${shortName(name)}' is the number ${value}, which may not be the text that was written`, {hint: `quote it: "${shortName(name)}": "${value}"`, name})
  }

  let bytes: Buffer | undefined
  try {
    bytes = bytesFromBase64Json(value)
  } catch (error) {
    throw headersError(`header '${shortName(name)}': ${(error as Error).message}`, {name})
  }

  if (bytes === undefined) throw headersError(`header '${shortName(name)}' is text, null or {"base64": "..."}, not ${preview(value)}`, {hint: 'give a nested value as text, e.g. its JSON in a string', name})
  return bytes
}

// In a `u` regex a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function headersError(message: string, {hint, name}: {hint?: string; name?: string}): EvtError {
  return new EvtError('INPUT_INVALID', message, {data: {field: 'headers', ...(name === undefined ? {} : {header: shortName(name)})}, hint})
}

/** Input quoted in a message: at most 40 characters of its JSON, so a huge value cannot flood the terminal. */
function preview(value: unknown): string {
  return shortName(JSON.stringify(value) ?? String(value))
}

function shortName(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
