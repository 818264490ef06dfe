import {describe, expect, it} from 'vitest'

import type {CompatibilityLevel, SchemaReference, SchemaRegistry} from '../../../src/lib/registry/schema-registry.js'
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

  // Changed verdict: evt used to reject a removal without `reserved`; Confluent's FIELD_REMOVED is compatible.
  it('accepts a removed field, reserved or not (FIELD_REMOVED)', async () => {
    expect((await check(proto('message Payment {\n  string order_id = 1;\n  string method = 3;\n}'))).messages).toEqual([])
    expect((await check(proto('message Payment {\n  reserved 2;\n  string order_id = 1;\n  string method = 3;\n}'))).messages).toEqual([])
  })

  // Where evt knowingly differs: Confluent lets an unlabelled proto3 int32 become repeated (it compares labels only when both are written).
  it('rejects singular → repeated and a removed message', async () => {
    expect((await check(proto('message Payment {\n  string order_id = 1;\n  repeated int32 amount_cents = 2;\n  string method = 3;\n}'))).messages.join('\n')).toMatch(/singular → repeated/)
    expect((await check(proto('message Refund {\n  string order_id = 1;\n}'))).messages.join('\n')).toMatch(/message retail.Payment removed/)
  })
})

describe('Protobuf compatibility levels (embedded registry)', () => {
  const openBackend = useEmbeddedBackend()
  const payment = (fields: string) => proto(`message Payment {\n  string order_id = 1;\n${fields}}`)

  /** Registers the versions under NONE (so any history can be built), then restores `level` for the check. */
  const history = async (subject: string, versions: {references?: SchemaReference[]; schema: string}[]) => {
    const {registry} = await openBackend()
    await registry.setCompatibility('NONE', subject)
    for (const {references = [], schema} of versions) await registry.register(subject, {references, schema, schemaType: 'PROTOBUF'})
    return registry
  }

  const checkAt = async (registry: SchemaRegistry, subject: string, level: CompatibilityLevel, schema: string, references: SchemaReference[] = []) =>
    checkCompatibility({candidate: {references, schema, schemaType: 'PROTOBUF'}, level, registry, subject})

  it('checks the latest version only, or all of a three-version chain when transitive, at all seven levels', async () => {
    // v1 has int32 #2, v2 removed it (compatible), the candidate brings #2 back as a string: fine
    // next to v2, a different wire encoding next to v1.
    const registry = await history('payments-value', [{schema: payment('  int32 amount = 2;\n')}, {schema: payment('')}, {schema: payment('  string note = 3;\n')}])
    const candidate = payment('  string amount = 2;\n  string note = 3;\n')
    const v1Backward =
      'payments-value v1 → candidate: field #2 of retail.Payment changed int32 amount → string amount: a reader on the candidate cannot read field #2 written by v1: the types have different wire encodings'
    const v1Forward =
      'payments-value v1 → candidate: field #2 of retail.Payment changed int32 amount → string amount: a reader on v1 cannot read field #2 written with the candidate: the types have different wire encodings'
    const verdicts = Object.fromEntries(
      await Promise.all(
        (['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const).map(
          async (level) => [level, (await checkAt(registry, 'payments-value', level, candidate)).messages] as const,
        ),
      ),
    )
    expect(verdicts).toEqual({
      BACKWARD: [],
      BACKWARD_TRANSITIVE: [`${v1Backward} (BACKWARD_TRANSITIVE)`],
      FORWARD: [],
      FORWARD_TRANSITIVE: [`${v1Forward} (FORWARD_TRANSITIVE)`],
      FULL: [],
      FULL_TRANSITIVE: [`${v1Backward} (FULL_TRANSITIVE, backward)`, `${v1Forward} (FULL_TRANSITIVE, forward)`],
      NONE: [],
    })
    expect((await checkAt(registry, 'payments-value', 'NONE', proto('message Other {\n  bytes b = 1;\n}'))).note).toMatch(/NONE: nothing is checked/)
  })

  it('tells BACKWARD from FORWARD where Confluent is asymmetric: a new message, a field moved into a oneof', async () => {
    const registry = await history('payments-value', [{schema: payment('  int32 amount = 2;\n  string method = 3;\n')}])
    const withRefund = payment('  int32 amount = 2;\n  string method = 3;\n}\nmessage Refund {\n  string order_id = 1;\n')
    expect((await checkAt(registry, 'payments-value', 'BACKWARD', withRefund)).compatible).toBe(true)
    expect((await checkAt(registry, 'payments-value', 'FORWARD', withRefund)).messages).toEqual([
      'payments-value v1 → candidate: message retail.Refund added: a reader on v1 does not know retail.Refund, which data written with the candidate may hold (FORWARD)',
    ])
    const oneof = payment('  oneof how {\n    int32 amount = 2;\n    string method = 3;\n  }\n')
    expect((await checkAt(registry, 'payments-value', 'FORWARD', oneof)).compatible).toBe(true)
    expect((await checkAt(registry, 'payments-value', 'FULL', oneof)).messages).toEqual([
      'payments-value v1 → candidate: fields #2 amount, #3 method of retail.Payment moved into oneof how: data written by v1 may set several of them at once; a reader on the candidate keeps only the last (FULL, backward)',
    ])
  })

  it('rejects a proto2 required field added (REQUIRED_FIELD_ADDED) both ways', async () => {
    const v1 = 'syntax = "proto2";\npackage retail;\nmessage Payment {\n  optional string order_id = 1;\n}\n'
    const registry = await history('payments-value', [{schema: v1}])
    const result = await checkAt(registry, 'payments-value', 'FULL', v1.replace('}', '  required int64 amount = 2;\n}'))
    expect(result.messages).toEqual([
      "payments-value v1 → candidate: required field 'retail.Payment.amount' (#2) added: a reader on the candidate requires #2, which data written by v1 lacks (FULL, backward)",
      expect.stringMatching(/^payments-value v1 → candidate: required field 'retail.Payment.amount' \(#2\) added: a reader on v1 does not know the required #2 .*\(FULL, forward\)$/),
    ])
  })

  it('compares an imported type (a referenced subject) by its structure, not its name', async () => {
    const money = (units: string, pkg = 'shop') => `syntax = "proto3";\npackage ${pkg};\nmessage Money {\n  string currency = 1;\n  ${units} units = 2;\n}\n`
    const price = (pkg = 'shop') => `syntax = "proto3";\npackage retail;\nimport "money.proto";\nmessage Price {\n  ${pkg}.Money amount = 1;\n}\n`
    const {registry} = await openBackend()
    await registry.setCompatibility('NONE')
    for (const text of [money('int64'), money('string'), money('int64', 'finance'), money('sint64', 'finance')]) {
      await registry.register(text.includes('finance') ? 'finance-money' : 'money', {references: [], schema: text, schemaType: 'PROTOBUF'})
    }

    const ref = (subject: string, version: number) => [{name: 'money.proto', subject, version}]
    await registry.register('prices-value', {references: ref('money', 1), schema: price(), schemaType: 'PROTOBUF'})
    const changed = await checkAt(registry, 'prices-value', 'BACKWARD', price(), ref('money', 2))
    expect(changed.messages).toEqual([
      'prices-value v1 → candidate: field #2 of shop.Money changed int64 units → string units: a reader on the candidate cannot read field #2 written by v1: the types have different wire encodings (BACKWARD)',
      expect.stringMatching(/^prices-value v1 → candidate: field 'retail.Price.amount' \(#1\) has type shop.Money → shop.Money, which changed incompatibly: .*\(BACKWARD\)$/),
    ])
    // The same structure in another package (another subject) is the same type to Confluent.
    expect((await checkAt(registry, 'prices-value', 'FULL', price('finance'), ref('finance-money', 1))).messages).toEqual([])
    expect((await checkAt(registry, 'prices-value', 'FULL', price('finance'), ref('finance-money', 2))).compatible).toBe(false)
  })
})
