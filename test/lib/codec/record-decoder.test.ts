import {describe, expect, it} from 'vitest'

import {decodeRaw} from '../../../src/lib/codec/raw.js'
import {RecordDecoder} from '../../../src/lib/codec/record-decoder.js'
import {encodeWire, wireSchemaId} from '../../../src/lib/codec/wire-format.js'
import {subjectName} from '../../../src/lib/codec/subject-names.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const payment = {
  fields: [
    {name: 'orderId', type: 'string'},
    {name: 'amount', type: 'double'},
    {name: 'note', type: ['null', 'string'], default: null},
    {name: 'signature', type: 'bytes'},
  ],
  name: 'PaymentProcessed',
  namespace: 'retail',
  type: 'record',
}

describe('wire format and decoding', () => {
  const openBackend = useEmbeddedBackend()

  it('round-trips Avro through the Confluent wire format and names the subject and version', async () => {
    const {registry} = await openBackend()
    const avro = (await import('avsc')).default
    const type = avro.Type.forSchema(payment as never)
    const {id} = await registry.register('payments-retail.PaymentProcessed', {references: [], schema: JSON.stringify(payment), schemaType: 'AVRO'})
    const value = {amount: 12.5, note: 'gift', orderId: '1042', signature: Buffer.from([1, 2, 3])}
    const bytes = encodeWire(id, type.toBuffer(value))
    expect(bytes[0]).toBe(0)
    expect(wireSchemaId(bytes)).toBe(id)

    const decoder = new RecordDecoder(registry)
    await decoder.prepare([bytes])
    expect(decoder.decode(bytes, 'payments')).toEqual({
      encoding: 'avro',
      schema: {id, subject: 'payments-retail.PaymentProcessed', version: 1},
      type: 'retail.PaymentProcessed',
      value: {amount: 12.5, note: 'gift', orderId: '1042', signature: 'AQID'},
    })
  })

  it('decodes Avro whose schema refers to a named type in another subject', async () => {
    const {registry} = await openBackend()
    const money = {fields: [{name: 'cents', type: 'long'}], name: 'Money', namespace: 'retail', type: 'record'}
    const order = {fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'retail.Money'}], name: 'Order', namespace: 'retail', type: 'record'}
    await registry.register('retail.Money', {references: [], schema: JSON.stringify(money), schemaType: 'AVRO'})
    const {id} = await registry.register('orders-value', {references: [{name: 'retail.Money', subject: 'retail.Money', version: 1}], schema: JSON.stringify(order), schemaType: 'AVRO'})
    const avro = (await import('avsc')).default
    const named = {}
    avro.Type.forSchema(money as never, {registry: named})
    const bytes = encodeWire(id, avro.Type.forSchema(order as never, {registry: named}).toBuffer({orderId: '9', total: {cents: 1250}}))
    const decoder = new RecordDecoder(registry)
    await decoder.prepare([bytes])
    expect(decoder.decode(bytes, 'orders')).toMatchObject({encoding: 'avro', value: {orderId: '9', total: {cents: 1250}}})
  })

  it('renders Avro logical types as natural JSON and encodes them back', async () => {
    const {registry} = await openBackend()
    const schema = {
      fields: [
        {name: 'at', type: {logicalType: 'timestamp-millis', type: 'long'}},
        {name: 'atMicros', type: {logicalType: 'timestamp-micros', type: 'long'}},
        {name: 'day', type: {logicalType: 'date', type: 'int'}},
        {name: 'amount', type: {logicalType: 'decimal', precision: 10, scale: 2, type: 'bytes'}},
        {name: 'refund', type: {logicalType: 'decimal', precision: 10, scale: 2, type: 'bytes'}},
        {name: 'id', type: {logicalType: 'uuid', type: 'string'}},
      ],
      name: 'Refund',
      type: 'record',
    }
    const {id} = await registry.register('refunds-value', {references: [], schema: JSON.stringify(schema), schemaType: 'AVRO'})
    const avro = (await import('avsc')).default
    // Written with the raw representations, as another producer would.
    const raw = avro.Type.forSchema(schema as never).toBuffer({
      amount: Buffer.from([0x04, 0xd2]),
      at: Date.parse('2026-01-05T09:30:00.250Z'),
      atMicros: Date.parse('2026-01-05T09:30:00Z') * 1000 + 123_456,
      day: 20_458,
      id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      refund: Buffer.from([0xfb, 0x2e]),
    })
    const decoder = new RecordDecoder(registry)
    const bytes = encodeWire(id, raw)
    await decoder.prepare([bytes])
    const decoded = decoder.decode(bytes, 'refunds')!
    expect(decoded.value).toEqual({
      amount: '12.34',
      at: '2026-01-05T09:30:00.250Z',
      atMicros: '2026-01-05T09:30:00.123456Z',
      day: '2026-01-05',
      id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      refund: '-12.34',
    })
    const {buildSchemaCodec} = await import('../../../src/lib/codec/schema-codec.js')
    const codec = await buildSchemaCodec(await registry.getSchema(id), registry)
    expect(codec.encode(decoded.value)).toEqual(raw)
  })

  it('decodes Protobuf with Confluent message indexes, nested messages included', async () => {
    const {registry} = await openBackend()
    const proto = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  string id = 1;\n}\nmessage Payment {\n  string order_id = 1;\n  int64 cents = 2;\n  message Refund {\n    string reason = 1;\n    int32 cents = 2;\n  }\n}\n'
    const {id} = await registry.register('payments-value', {references: [], schema: proto, schemaType: 'PROTOBUF'})
    const protobuf = (await import('protobufjs')).default
    const root = protobuf.parse(proto, {keepCase: true}).root
    const order = Buffer.from(root.lookupType('shop.Order').encode({id: 'o-1'}).finish())
    const refund = Buffer.from(root.lookupType('shop.Payment.Refund').encode({cents: 5, reason: 'late'}).finish())
    const payment = Buffer.from(root.lookupType('shop.Payment').encode({cents: 1250, order_id: 'o-1'}).finish())
    // [0] is one 0 byte; [1, 0] is count 2, then 1, then 0, each a zig-zag varint.
    const first = encodeWire(id, Buffer.concat([Buffer.from([0]), order]))
    const nested = encodeWire(id, Buffer.concat([Buffer.from([4, 2, 0]), refund]))
    const second = encodeWire(id, Buffer.concat([Buffer.from([2, 2]), payment]))
    const decoder = new RecordDecoder(registry)
    await decoder.prepare([first])
    expect(decoder.decode(first, 'payments')).toMatchObject({encoding: 'protobuf', schema: {id, subject: 'payments-value'}, value: {id: 'o-1'}})
    expect(decoder.decode(nested, 'payments')?.value).toEqual({cents: 5, reason: 'late'})
    expect(decoder.decode(second, 'payments')?.value).toEqual({cents: '1250', order_id: 'o-1'})
    const broken = encodeWire(id, Buffer.from([4, 2]))
    expect(decoder.decode(broken, 'payments')).toMatchObject({encoding: 'base64', error: expect.stringContaining('truncated message indexes')})
  })

  it('round-trips JSON Schema payloads', async () => {
    const {registry} = await openBackend()
    const schema = JSON.stringify({properties: {orderId: {type: 'string'}}, title: 'OrderNote', type: 'object'})
    const {id} = await registry.register('notes-value', {references: [], schema, schemaType: 'JSON'})
    const bytes = encodeWire(id, Buffer.from(JSON.stringify({orderId: '7', text: 'hi'})))
    const decoder = new RecordDecoder(registry)
    await decoder.prepare([bytes])
    expect(decoder.decode(bytes, 'notes')).toMatchObject({encoding: 'json-schema', schema: {id, subject: 'notes-value'}, value: {orderId: '7', text: 'hi'}})
  })

  it('shows truncated wire-format bytes raw with the reason, never throwing', async () => {
    const {registry} = await openBackend()
    const {id} = await registry.register('payments-value', {references: [], schema: JSON.stringify(payment), schemaType: 'AVRO'})
    const decoder = new RecordDecoder(registry)
    const truncated = encodeWire(id, Buffer.from([0x08, 0x31]))
    await decoder.prepare([truncated])
    const decoded = decoder.decode(truncated, 'payments')!
    expect(decoded.encoding).toBe('base64')
    expect(decoded.value).toBe(truncated.toString('base64'))
    expect(decoded.error).toMatch(/cannot decode with schema/)
    expect(decoder.decode(Buffer.from([0, 0, 0]), 'payments')).toMatchObject({encoding: 'base64', schema: null})
  })

  it('warns once per unknown schema id and shows those records raw', async () => {
    const {registry} = await openBackend()
    const warnings: string[] = []
    const decoder = new RecordDecoder(registry, (message) => warnings.push(message))
    const unknown = encodeWire(4242, Buffer.from('payload'))
    await decoder.prepare([unknown, unknown])
    await decoder.prepare([unknown])
    expect(decoder.decode(unknown, 't')).toMatchObject({encoding: 'base64', error: 'schema id 4242 is not in the registry'})
    expect(warnings).toEqual(['schema id 4242 is not in the registry; its records are shown raw'])
  })

  it('falls back to JSON, then UTF-8 text, then base64', () => {
    expect(decodeRaw(Buffer.from('{"a":1}'))).toEqual({encoding: 'json', value: {a: 1}})
    expect(decodeRaw(Buffer.from('{not json'))).toEqual({encoding: 'utf8', value: '{not json'})
    expect(decodeRaw(Buffer.from('plain text ü'))).toEqual({encoding: 'utf8', value: 'plain text ü'})
    expect(decodeRaw(Buffer.from([0xff, 0xfe, 0x00]))).toEqual({encoding: 'base64', value: '//4A'})
    expect(decodeRaw(Buffer.from([0x00, 0x41]))).toEqual({encoding: 'base64', value: 'AEE='})
  })

  it('names subjects by TopicName and TopicRecordName strategies', () => {
    expect(subjectName({strategy: 'TopicName', topic: 'orders'})).toBe('orders-value')
    expect(subjectName({isKey: true, strategy: 'TopicName', topic: 'orders'})).toBe('orders-key')
    expect(subjectName({recordName: 'retail.OrderRequested', strategy: 'TopicRecordName', topic: 'orders'})).toBe('orders-retail.OrderRequested')
  })
})
