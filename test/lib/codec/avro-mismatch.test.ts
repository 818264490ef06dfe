import avro from 'avsc'
import {describe, expect, it} from 'vitest'

import {avroMismatch, describeAvroType} from '../../../src/lib/codec/avro-mismatch.js'

const order = avro.Type.forSchema({
  fields: [
    {name: 'id', type: 'string'},
    {name: 'note', type: ['null', 'string']},
    {name: 'lines', type: {items: {fields: [{name: 'qty', type: 'int'}], name: 'Line', type: 'record'}, type: 'array'}},
    {name: 'status', type: {name: 'Status', symbols: ['NEW', 'PAID'], type: 'enum'}},
  ],
  name: 'Order',
  type: 'record',
})

describe('avroMismatch', () => {
  it('is undefined for a value that fits', () => {
    expect(avroMismatch(order, {id: 'a', lines: [{qty: 1}], note: null, status: 'NEW'})).toBeUndefined()
  })

  it.each([
    ['a missing field', {lines: [], note: null, status: 'NEW'}, "field 'id' is missing, expected string"],
    ['a nested array item', {id: 'a', lines: [{qty: 1}, {qty: 'two'}], note: null, status: 'NEW'}, `field 'lines.1.qty' is "two" (a string), expected int`],
    ['a union branch', {id: 'a', lines: [], note: 3, status: 'NEW'}, "field 'note' is 3 (a number), expected null | string"],
    ['an enum symbol', {id: 'a', lines: [], note: null, status: 'LOST'}, `field 'status' is "LOST" (a string), expected enum Status`],
    ['not a record at all', 'x', 'the value is "x" (a string), expected record Order'],
  ])('names the path and the expected type: %s', (_name, value, message) => {
    expect(avroMismatch(order, value)).toBe(message)
  })

  it('counts the other problems', () => {
    expect(avroMismatch(order, {})).toBe("field 'id' is missing, expected string (and 3 more)")
  })

  it('describes logical, collection and named types', () => {
    expect(describeAvroType({logicalType: 'decimal', precision: 9, scale: 2, type: 'bytes'})).toBe('decimal (bytes)')
    expect(describeAvroType({type: 'map', values: {items: 'long', type: 'array'}})).toBe('map of array of long')
    expect(describeAvroType({name: 'Hash', size: 16, type: 'fixed'})).toBe('fixed Hash')
  })
})
