import {describe, expect, it} from 'vitest'

import type {CompatibilityLevel} from '../../../src/lib/registry/schema-registry.js'
import {checkCompatibility} from '../../../src/lib/schema/compatibility.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const object = (properties: object, extra: object = {}) => JSON.stringify({$schema: 'http://json-schema.org/draft-07/schema#', properties, type: 'object', ...extra})
const closed = {additionalProperties: false}

describe('JSON Schema compatibility (embedded registry)', () => {
  const openBackend = useEmbeddedBackend()
  const check = async (level: CompatibilityLevel, old: string, next: string) => {
    const {registry} = await openBackend()
    await registry.register('notes-value', {references: [], schema: old, schemaType: 'JSON'})
    return checkCompatibility({candidate: {references: [], schema: next, schemaType: 'JSON'}, level, registry, subject: 'notes-value'})
  }

  it.each<[string, string, string, CompatibilityLevel, RegExp | true]>([
    ['widening integer → number', object({n: {type: 'integer'}}), object({n: {type: 'number'}}), 'BACKWARD', true],
    ['narrowing number → integer', object({n: {type: 'number'}}), object({n: {type: 'integer'}}), 'BACKWARD', /property 'n' changed type number → integer: a reader on integer rejects number values written by v1/],
    ['narrowing, read forward', object({n: {type: 'integer'}}), object({n: {type: 'number'}}), 'FORWARD', /a reader on integer rejects number values written with the candidate/],
    ['a property becoming required', object({a: {type: 'string'}}), object({a: {type: 'string'}}, {required: ['a']}), 'BACKWARD', /property 'a' became required/],
    ['a required property removed from the requirement', object({a: {type: 'string'}}, {required: ['a']}), object({a: {type: 'string'}}), 'BACKWARD', true],
    ['an optional property added to a closed model', object({a: {type: 'string'}}, closed), object({a: {type: 'string'}, b: {type: 'string'}}, closed), 'BACKWARD', true],
    ['a property removed from a closed model', object({a: {type: 'string'}, b: {type: 'string'}}, closed), object({a: {type: 'string'}}, closed), 'BACKWARD', /property 'b' was removed from a closed content model/],
    ['closing an open model', object({a: {type: 'string'}}), object({a: {type: 'string'}}, closed), 'BACKWARD', /closed its content model/],
    ['a typed property added to an open model', object({a: {type: 'string'}}), object({a: {type: 'string'}, b: {type: 'string'}}), 'BACKWARD', /property 'b' was added to an open content model/],
    ['an enum losing a value', object({s: {enum: ['A', 'B']}}), object({s: {enum: ['A']}}), 'BACKWARD', /enum lost "B"/],
    ['an enum gaining a value', object({s: {enum: ['A']}}), object({s: {enum: ['A', 'B']}}), 'BACKWARD', true],
    ['a tighter maxLength', object({s: {maxLength: 10, type: 'string'}}), object({s: {maxLength: 5, type: 'string'}}), 'BACKWARD', /maxLength narrowed 10 → 5/],
    ['nested items through a local $ref', object({lines: {items: {$ref: '#/definitions/line'}, type: 'array'}}, {definitions: {line: {properties: {qty: {type: 'number'}}, type: 'object'}}}), object({lines: {items: {$ref: '#/definitions/line'}, type: 'array'}}, {definitions: {line: {properties: {qty: {type: 'integer'}}, type: 'object'}}}), 'BACKWARD', /property 'lines\[\]\.qty' changed type number → integer/],
    ['FULL catches either direction', object({n: {type: 'integer'}}), object({n: {type: 'number'}}), 'FULL', /forward/],
  ])('%s under %4$s', async (_name, old, next, level, expected) => {
    const result = await check(level, old, next)
    if (expected === true) {
      expect(result.messages).toEqual([])
    } else {
      expect(result.compatible).toBe(false)
      expect(result.messages.join('\n')).toMatch(expected)
    }
  })
})
