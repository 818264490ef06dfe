import {describe, expect, it} from 'vitest'

import {headersFromJson, headersToJson, keyToJson} from '../../../src/lib/codec/json-shape.js'
import {decodeRaw} from '../../../src/lib/codec/raw.js'
import type {Headers} from '../../../src/lib/log/event-log.js'

const raw = (bytes: Buffer) => ({...decodeRaw(bytes), schema: null})

describe('headers and keys as JSON', () => {
  it('keeps a map of name → text for the usual headers', () => {
    expect(headersToJson([['ce_type', Buffer.from('OrderRequested')], ['ce_id', Buffer.from('1001-0')], ['note', Buffer.from('größer {"a":1}')]])).toEqual({
      ce_id: '1001-0',
      ce_type: 'OrderRequested',
      note: 'größer {"a":1}',
    })
  })

  it('gives a repeated name the array of its values in order, null for a null value, {base64} for bytes', () => {
    const headers: Headers = [
      ['a', Buffer.from('1')],
      ['b', null],
      ['a', null],
      ['bin', Buffer.from([0xff, 0xfe])],
      ['a', Buffer.from([0x00, 0x41])],
      ['empty', Buffer.alloc(0)],
      ['text', Buffer.from('//4=')],
    ]
    const json = headersToJson(headers)
    expect(json).toEqual({a: ['1', null, {base64: 'AEE='}], b: null, bin: {base64: '//4='}, empty: '', text: '//4='})
    expect(JSON.stringify(json)).toBe('{"a":["1",null,{"base64":"AEE="}],"b":null,"bin":{"base64":"//4="},"empty":"","text":"//4="}')
  })

  it('keeps names that are also Object.prototype properties as plain headers', () => {
    const json = headersToJson([['__proto__', Buffer.from('p')], ['constructor', Buffer.from('c')], ['toString', Buffer.from('t')], ['toString', Buffer.from('u')]])
    expect(JSON.stringify(json)).toBe('{"__proto__":"p","constructor":"c","toString":["t","u"]}')
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype)
  })

  it('marks a binary key as {base64}; text and JSON keys stay as decoded', () => {
    expect(keyToJson(raw(Buffer.from([0xff, 0xfe])))).toEqual({base64: '//4='})
    expect(keyToJson(raw(Buffer.from('//4=')))).toBe('//4=')
    expect(keyToJson(raw(Buffer.from('1042')))).toBe('1042')
    expect(keyToJson(raw(Buffer.from('{"id":7}')))).toEqual({id: 7})
    expect(keyToJson(raw(Buffer.alloc(0)))).toBe('')
    expect(keyToJson(null)).toBeNull()
  })

  it('reads back the map it writes, and lists of [name, value] pairs that keep the order between names', () => {
    const headers: Headers = [
      ['a', Buffer.from('1')],
      ['a', null],
      ['a', Buffer.from([0x00, 0x41])],
      ['b', null],
      ['bin', Buffer.from([0xff, 0xfe])],
      ['empty', Buffer.alloc(0)],
    ]
    expect(headersFromJson(JSON.parse(JSON.stringify(headersToJson(headers))))).toEqual(headers)
    const interleaved: Headers = [['a', Buffer.from('1')], ['b', Buffer.from([0xff])], ['a', null]]
    expect(headersFromJson([['a', '1'], ['b', {base64: '/w=='}], ['a', null]])).toEqual(interleaved)
    expect(headersFromJson({retries: 3, ok: true})).toEqual([['retries', Buffer.from('3')], ['ok', Buffer.from('true')]])
    expect(headersFromJson(undefined)).toEqual([])
    expect(headersFromJson(JSON.parse('{"__proto__":"p"}'))).toEqual([['__proto__', Buffer.from('p')]])
  })

  it('says what is wrong with headers it cannot read', () => {
    expect(() => headersFromJson('x')).toThrow(/"headers" is an object of name → value or a list of \[name, value\] pairs/)
    expect(() => headersFromJson([['a']])).toThrow(/a header in a list is a \[name, value\] pair, not \["a"\]/)
    expect(() => headersFromJson({a: {text: 'x'}})).toThrow(/header 'a' is text, null or \{"base64": "..."\}, not \{"text":"x"\}/)
    expect(() => headersFromJson({a: {base64: 'not base64!'}})).toThrow(/header 'a': \{"base64": \.\.\.\} needs standard padded base64/)
    expect(() => headersFromJson({a: [['nested']]})).toThrow(/header 'a' is text, null or/)
  })
})
