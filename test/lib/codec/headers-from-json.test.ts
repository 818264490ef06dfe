import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {headersFromJson, headersToJson, MAX_HEADER_NAME_BYTES, MAX_HEADERS} from '../../../src/lib/codec/json-shape.js'
import {EvtError} from '../../../src/lib/errors.js'
import type {Headers} from '../../../src/lib/log/event-log.js'

/**
 * headersFromJson against an oracle written from the documented shape: any JSON either becomes
 * exactly the headers the shape says, or is an INPUT_INVALID error about "headers" — never headers
 * made up from something else (a string's characters, "[object Object]", "null", rounded digits).
 */
const RUNS = {numRuns: 2000, seed: 1515}

const hasLoneSurrogate = (text: string) => /[\uD800-\uDFFF]/u.test(text)
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The bytes one documented header value stands for; undefined when the value is not one. */
function oracleValue(value: unknown): Buffer | null | undefined {
  if (value === null) return null
  if (typeof value === 'string') return hasLoneSurrogate(value) ? undefined : Buffer.from(value)
  if (typeof value === 'boolean') return Buffer.from(value ? 'true' : 'false')
  if (typeof value === 'number') return Number.isSafeInteger(value) ? Buffer.from(value.toFixed(0)) : undefined
  if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value.base64 === 'string' && CANONICAL_BASE64.test(value.base64)) return Buffer.from(value.base64, 'base64')
  return undefined
}

const validName = (name: string) => !hasLoneSurrogate(name) && Buffer.byteLength(name) <= MAX_HEADER_NAME_BYTES

/** The headers the documented shape gives `json`, or undefined when it is not that shape. */
function oracle(json: unknown): Headers | undefined {
  if (json === null || json === undefined) return []
  const pairs: [string, unknown][] = []
  if (Array.isArray(json)) {
    for (const pair of json) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') return undefined
      pairs.push([pair[0], pair[1]])
    }
  } else if (isPlainObject(json)) {
    for (const [name, value] of Object.entries(json)) {
      if (Array.isArray(value) && value.length === 0) return undefined
      for (const each of Array.isArray(value) ? value : [value]) pairs.push([name, each])
    }
  } else {
    return undefined
  }

  if (pairs.length > MAX_HEADERS) return undefined
  const headers: Headers = []
  for (const [name, value] of pairs) {
    const bytes = oracleValue(value)
    if (!validName(name) || bytes === undefined) return undefined
    headers.push([name, bytes])
  }

  return headers
}

function outcome(json: unknown): {error: EvtError} | {headers: Headers} {
  try {
    return {headers: headersFromJson(json)}
  } catch (error) {
    if (!(error instanceof EvtError)) throw error
    return {error}
  }
}

// Names and values likely to be valid, so both outcomes are common; plus any JSON at all.
const text = fc.oneof(fc.string({maxLength: 6}), fc.string({maxLength: 4, unit: 'binary'}), fc.constantFrom('', '0', 'null', '[object Object]'))
const headerValue = fc.oneof(
  text,
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(2 ** 53 + 2),
  fc.uint8Array({maxLength: 6}).map((bytes) => ({base64: Buffer.from(bytes).toString('base64')})),
  fc.constantFrom({base64: 'not base64!'}, {base64: 'QQ=='}, {base64: 1}, {base64: 'QQ==', extra: 1}, {}, {nested: {a: 1}}),
  fc.jsonValue({maxDepth: 2}),
)
const headerMap = fc.dictionary(text, fc.oneof(headerValue, fc.array(headerValue, {maxLength: 3})), {maxKeys: 4})
const headerPairs = fc.array(fc.oneof(fc.tuple(text, headerValue), fc.jsonValue({maxDepth: 1})), {maxLength: 4})
const anyHeadersJson = fc.oneof(headerMap, headerPairs, text, fc.jsonValue({maxDepth: 3, stringUnit: 'binary'}), fc.constantFrom(undefined, null, 0, true, 'abc'))

describe('headersFromJson on any JSON', () => {
  it('gives exactly the documented headers, or an INPUT_INVALID error about "headers" when the JSON is not that shape', () => {
    fc.assert(
      fc.property(anyHeadersJson, (json) => {
        const expected = oracle(json)
        const got = outcome(json)
        if (expected === undefined) {
          expect(got).toHaveProperty('error')
          const {error} = got as {error: EvtError}
          expect(error.code).toBe('INPUT_INVALID')
          expect(error.data.field).toBe('headers')
          // One short line whatever the input: the offending value is quoted at most 40 characters long.
          expect(error.message).not.toContain('\n')
          expect(error.message.length).toBeLessThan(300)
        } else {
          expect(got).toEqual({headers: expected})
        }
      }),
      RUNS,
    )
  })

  it('reads back what headersToJson writes, for any headers: every value of every name, in order', () => {
    const headers = fc.array(fc.tuple(fc.string({maxLength: 6}), fc.option(fc.uint8Array({maxLength: 6}).map((bytes) => Buffer.from(bytes)), {nil: null})), {maxLength: 6})
    // A JSON object lists integer-like names ("0") first, so only the order within a name is kept by the map form.
    const byName = (headers: Headers) => {
      const values = new Map<string, (Buffer | null)[]>()
      for (const [name, value] of headers) values.set(name, [...(values.get(name) ?? []), value])
      return [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    }
    fc.assert(
      fc.property(headers, (original) => {
        expect(byName(headersFromJson(JSON.parse(JSON.stringify(headersToJson(original)))))).toEqual(byName(original))
      }),
      RUNS,
    )
  })

  it('refuses text that is not headers instead of spelling it out as headers 0, 1, 2', () => {
    expect(() => headersFromJson('abc')).toThrow(/"headers" is an object of name → value or a list of \[name, value\] pairs, not "abc"/)
    expect(oracle('abc')).toBeUndefined()
  })

  it('takes 65535 headers and names of 65535 UTF-8 bytes, and refuses one more', () => {
    const names = Array.from({length: MAX_HEADERS + 1}, (_, i) => [`h${i}`, null] as [string, null])
    expect(headersFromJson(names.slice(0, MAX_HEADERS))).toHaveLength(MAX_HEADERS)
    expect(() => headersFromJson(names)).toThrow(/more than 65535 headers; a record holds at most 65535/)
    expect(() => headersFromJson(Object.fromEntries(names))).toThrow(/more than 65535 headers/)
    expect(() => headersFromJson({a: Array.from({length: MAX_HEADERS + 1}, () => null)})).toThrow(/more than 65535 headers/)

    const longest = 'é'.repeat(MAX_HEADER_NAME_BYTES >> 1) + 'x'
    expect(headersFromJson({[longest]: 'v'})).toEqual([[longest, Buffer.from('v')]])
    expect(() => headersFromJson({[`${longest}x`]: 'v'})).toThrow(/is 65536 bytes of UTF-8; a name holds at most 65535/)
  })
})
