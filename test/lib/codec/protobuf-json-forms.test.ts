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
    // As Avro's and JSON Schema's mismatches are named: the field, the value given, what fits there.
    expect(() => codec.encode({id: 'forty-two'})).toThrow(/^field 'id' is "forty-two" \(a string\), expected integer$/)
    expect(() => codec.encode({id: '9223372036854775808'})).toThrow(/^field 'id' is "9223372036854775808" \(a string\), expected integer$/)
    expect(() => codec.encode({big: '-1'})).toThrow(/^field 'big' is "-1" \(a string\), expected integer$/)
    expect(() => codec.encode({status: 'LOST'})).toThrow(/^field 'status' is "LOST" \(a string\), expected one of its enum names$/)
    expect(() => codec.encode({totals: {eu: 'lots'}})).toThrow(/^field 'totals' is \{"eu":"lots"\} \(an object\), expected a map of integers$/)
    // Inside a repeated field verify names no index: the field and the expectation.
    expect(() => codec.encode({lines: [{quantity: 'many'}]})).toThrow(/^field 'lines\.quantity': expected integer$/)
    expect(() => codec.encode(5)).toThrow(/^the value is 5 \(a number\), expected object$/)
  })

  it('names the form a Timestamp or Duration takes when text is neither', async () => {
    const {registry} = await openBackend()
    const shipped = 'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nimport "google/protobuf/duration.proto";\nmessage Shipped {\n  google.protobuf.Timestamp at = 1;\n  google.protobuf.Duration took = 2;\n}\n'
    const {id} = await registry.register('shipped-value', {references: [], schema: shipped, schemaType: 'PROTOBUF'})
    const codec = await buildProtobufCodec(await registry.getSchema(id), registry)
    expect(() => codec.encode({at: 'yesterday'})).toThrow(/^field 'at' is "yesterday" \(a string\), expected an RFC 3339 timestamp such as "2026-01-05T09:30:00Z"$/)
    expect(() => codec.encode({took: '5 minutes'})).toThrow(/^field 'took' is "5 minutes" \(a string\), expected a duration such as "1\.5s"$/)
  })
})
