import {describe, expect, it} from 'vitest'

import {checkCompatibility} from '../../../src/lib/schema/compatibility.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const proto = (body: string) => `syntax = "proto3";\npackage retail;\n\n${body}\n`
const v1 = proto('message Payment {\n  string order_id = 1;\n  int32 amount_cents = 2;\n  string method = 3;\n}')

describe('Protobuf compatibility (embedded registry)', () => {
  const openBackend = useEmbeddedBackend()
  const check = async (next: string, level: 'BACKWARD' | 'FULL' = 'BACKWARD') => {
    const {registry} = await openBackend()
    await registry.register('payments-value', {references: [], schema: v1, schemaType: 'PROTOBUF'})
    return checkCompatibility({candidate: {references: [], schema: next, schemaType: 'PROTOBUF'}, level, registry, subject: 'payments-value'})
  }

  it('accepts a new field and a widening within one wire encoding (int32 → int64)', async () => {
    const result = await check(proto('message Payment {\n  string order_id = 1;\n  int64 amount_cents = 2;\n  string method = 3;\n  string note = 4;\n}'), 'FULL')
    expect(result.messages).toEqual([])
  })

  it('rejects a field number whose type changed to another wire encoding', async () => {
    const result = await check(proto('message Payment {\n  string order_id = 1;\n  string amount_cents = 2;\n  string method = 3;\n}'))
    expect(result.messages).toEqual([
      'payments-value v1 → candidate: field #2 of retail.Payment changed int32 amount_cents → string amount_cents: a reader on the candidate cannot read field #2 written by v1: the types have different wire encodings (BACKWARD)',
    ])
  })

  it('rejects a reused field number', async () => {
    const result = await check(proto('message Payment {\n  string order_id = 1;\n  double fee = 2;\n  string method = 3;\n}'))
    expect(result.messages.join('\n')).toMatch(/field #2 of retail.Payment changed int32 amount_cents → double fee/)
  })

  it('rejects a removed field unless its number is reserved', async () => {
    const removed = await check(proto('message Payment {\n  string order_id = 1;\n  string method = 3;\n}'))
    expect(removed.messages.join('\n')).toMatch(/field 'retail.Payment.amount_cents' \(#2\) removed without reserving its number.*reserved 2;/)
    const reserved = await check(proto('message Payment {\n  reserved 2;\n  string order_id = 1;\n  string method = 3;\n}'))
    expect(reserved.messages).toEqual([])
  })

  it('rejects singular → repeated and a removed message', async () => {
    expect((await check(proto('message Payment {\n  string order_id = 1;\n  repeated int32 amount_cents = 2;\n  string method = 3;\n}'))).messages.join('\n')).toMatch(/singular → repeated/)
    expect((await check(proto('message Refund {\n  string order_id = 1;\n}'))).messages.join('\n')).toMatch(/message retail.Payment removed/)
  })
})
