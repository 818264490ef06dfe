import {describe, expect, it} from 'vitest'

import type {CompatibilityLevel} from '../../../src/lib/registry/schema-registry.js'
import {checkCompatibility} from '../../../src/lib/schema/compatibility.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const record = (fields: unknown[], name = 'Order', extra: object = {}) => JSON.stringify({fields, name, namespace: 'retail', type: 'record', ...extra})
const id = {name: 'orderId', type: 'string'}

interface Case {
  expect: Partial<Record<'BACKWARD' | 'FORWARD' | 'FULL', RegExp | true>>
  name: string
  next: string
  old: string
}

// The classic evolutions; `true` = compatible, a RegExp = incompatible with a reason matching it.
const cases: Case[] = [
  {
    expect: {BACKWARD: true, FORWARD: true, FULL: true},
    name: 'add a field with a default',
    next: record([id, {default: 0, name: 'total', type: 'long'}]),
    old: record([id]),
  },
  {
    expect: {BACKWARD: /field 'total' added without a default: a reader on the candidate cannot fill it/, FORWARD: true, FULL: /added without a default/},
    name: 'add a field without a default',
    next: record([id, {name: 'total', type: 'long'}]),
    old: record([id]),
  },
  {
    expect: {BACKWARD: true, FORWARD: true, FULL: true},
    name: 'remove a field that had a default',
    next: record([id]),
    old: record([id, {default: 0, name: 'total', type: 'long'}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: /field 'total' removed: a reader on v1 requires it/, FULL: /removed/},
    name: 'remove a field without a default',
    next: record([id]),
    old: record([id, {name: 'total', type: 'long'}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: /field 'qty' changed int → long: a reader on int cannot read long values written with the candidate/, FULL: /int → long/},
    name: 'promote int to long',
    next: record([id, {name: 'qty', type: 'long'}]),
    old: record([id, {name: 'qty', type: 'int'}]),
  },
  {
    expect: {
      BACKWARD: /^orders-value v1 → candidate: field 'total' changed long → int: a reader on int cannot read long values written by v1 \(BACKWARD\)$/,
      FORWARD: true,
    },
    name: 'narrow long to int',
    next: record([id, {name: 'total', type: 'int'}]),
    old: record([id, {name: 'total', type: 'long'}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: true, FULL: true},
    name: 'string to bytes and back',
    next: record([id, {name: 'note', type: 'bytes'}]),
    old: record([id, {name: 'note', type: 'string'}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: /a reader on string cannot read null values written with the candidate/},
    name: 'widen a field to a union with null',
    next: record([id, {name: 'note', type: ['null', 'string']}]),
    old: record([id, {name: 'note', type: 'string'}]),
  },
  {
    expect: {BACKWARD: /field 'note' changed \[null, string\] → string: a reader on string cannot read null values written by v1/, FORWARD: true},
    name: 'narrow a union to one branch',
    next: record([id, {name: 'note', type: 'string'}]),
    old: record([id, {name: 'note', type: ['null', 'string']}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: /enum retail.Status at 'status' gained symbol 'CANCELLED': a reader on v1 cannot read 'CANCELLED'/},
    name: 'add an enum symbol',
    next: record([id, {name: 'status', type: {name: 'Status', symbols: ['NEW', 'PAID', 'CANCELLED'], type: 'enum'}}]),
    old: record([id, {name: 'status', type: {name: 'Status', symbols: ['NEW', 'PAID'], type: 'enum'}}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: true},
    name: 'add an enum symbol when the old enum has a default',
    next: record([id, {name: 'status', type: {default: 'NEW', name: 'Status', symbols: ['NEW', 'PAID', 'CANCELLED'], type: 'enum'}}]),
    old: record([id, {name: 'status', type: {default: 'NEW', name: 'Status', symbols: ['NEW', 'PAID'], type: 'enum'}}]),
  },
  {
    expect: {BACKWARD: /lost symbol 'PAID'/, FORWARD: true},
    name: 'remove an enum symbol',
    next: record([id, {name: 'status', type: {name: 'Status', symbols: ['NEW'], type: 'enum'}}]),
    old: record([id, {name: 'status', type: {name: 'Status', symbols: ['NEW', 'PAID'], type: 'enum'}}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: /field 'total' removed/},
    name: 'rename a field with an alias',
    next: record([id, {aliases: ['total'], name: 'amount', type: 'double'}]),
    old: record([id, {name: 'total', type: 'double'}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: /the record was renamed retail.Order → retail.PurchaseOrder/},
    name: 'rename a record with an alias',
    next: record([id], 'PurchaseOrder', {aliases: ['Order']}),
    old: record([id]),
  },
  {
    expect: {BACKWARD: /the record was renamed retail.Order → retail.PurchaseOrder/},
    name: 'rename a record without an alias',
    next: record([id], 'PurchaseOrder'),
    old: record([id]),
  },
  {
    expect: {BACKWARD: /field 'lines\[\].qty' changed long → int/},
    name: 'narrow a field inside array items',
    next: record([id, {name: 'lines', type: {items: {fields: [{name: 'qty', type: 'int'}], name: 'Line', type: 'record'}, type: 'array'}}]),
    old: record([id, {name: 'lines', type: {items: {fields: [{name: 'qty', type: 'long'}], name: 'Line', type: 'record'}, type: 'array'}}]),
  },
  {
    expect: {BACKWARD: true, FORWARD: true},
    name: 'a recursive type that does not change',
    next: record([id, {name: 'next', type: ['null', 'Order']}]),
    old: record([id, {name: 'next', type: ['null', 'Order']}]),
  },
]

describe('Avro compatibility (embedded registry)', () => {
  const openBackend = useEmbeddedBackend()

  const check = async (level: CompatibilityLevel, versions: string[], candidate: string) => {
    const {registry} = await openBackend()
    await registry.setCompatibility('NONE', 'orders-value')
    for (const schema of versions) await registry.register('orders-value', {references: [], schema, schemaType: 'AVRO'})
    return checkCompatibility({candidate: {references: [], schema: candidate, schemaType: 'AVRO'}, level, registry, subject: 'orders-value'})
  }

  for (const testCase of cases) {
    for (const [level, expected] of Object.entries(testCase.expect)) {
      it(`${testCase.name}: ${level} → ${expected === true ? 'compatible' : 'incompatible'}`, async () => {
        const result = await check(level as CompatibilityLevel, [testCase.old], testCase.next)
        if (expected === true) {
          expect(result.messages).toEqual([])
          expect(result.compatible).toBe(true)
        } else {
          expect(result.compatible).toBe(false)
          expect(result.messages.some((message) => expected.test(message))).toBe(true)
        }
      })
    }
  }

  it('agrees with avsc\'s resolver on every case, in both directions', async () => {
    const avro = (await import('avsc')).default
    const {avroReadIssues} = await import('../../../src/lib/schema/avro-compat.js')
    const {parseAvro} = await import('../../../src/lib/schema/avro-model.js')
    const roles = {reader: 'r', readerIsNew: true, writer: 'w'}
    for (const {name, next, old} of cases) {
      for (const [reader, writer] of [
        [next, old],
        [old, next],
      ]) {
        let avscAccepts = true
        try {
          avro.Type.forSchema(JSON.parse(reader)).createResolver(avro.Type.forSchema(JSON.parse(writer)))
        } catch {
          avscAccepts = false
        }

        const ours = avroReadIssues(parseAvro(reader), parseAvro(writer), roles).length === 0
        expect({name, ours}).toEqual({name, ours: avscAccepts})
      }
    }
  })

  it('checks only the latest version unless the level is transitive', async () => {
    const v1 = record([id])
    const v2 = record([id, {default: 0, name: 'total', type: 'long'}])
    const candidate = record([id, {name: 'total', type: 'long'}])
    expect((await check('BACKWARD', [v1, v2], candidate)).compatible).toBe(true)
    const transitive = await check('BACKWARD_TRANSITIVE', [v1, v2], candidate)
    expect(transitive.compatible).toBe(false)
    expect(transitive.messages).toEqual([
      "orders-value v1 → candidate: field 'total' added without a default: a reader on the candidate cannot fill it in records written by v1, which lack it (BACKWARD_TRANSITIVE)",
    ])
  })

  it('applies FORWARD_TRANSITIVE and FULL_TRANSITIVE to every version', async () => {
    // v1 lacks 'total'; v2 has it with a default; the candidate drops it again.
    const v1 = record([id, {name: 'total', type: 'long'}])
    const v2 = record([id, {default: 0, name: 'total', type: 'long'}])
    const candidate = record([id])
    expect((await check('FORWARD', [v1, v2], candidate)).compatible).toBe(true)
    expect((await check('FORWARD_TRANSITIVE', [v1, v2], candidate)).messages).toEqual([
      "orders-value v1 → candidate: field 'total' removed: a reader on v1 requires it (it has no default there) but records written with the candidate lack it (FORWARD_TRANSITIVE)",
    ])
    const full = await check('FULL_TRANSITIVE', [v1, v2], candidate)
    expect(full.messages).toHaveLength(1)
    expect(full.messages[0]).toContain('(FULL_TRANSITIVE, forward)')
  })

  it('reports every reason, not just the first', async () => {
    const result = await check('FULL', [record([id, {name: 'a', type: 'long'}, {name: 'b', type: 'string'}])], record([id, {name: 'a', type: 'int'}, {name: 'c', type: 'string'}]))
    expect(result.messages).toHaveLength(3)
    expect(result.messages.join("\n")).toMatch(/long → int[^]*added without a default[^]*removed/)
  })

  it('treats the first version and level NONE as compatible, saying why', async () => {
    const {registry} = await openBackend()
    const first = await checkCompatibility({candidate: {references: [], schema: record([id]), schemaType: 'AVRO'}, level: 'BACKWARD', registry, subject: 'new-value'})
    expect(first).toMatchObject({compatible: true, note: expect.stringContaining('no versions yet')})
    expect((await check('NONE', [record([id])], record([{name: 'x', type: 'int'}]))).compatible).toBe(true)
  })

  it('rejects a subject switching format', async () => {
    const result = await check('BACKWARD', [record([id])], record([id]))
    expect(result.compatible).toBe(true)
    const {registry} = await openBackend()
    await registry.register('mixed-value', {references: [], schema: JSON.stringify({type: 'object'}), schemaType: 'JSON'})
    const switched = await checkCompatibility({candidate: {references: [], schema: record([id]), schemaType: 'AVRO'}, level: 'BACKWARD', registry, subject: 'mixed-value'})
    expect(switched.messages).toEqual(['mixed-value v1 → candidate: the format changed JSON → AVRO: readers of one format cannot read the other (BACKWARD)'])
  })
})
