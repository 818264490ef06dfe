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

describe('JSON Schema compatibility of deep and recursive schemas', () => {
  const openBackend = useEmbeddedBackend()
  const check = async (old: string, next: string) => {
    const {registry} = await openBackend()
    await registry.register('deep-value', {references: [], schema: old, schemaType: 'JSON'})
    return checkCompatibility({candidate: {references: [], schema: next, schemaType: 'JSON'}, level: 'BACKWARD', registry, subject: 'deep-value'})
  }

  /** A property `n` of the given type under `levels` nested objects, each in a property `a`. */
  const nested = (levels: number, type: string): string =>
    '{"type":"object","properties":{"a":'.repeat(levels) + `{"type":"object","properties":{"n":{"type":"${type}"}}}` + '}}'.repeat(levels)

  it.each([100, 10_000])('finds an integer → string change %i levels deep', async (levels) => {
    const result = await check(nested(levels, 'integer'), nested(levels, 'string'))
    expect(result.compatible).toBe(false)
    expect(result.messages).toHaveLength(1)
    expect(result.messages[0]).toContain(`property '${'a.'.repeat(levels)}n' changed type integer → string`)
  })

  it('accepts the same deep schema, and widening deep down', async () => {
    expect((await check(nested(200, 'integer'), nested(200, 'number'))).messages).toEqual([])
  })

  it('terminates on a recursive $ref and still compares what it reaches', async () => {
    const tree = (valueType: string) =>
      JSON.stringify({definitions: {node: {properties: {children: {items: {$ref: '#/definitions/node'}, type: 'array'}, value: {type: valueType}}, type: 'object'}}, $ref: '#/definitions/node'})
    expect((await check(tree('integer'), tree('integer'))).messages).toEqual([])
    const result = await check(tree('integer'), tree('string'))
    expect(result.messages.join('\n')).toMatch(/property 'value' changed type integer → string/)
  })

  it('follows a $ref chain of any length, and refuses one that loops or names nothing (exit 2)', async () => {
    const chain = (length: number, type: string) => {
      const definitions: Record<string, object> = {[`d${length}`]: {type}}
      for (let i = 0; i < length; i++) definitions[`d${i}`] = {$ref: `#/definitions/d${i + 1}`}
      return JSON.stringify({definitions, properties: {n: {$ref: '#/definitions/d0'}}, type: 'object'})
    }

    expect((await check(chain(100, 'integer'), chain(100, 'string'))).messages.join('\n')).toMatch(/property 'n' changed type integer → string/)
    const looping = JSON.stringify({definitions: {a: {$ref: '#/definitions/b'}, b: {$ref: '#/definitions/a'}}, properties: {n: {$ref: '#/definitions/a'}}, type: 'object'})
    await expect(check(object({n: {type: 'integer'}}), looping)).rejects.toMatchObject({code: 'SCHEMA_INVALID', message: expect.stringMatching(/refers to itself.*incomplete/)})
    const dangling = JSON.stringify({properties: {n: {$ref: '#/definitions/missing'}}, type: 'object'})
    await expect(check(object({n: {type: 'integer'}}), dangling)).rejects.toMatchObject({code: 'SCHEMA_INVALID', message: expect.stringMatching(/names nothing.*incomplete/)})
  })

  it('compares enums of 200k values in linear time', async () => {
    const values = Array.from({length: 200_000}, (_, i) => `V${i}`)
    const started = performance.now()
    const result = await check(object({s: {enum: values}}), object({s: {enum: values.slice(1)}}))
    // Quadratic, 200k values would take minutes; the bound leaves room for a loaded CI machine.
    expect(performance.now() - started).toBeLessThan(5000)
    expect(result.messages.join('\n')).toMatch(/enum lost "V0"/)
  })
})
