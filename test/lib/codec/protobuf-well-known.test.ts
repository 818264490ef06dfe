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
async function shippedBytes(): Promise<Buffer> {
  const protobuf = (await import('protobufjs')).default
  const root = new protobuf.Root()
  for (const name of ['google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto']) root.addJSON(protobuf.common.get(name)?.nested ?? {})
  protobuf.parse(event, root, {keepCase: true})
  const type = root.lookupType('shop.Shipped')
  return Buffer.from(type.encode({at: {nanos: 250_000_000, seconds: 1_767_605_400}, carrier: {value: 'post'}, order_id: 'o-7'}).finish())
}

describe('Protobuf well-known types', () => {
  const openBackend = useEmbeddedBackend()

  it('decodes a google.protobuf.Timestamp field as an object, as protobufjs toObject gives it, not base64', async () => {
    const {registry} = await openBackend()
    const {id} = await registry.register('shipped-value', {references: [], schema: event, schemaType: 'PROTOBUF'})
    const codec = await buildProtobufCodec(await registry.getSchema(id), registry)
    const expected = {at: {nanos: 250_000_000, seconds: '1767605400'}, carrier: {value: 'post'}, order_id: 'o-7'}
    expect(codec.decode(Buffer.concat([Buffer.from([0]), await shippedBytes()]))).toEqual(expected)

    const record = encodeWire(id, Buffer.concat([Buffer.from([0]), await shippedBytes()]))
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
    const protobuf = (await import('protobufjs')).default
    const message = (write: (writer: InstanceType<typeof protobuf.Writer>) => void) => {
      const writer = protobuf.Writer.create()
      write(writer)
      return writer.finish()
    }

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
      window: {end_time: null, start_time: {nanos: 0, seconds: '1767605400'}},
    })
  })
})
