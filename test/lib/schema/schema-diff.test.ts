import {describe, expect, it} from 'vitest'

import type {SchemaDefinition} from '../../../src/lib/registry/schema-registry.js'
import {diffSchemas} from '../../../src/lib/schema/schema-diff.js'

const avro = (fields: unknown[]): SchemaDefinition => ({references: [], schema: JSON.stringify({fields, name: 'Order', type: 'record'}), schemaType: 'AVRO'})

describe('schema diff', () => {
  it('lists Avro fields added, removed, retyped and with a new default, nested ones by path', () => {
    const before = avro([
      {name: 'id', type: 'string'},
      {default: 0, name: 'total', type: 'long'},
      {name: 'gone', type: 'int'},
      {name: 'lines', type: {items: {fields: [{name: 'qty', type: 'int'}], name: 'Line', type: 'record'}, type: 'array'}},
    ])
    const after = avro([
      {name: 'id', type: 'string'},
      {default: 5, name: 'total', type: 'long'},
      {default: null, name: 'note', type: ['null', 'string']},
      {name: 'lines', type: {items: {fields: [{name: 'qty', type: 'long'}], name: 'Line', type: 'record'}, type: 'array'}},
    ])
    expect(diffSchemas(before, after)).toEqual([
      {before: 'int', kind: 'removed', path: 'gone'},
      {after: 'long', before: 'int', kind: 'type changed', path: 'lines[].qty'},
      {after: '[null, string]', kind: 'added', path: 'note'},
      {after: '5', before: '0', kind: 'default changed', path: 'total'},
    ])
  })

  it('diffs JSON Schema properties and Protobuf fields', () => {
    const json = (properties: object, required: string[] = []): SchemaDefinition => ({references: [], schema: JSON.stringify({properties, required, type: 'object'}), schemaType: 'JSON'})
    expect(diffSchemas(json({a: {type: 'string'}}), json({a: {type: 'string'}, b: {type: 'number'}}, ['a']))).toEqual([
      {after: '"number"', kind: 'added', path: 'b'},
      {after: '"string" (required)', before: '"string"', kind: 'type changed', path: 'a'},
    ].sort((x, y) => x.path.localeCompare(y.path)))
    const proto = (body: string): SchemaDefinition => ({references: [], schema: `syntax = "proto3";\nmessage P {\n${body}\n}`, schemaType: 'PROTOBUF'})
    expect(diffSchemas(proto('  string id = 1;\n  int32 n = 2;'), proto('  string id = 1;\n  int64 n = 2;'))).toEqual([{after: 'int64 = 2', before: 'int32 = 2', kind: 'type changed', path: 'P.n'}])
  })
})
