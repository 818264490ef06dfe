import {describe, expect, it} from 'vitest'

import {buildSchemaCodec} from '../../../src/lib/codec/schema-codec.js'
import type {SchemaRegistry} from '../../../src/lib/registry/schema-registry.js'
import {parseValuePath} from '../../../src/lib/util/value-path.js'

// No references: the codec never asks the registry for anything.
const noRegistry = {} as SchemaRegistry

async function kinds(schemaType: 'AVRO' | 'JSON' | 'PROTOBUF', schema: object | string, paths: string[]) {
  const codec = await buildSchemaCodec({id: 1, references: [], schema: typeof schema === 'string' ? schema : JSON.stringify(schema), schemaType}, noRegistry)
  return Object.fromEntries(paths.map((path) => [path, codec.valueKind(parseValuePath(path)) ?? null]))
}

describe('what a schema says a value path reaches', () => {
  it('Avro: primitives, logical types, nullable unions, nested records, arrays and maps', async () => {
    const schema = {
      fields: [
        {name: 'id', type: 'long'},
        {name: 'total', type: {logicalType: 'decimal', precision: 9, scale: 2, type: 'bytes'}},
        {name: 'at', type: {logicalType: 'timestamp-micros', type: 'long'}},
        {name: 'day', type: {logicalType: 'date', type: 'int'}},
        {name: 'uuid', type: {logicalType: 'uuid', type: 'string'}},
        {name: 'clock', type: {logicalType: 'time-millis', type: 'int'}},
        {default: null, name: 'discount', type: ['null', 'float']},
        {name: 'either', type: ['null', 'int', 'string']},
        {name: 'paid', type: 'boolean'},
        {name: 'raw', type: 'bytes'},
        {name: 'status', type: {name: 'Status', symbols: ['NEW', 'DONE'], type: 'enum'}},
        {name: 'address', type: {fields: [{name: 'zip', type: 'string'}], name: 'Address', type: 'record'}},
        {name: 'lines', type: {items: {fields: [{name: 'qty', type: 'int'}], name: 'Line', type: 'record'}, type: 'array'}},
        {name: 'tags', type: {type: 'map', values: 'double'}},
      ],
      name: 'Order',
      type: 'record',
    }
    expect(
      await kinds('AVRO', schema, ['$', '$.id', '$.total', '$.at', '$.day', '$.uuid', '$.clock', '$.discount', '$.either', '$.paid', '$.raw', '$.status', '$.address', '$.address.zip', '$.lines', '$.lines[0].qty', '$.tags.eu', '$.missing', '$.id.deeper']),
    ).toEqual({
      $: 'json',
      '$.address': 'json',
      '$.address.zip': 'text',
      '$.at': 'timestamp',
      '$.clock': 'integer',
      '$.day': 'date',
      '$.discount': 'number',
      '$.either': null,
      '$.id': 'integer',
      '$.id.deeper': null,
      '$.lines': 'json',
      '$.lines[0].qty': 'integer',
      '$.missing': null,
      '$.paid': 'boolean',
      '$.raw': 'text',
      '$.status': 'text',
      '$.tags.eu': 'number',
      '$.total': 'decimal',
      '$.uuid': 'text',
    })
  })

  it('JSON Schema: types, nullable type lists, local $refs, anyOf that agree, tuples and additionalProperties', async () => {
    const schema = {
      $defs: {money: {type: 'number'}},
      properties: {
        amount: {$ref: '#/$defs/money'},
        count: {type: 'integer'},
        either: {anyOf: [{type: 'integer'}, {type: 'string'}]},
        extra: {additionalProperties: {type: 'boolean'}, type: 'object'},
        label: {type: ['string', 'null']},
        numeric: {oneOf: [{type: 'integer'}, {type: 'number'}]},
        pair: {prefixItems: [{type: 'string'}, {type: 'integer'}], type: 'array'},
        untyped: {},
      },
      type: 'object',
    }
    expect(await kinds('JSON', schema, ['$', '$.amount', '$.count', '$.either', '$.extra.flag', '$.label', '$.numeric', '$.pair[1]', '$.pair[2]', '$.untyped', '$.absent'])).toEqual({
      $: 'json',
      '$.absent': null,
      '$.amount': 'number',
      '$.count': 'integer',
      '$.either': null,
      '$.extra.flag': 'boolean',
      '$.label': 'text',
      '$.numeric': 'number',
      '$.pair[1]': 'integer',
      '$.pair[2]': null,
      '$.untyped': null,
    })
  })

  it('Protobuf: scalars (64-bit integers too), enums by name, nested messages, repeated and map fields', async () => {
    const proto = `syntax = "proto3";
message Order {
  int64 id = 1;
  double total = 2;
  bool paid = 3;
  bytes raw = 4;
  enum Status { NEW = 0; DONE = 1; }
  Status status = 5;
  message Line { int32 qty = 1; string sku = 2; }
  repeated Line lines = 6;
  map<string, uint32> stock = 7;
  Line first = 8;
}`
    expect(await kinds('PROTOBUF', proto, ['$', '$.id', '$.total', '$.paid', '$.raw', '$.status', '$.lines', '$.lines[0].qty', '$.lines[*].sku', '$.stock', '$.stock.eu', '$.first.sku', '$.missing'])).toEqual({
      $: 'json',
      '$.first.sku': 'text',
      '$.id': 'integer',
      '$.lines': 'json',
      '$.lines[*].sku': 'text',
      '$.lines[0].qty': 'integer',
      '$.missing': null,
      '$.paid': 'boolean',
      '$.raw': 'text',
      '$.status': 'text',
      '$.stock': 'json',
      '$.stock.eu': 'integer',
      '$.total': 'number',
    })
  })

  it('Protobuf well-known types: the kinds of their JSON forms', async () => {
    const proto = `syntax = "proto3";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/duration.proto";
message Shipped {
  google.protobuf.Timestamp at = 1;
  google.protobuf.DoubleValue weight = 2;
  google.protobuf.Int64Value parcels = 3;
  google.protobuf.StringValue carrier = 4;
  google.protobuf.Struct attrs = 5;
  google.protobuf.Duration took = 6;
}`
    expect(await kinds('PROTOBUF', proto, ['$.at', '$.weight', '$.parcels', '$.carrier', '$.attrs', '$.attrs.color', '$.took', '$.at.seconds'])).toEqual({
      '$.at': 'timestamp',
      // Not the message's fields: the JSON form has none.
      '$.at.seconds': null,
      '$.attrs': 'json',
      '$.attrs.color': null,
      '$.carrier': 'text',
      '$.parcels': 'integer',
      '$.took': 'text',
      '$.weight': 'number',
    })
  })
})

describe('decoding only some fields of an Avro record', () => {
  const schema = {
    fields: [
      {name: 'id', type: 'string'},
      {name: 'address', type: {fields: [{name: 'zip', type: 'string'}], name: 'Address', type: 'record'}},
      {name: 'billing', type: 'Address'},
      {name: 'total', type: {logicalType: 'decimal', precision: 9, scale: 2, type: 'bytes'}},
      {name: 'at', type: {logicalType: 'timestamp-millis', type: 'long'}},
      {name: 'seen', type: {logicalType: 'timestamp-micros', type: 'long'}},
      {name: 'day', type: {logicalType: 'date', type: 'int'}},
      {name: 'big', type: 'long'},
      {name: 'raw', type: 'bytes'},
      {name: 'lines', type: {items: 'string', type: 'array'}},
      {name: 'note', type: ['null', 'string']},
    ],
    name: 'Order',
    type: 'record',
  }
  const value = {
    address: {zip: '1011'},
    at: '2026-05-01T10:00:01.250Z',
    big: String(2n ** 60n + 1n),
    billing: {zip: '2022'},
    day: '2026-05-27',
    id: 'o-1',
    lines: ['a', 'b'],
    note: 'fragile',
    raw: 'AAEC',
    seen: '2026-05-01T10:00:01.250250Z',
    total: '-12.50',
  }

  it('gives exactly the fields asked for, as a whole decode gives them, and skips the rest', async () => {
    const codec = await buildSchemaCodec({id: 1, references: [], schema: JSON.stringify(schema), schemaType: 'AVRO'}, noRegistry)
    // Bytes are written from a Buffer and shown as base64.
    const payload = codec.encode({...value, raw: Buffer.from([0, 1, 2])})
    const whole = codec.decode(payload) as Record<string, unknown>
    expect(whole).toEqual(value)
    for (const fields of [['id'], ['total', 'at', 'seen', 'day'], ['big', 'raw', 'lines', 'note'], ['address', 'billing'], []]) {
      expect(codec.decode(payload, new Set(fields))).toEqual(Object.fromEntries(fields.map((name) => [name, whole[name]])))
    }

    // billing names the Address type that address defines: without address the pruned schema
    // does not stand alone, so the whole value is decoded. Every field: the whole value too.
    expect(codec.decode(payload, new Set(['billing']))).toEqual(value)
    expect(codec.decode(payload, new Set(Object.keys(value)))).toEqual(value)
  })
})
