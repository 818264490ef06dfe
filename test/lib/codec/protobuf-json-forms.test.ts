import {describe, expect, it} from 'vitest'

import {buildProtobufCodec} from '../../../src/lib/codec/protobuf-codec.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const schema = [
  'syntax = "proto3";',
  'package shop;',
  'enum Status { STATUS_UNSPECIFIED = 0; PLACED = 1; SHIPPED = 2; }',
  'message Order {',
  '  int64 id = 1;',
  '  uint64 big = 2;',
  '  sint64 delta = 3;',
  '  Status status = 4;',
  '  repeated Status history = 5;',
  '  map<string, int64> totals = 6;',
  '  repeated Line lines = 7;',
  '  bytes blob = 8;',
  '}',
  // Declared after Order: the first message is the one the common message index [0] names.
  'message Line { string sku = 1; int64 quantity = 2; }',
  '',
].join('\n')

/**
 * `topic produce` reads the JSON `topic tail --json` prints: 64-bit integers as decimal strings
 * (exact beyond 2^53), enums by name, bytes as base64 — as Confluent's JSON mapping does too.
 */
describe('Protobuf values in their JSON forms', () => {
  const openBackend = useEmbeddedBackend()
  const codecOf = async () => {
    const {registry} = await openBackend()
    const {id} = await registry.register('order-value', {references: [], schema, schemaType: 'PROTOBUF'})
    return buildProtobufCodec(await registry.getSchema(id), registry)
  }

  it('encodes what it decodes: int64 and uint64 as text, enums by name, maps, nested messages and bytes', async () => {
    const codec = await codecOf()
    const value = {
      big: '18446744073709551615',
      blob: Buffer.from('raw').toString('base64'),
      delta: '-9007199254740993',
      history: ['PLACED', 'SHIPPED'],
      id: '9007199254740993',
      lines: [{quantity: '3', sku: 'tea'}],
      status: 'SHIPPED',
      totals: {eur: '12', usd: '-4'},
    }
    expect(codec.decode(codec.encode(value))).toEqual(value)
  })

  it('still takes numbers for 64-bit integers and enums', async () => {
    const codec = await codecOf()
    expect(codec.decode(codec.encode({id: 42, status: 1}))).toMatchObject({id: '42', status: 'PLACED'})
  })

  it('names the field of a value that does not fit: text that is no integer, a 64-bit integer out of range, an unknown enum name', async () => {
    const codec = await codecOf()
    expect(() => codec.encode({id: 'forty-two'})).toThrow(/^id: integer\|Long expected$/)
    expect(() => codec.encode({id: '9223372036854775808'})).toThrow(/^id: integer\|Long expected$/)
    expect(() => codec.encode({big: '-1'})).toThrow(/^big: integer\|Long expected$/)
    expect(() => codec.encode({status: 'LOST'})).toThrow(/^status: enum value expected$/)
    expect(() => codec.encode({lines: [{quantity: 'many'}]})).toThrow(/^lines\.quantity: integer\|Long expected$/)
  })
})
