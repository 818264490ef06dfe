import {describe, expect, it} from 'vitest'

import type {CompatibilityLevel} from '../../../src/lib/registry/schema-registry.js'
import {checkCompatibility} from '../../../src/lib/schema/compatibility.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

/**
 * Named types (records, enums, fixed) resolve by their unqualified name, as the Avro specification
 * says ("both schemas are records with the same (unqualified) name") and Java's SchemaCompatibility,
 * which Confluent's registry uses, decides: a namespace moved is not a rename. Another short name is
 * a rename, unless the reader lists the writer's full name as an alias.
 */
const order = (namespace: string | undefined, extra: object = {}, name = 'Order') =>
  JSON.stringify({
    fields: [
      {name: 'id', type: 'string'},
      {name: 'status', type: {name: 'Status', symbols: ['NEW', 'PAID'], type: 'enum'}},
      {name: 'digest', type: {name: 'Digest', size: 16, type: 'fixed'}},
      {name: 'lines', type: {items: {fields: [{name: 'sku', type: 'string'}], name: 'Line', type: 'record'}, type: 'array'}},
    ],
    name,
    type: 'record',
    ...(namespace === undefined ? {} : {namespace}),
    ...extra,
  })

const cases: [string, string, string, CompatibilityLevel, RegExp | true][] = [
  ['a record moved to another namespace, with the enum, fixed and nested record it defines', order('retail.v1'), order('shop.v2'), 'FULL_TRANSITIVE', true],
  ['a namespace added', order(undefined), order('retail'), 'FULL', true],
  ['a namespace removed', order('retail'), order(undefined), 'FULL', true],
  ['one nested enum moved by its own namespace', order('retail'), order('retail').replace('"name":"Status"', '"name":"Status","namespace":"elsewhere"'), 'FULL', true],
  ['a fully qualified name with another namespace', order('retail'), order('retail', {}, 'other.ns.Order'), 'FULL', true],
  ['another short name', order('retail'), order('retail', {}, 'Purchase'), 'BACKWARD', /the record was renamed retail\.Order → retail\.Purchase/],
  ['another short name in another namespace', order('retail'), order('shop', {}, 'Purchase'), 'BACKWARD', /renamed retail\.Order → shop\.Purchase/],
  ['another short name for a nested enum', order('retail'), order('retail').replace('"name":"Status"', '"name":"State"'), 'BACKWARD', /the type of field 'status' was renamed retail\.Status → retail\.State/],
  ['another short name, aliased to the old full name', order('retail'), order('shop', {aliases: ['retail.Order']}, 'Purchase'), 'BACKWARD', true],
  ['another short name, aliased, read forward by the old schema', order('retail'), order('shop', {aliases: ['retail.Order']}, 'Purchase'), 'FORWARD', /renamed/],
  ['a namespace moved, but a real change underneath', order('retail'), order('shop').replace('"size":16', '"size":32'), 'BACKWARD', /field 'digest' changed/],
]

describe('Avro names that differ only by namespace', () => {
  const openBackend = useEmbeddedBackend()

  it.each(cases)('%s (%4$s)', async (_name, old, next, level, expected) => {
    const {registry} = await openBackend()
    await registry.register('orders-value', {references: [], schema: old, schemaType: 'AVRO'})
    const result = await checkCompatibility({candidate: {references: [], schema: next, schemaType: 'AVRO'}, level, registry, subject: 'orders-value'})
    if (expected === true) expect(result.messages).toEqual([])
    else expect(result.messages.join('\n')).toMatch(expected)
  })

  it("agrees with avsc's resolver when it ignores namespaces, in both directions", async () => {
    const avro = (await import('avsc')).default
    const {registry} = await openBackend()
    for (const [name, old, next] of cases) {
      for (const [reader, writer, level] of [[next, old, 'BACKWARD'], [old, next, 'FORWARD']] as const) {
        // The candidate reads what the registered version wrote: BACKWARD with the roles as given.
        const subject = `${name}-${level}`.replaceAll(/\W+/g, '-')
        await registry.register(subject, {references: [], schema: writer, schemaType: 'AVRO'})
        const ours = (await checkCompatibility({candidate: {references: [], schema: reader, schemaType: 'AVRO'}, level: 'BACKWARD', registry, subject})).compatible
        let avscAccepts = true
        try {
          avro.Type.forSchema(JSON.parse(reader)).createResolver(avro.Type.forSchema(JSON.parse(writer)), {ignoreNamespaces: true} as object)
        } catch {
          avscAccepts = false
        }

        expect({name, ours, reader: level}).toEqual({name, ours: avscAccepts, reader: level})
      }
    }
  })
})
