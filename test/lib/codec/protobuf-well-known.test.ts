import protobuf from 'protobufjs'
import {describe, expect, it} from 'vitest'

import {buildProtobufCodec} from '../../../src/lib/codec/protobuf-codec.js'
import {RecordDecoder} from '../../../src/lib/codec/record-decoder.js'
import {encodeWire} from '../../../src/lib/codec/wire-format.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const event = [
  'syntax = "proto3";',
  'package shop;',
  'import "google/protobuf/timestamp.proto";',
  'import "google/protobuf/wrappers.proto";',
  'message Shipped {',
  '  string order_id = 1;',
  '  google.protobuf.Timestamp at = 2;',
  '  google.protobuf.StringValue carrier = 3;',
  '}',
  '',
].join('\n')

/** The bytes a producer with the well-known types compiled in would write. */
function shippedBytes(): Buffer {
  const root = new protobuf.Root()
  for (const name of ['google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto']) root.addJSON(protobuf.common.get(name)?.nested ?? {})
  protobuf.parse(event, root, {keepCase: true})
  const type = root.lookupType('shop.Shipped')
  return Buffer.from(type.encode({at: {nanos: 250_000_000, seconds: 1_767_605_400}, carrier: {value: 'post'}, order_id: 'o-7'}).finish())
}

/** Bytes written field by field with protobufjs's wire writer, so no schema of evt's is involved. */
function message(write: (writer: protobuf.Writer) => void): Uint8Array {
  const writer = protobuf.Writer.create()
  write(writer)
  return writer.finish()
}

describe('Protobuf well-known types', () => {
  const openBackend = useEmbeddedBackend()

  it('decodes a google.protobuf.Timestamp field and a wrapper in their JSON forms (RFC 3339, the bare value), not base64', async () => {
    const {registry} = await openBackend()
    const {id} = await registry.register('shipped-value', {references: [], schema: event, schemaType: 'PROTOBUF'})
    const codec = await buildProtobufCodec(await registry.getSchema(id), registry)
    const expected = {at: '2026-01-05T09:30:00.250Z', carrier: 'post', order_id: 'o-7'}
    expect(codec.decode(Buffer.concat([Buffer.from([0]), shippedBytes()]))).toEqual(expected)

    const record = encodeWire(id, Buffer.concat([Buffer.from([0]), shippedBytes()]))
    const decoder = new RecordDecoder(registry)
    await decoder.prepare([record])
    expect(decoder.decode(record, 'shipped')).toMatchObject({encoding: 'protobuf', value: expected})
  })

  it('says once why a schema cannot be used', async () => {
    const {registry} = await openBackend()
    // evt's registry refuses such a schema; another registry may have taken it.
    const broken = 'syntax = "proto3";\nmessage A {\n  Missing m = 1;\n}\n'
    await expect(registry.register('broken-value', {references: [], schema: broken, schemaType: 'PROTOBUF'})).rejects.toThrow(/not a valid PROTOBUF schema: .*Missing/)
    const {id} = await registry.register('broken-value', {references: [], schema: event, schemaType: 'PROTOBUF'})
    const lenient = new Proxy(registry, {
      get: (target, property) => (property === 'getSchema' ? async () => ({...(await target.getSchema(id)), schema: broken}) : Reflect.get(target, property, target)),
    })
    const record = encodeWire(id, Buffer.from([0]))
    const warnings: string[] = []
    const decoder = new RecordDecoder(lenient, (message) => warnings.push(message))
    await decoder.prepare([record])
    const decoded = decoder.decode(record, 'broken')
    expect(decoded).toMatchObject({encoding: 'base64', error: expect.stringContaining('Missing')})
    expect(decoded?.error?.match(/cannot be used/g)).toHaveLength(1)
    expect(warnings).toEqual([`${decoded?.error}; its records are shown raw`])
  })

  it("decodes Google's and Confluent's common types (google/type/*.proto, confluent/meta.proto), which Confluent resolves without a reference", async () => {
    const schema = [
      'syntax = "proto3";',
      'package shop;',
      'import "confluent/meta.proto";',
      'import "google/type/date.proto";',
      'import "google/type/dayofweek.proto";',
      'import "google/type/money.proto";',
      'import "google/type/interval.proto";',
      'message Sale {',
      '  string sku = 1 [(confluent.field_meta).doc = "the article"];',
      '  google.type.Date on = 2;',
      '  google.type.Money price = 3;',
      '  google.type.DayOfWeek weekday = 4;',
      '  google.type.Interval window = 5;',
      '}',
      '',
    ].join('\n')
    // Written field by field from the wire format and the field numbers of Google's published
    // files (Date: year 1, month 2, day 3; Money: currency_code 1, units 2, nanos 3; Interval:
    // start_time 1 as a Timestamp of seconds 1), not through evt's definitions of them.

    const date = message((w) => w.uint32(0x08).int32(2026).uint32(0x10).int32(1).uint32(0x18).int32(2))
    const money = message((w) => w.uint32(0x0a).string('EUR').uint32(0x10).int64(12).uint32(0x18).int32(500_000_000))
    const interval = message((w) => w.uint32(0x0a).bytes(message((t) => t.uint32(0x08).int64(1_767_605_400))))
    const sale = message((w) => w.uint32(0x0a).string('tea').uint32(0x12).bytes(date).uint32(0x1a).bytes(money).uint32(0x20).int32(5).uint32(0x2a).bytes(interval))

    const {registry} = await openBackend()
    const {id} = await registry.register('sale-value', {references: [], schema, schemaType: 'PROTOBUF'})
    const codec = await buildProtobufCodec(await registry.getSchema(id), registry)
    expect(codec.decode(Buffer.concat([Buffer.from([0]), sale]))).toEqual({
      on: {day: 2, month: 1, year: 2026},
      price: {currency_code: 'EUR', nanos: 500_000_000, units: '12'},
      sku: 'tea',
      weekday: 'FRIDAY',
      window: {end_time: null, start_time: '2026-01-05T09:30:00Z'},
    })
  })

  it('reads and writes every well-known type in its JSON form, as Confluent\'s console tools print it, and still takes the message forms', async () => {
    const schema = [
      'syntax = "proto3";',
      'import "google/protobuf/duration.proto";',
      'import "google/protobuf/field_mask.proto";',
      'import "google/protobuf/struct.proto";',
      'import "google/protobuf/timestamp.proto";',
      'import "google/protobuf/wrappers.proto";',
      'message Job {',
      '  google.protobuf.Duration took = 1;',
      '  google.protobuf.Struct attrs = 2;',
      '  google.protobuf.Int64Value attempts = 3;',
      '  google.protobuf.BytesValue blob = 4;',
      '  google.protobuf.FieldMask changed = 5;',
      '  repeated google.protobuf.Timestamp seen = 6;',
      '  map<string, google.protobuf.Value> extra = 7;',
      '  google.protobuf.ListValue tags = 8;',
      '}',
      '',
    ].join('\n')
    // Written from the wire format and the field numbers of Google's files (Duration: seconds 1,
    // nanos 2; Struct: map fields 1 of Value; Value: null 1, number 2, string 3, bool 4, struct 5,
    // list 6; ListValue: values 1; wrappers: value 1; FieldMask: paths 1; Timestamp: seconds 1, nanos 2).

    const entry = (key: string, value: Uint8Array) => message((w) => w.uint32(0x0a).string(key).uint32(0x12).bytes(value))
    const list = message((w) => w.uint32(0x0a).bytes(message((v) => v.uint32(0x1a).string('a'))).uint32(0x0a).bytes(message((v) => v.uint32(0x20).bool(true))))
    const attrs = message((w) =>
      w
        .uint32(0x0a).bytes(entry('n', message((v) => v.uint32(0x11).double(1.5))))
        .uint32(0x0a).bytes(entry('none', message((v) => v.uint32(0x08).int32(0))))
        .uint32(0x0a).bytes(entry('list', message((v) => v.uint32(0x32).bytes(list)))),
    )
    const job = message((w) =>
      w
        .uint32(0x0a).bytes(message((d) => d.uint32(0x08).int64(-1).uint32(0x10).int32(-500_000_000)))
        .uint32(0x12).bytes(attrs)
        .uint32(0x1a).bytes(message((v) => v.uint32(0x08).int64('9007199254740993')))
        .uint32(0x22).bytes(message((v) => v.uint32(0x0a).bytes(Buffer.from([0xff, 0x00]))))
        .uint32(0x2a).bytes(message((m) => m.uint32(0x0a).string('user.display_name').uint32(0x0a).string('id')))
        .uint32(0x32).bytes(message((t) => t.uint32(0x08).int64(0).uint32(0x10).int32(1000)))
        .uint32(0x32).bytes(message((t) => t.uint32(0x08).int64('253402300800')))
        .uint32(0x3a).bytes(entry('ok', message((v) => v.uint32(0x20).bool(false))))
        .uint32(0x42).bytes(list),
    )

    const {registry} = await openBackend()
    const {id} = await registry.register('job-value', {references: [], schema, schemaType: 'PROTOBUF'})
    const codec = await buildProtobufCodec(await registry.getSchema(id), registry)
    const payload = Buffer.concat([Buffer.from([0]), job])
    const json = {
      attempts: '9007199254740993',
      attrs: {list: ['a', true], n: 1.5, none: null},
      blob: '/wA=',
      changed: 'user.displayName,id',
      extra: {ok: false},
      // Year 10000 has no RFC 3339 form: the message is shown as it is.
      seen: ['1970-01-01T00:00:00.000001Z', {nanos: 0, seconds: '253402300800'}],
      tags: ['a', true],
      took: '-1.500s',
    }
    expect(codec.decode(payload)).toEqual(json)
    // What tail printed is produced as the same message again.
    expect(codec.decode(codec.encode(JSON.parse(JSON.stringify(codec.decode(payload)))))).toEqual(json)
    // The message forms evt printed before are still taken.
    const before = codec.encode({attempts: {value: '9007199254740993'}, blob: {value: '/wA='}, changed: {paths: ['user.display_name', 'id']}, took: {nanos: -500_000_000, seconds: '-1'}})
    expect(codec.decode(before)).toMatchObject({attempts: '9007199254740993', blob: '/wA=', changed: 'user.displayName,id', took: '-1.500s'})
    // A Timestamp with an offset is the same instant.
    expect(codec.decode(codec.encode({seen: ['2026-01-05T10:30:00.250+01:00']}))).toMatchObject({seen: ['2026-01-05T09:30:00.250Z']})
  })
})
