import {describe, expect, it} from 'vitest'

import type {CompatibilityLevel} from '../../../src/lib/registry/schema-registry.js'
import {checkCompatibility} from '../../../src/lib/schema/compatibility.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const json = (schema: object) => JSON.stringify({$schema: 'https://json-schema.org/draft/2020-12/schema', ...schema})
const record = (a: object, required: string[] = []) => json({properties: {a}, required, type: 'object'})

describe('JSON Schema compatibility at every level (embedded registry)', () => {
  const openBackend = useEmbeddedBackend()

  /** Registers `history` in order under `level`, then checks `candidate` against them. */
  const check = async (level: CompatibilityLevel, history: string[], candidate: string) => {
    const {registry} = await openBackend()
    await registry.setCompatibility(level, 'orders-value')
    for (const schema of history) await registry.register('orders-value', {references: [], schema, schemaType: 'JSON'})
    return checkCompatibility({candidate: {references: [], schema: candidate, schemaType: 'JSON'}, level, registry, subject: 'orders-value'})
  }

  // integer → number: new readers read old data, old readers cannot read new data.
  const widened = [record({type: 'integer'}), record({type: 'number'})] as const
  // number → integer: the opposite.
  const narrowed = [record({type: 'number'}), record({type: 'integer'})] as const

  it.each<[CompatibilityLevel, boolean, boolean]>([
    ['BACKWARD', true, false],
    ['BACKWARD_TRANSITIVE', true, false],
    ['FORWARD', false, true],
    ['FORWARD_TRANSITIVE', false, true],
    ['FULL', false, false],
    ['FULL_TRANSITIVE', false, false],
    ['NONE', true, true],
  ])('%s: widening compatible = %s, narrowing compatible = %s', async (level, widening, narrowing) => {
    const afterWidening = await check(level, [widened[0]], widened[1])
    expect(afterWidening.compatible).toBe(widening)
    const afterNarrowing = await check(level, [narrowed[0]], narrowed[1])
    expect(afterNarrowing.compatible).toBe(narrowing)
    if (!widening) expect(afterWidening.messages.join('\n')).toMatch(/property 'a' changed type number → integer|property 'a' changed type integer → number/)
    if (!narrowing) expect(afterNarrowing.messages.join('\n')).toMatch(/orders-value v1 → candidate: property 'a' changed type number → integer: a reader on integer rejects number values written by v1 \((BACKWARD|FULL)/)
  })

  it('oneOf → anyOf: compatible backward (COMBINED_TYPE_EXTENDED), incompatible forward (COMBINED_TYPE_CHANGED)', async () => {
    const oneOf = json({oneOf: [{type: 'string'}, {type: 'number'}]})
    const anyOf = json({anyOf: [{type: 'string'}, {type: 'number'}]})
    expect((await check('BACKWARD', [oneOf], anyOf)).messages).toEqual([])
    const forward = await check('FORWARD', [oneOf], anyOf)
    expect(forward.messages.join('\n')).toMatch(/the document changed oneOf → anyOf: a reader on v1 applies oneOf where documents written with the candidate were checked with anyOf, so it may reject them \(FORWARD\)/)
  })

  /*
   * Three versions, each step compatible, the first and the last not: a property that became
   * required with a default (compatible), then lost the default (compatible: only the default
   * changed), is, seen from v1, a property that became required without one.
   */
  const optional = record({type: 'string'})
  const requiredWithDefault = record({default: 'none', type: 'string'}, ['a'])
  const requiredNoDefault = record({type: 'string'}, ['a'])

  it.each<[CompatibilityLevel, boolean]>([
    ['BACKWARD', true],
    ['BACKWARD_TRANSITIVE', false],
    ['FULL', true],
    ['FULL_TRANSITIVE', false],
    ['NONE', true],
  ])('a 3-version chain under %s: compatible = %s', async (level, compatible) => {
    const result = await check(level, [optional, requiredWithDefault], requiredNoDefault)
    expect(result.compatible).toBe(compatible)
    if (!compatible) {
      expect(result.messages).toEqual([expect.stringMatching(new RegExp(`^orders-value v1 → candidate: property 'a' became required: a reader on the candidate requires it, but documents written by v1 may lack it \\(${level}`))])
    }
  })

  it.each<[CompatibilityLevel, boolean]>([
    ['FORWARD', true],
    ['FORWARD_TRANSITIVE', false],
  ])('the same chain read forward under %s: compatible = %s', async (level, compatible) => {
    // Forward, old readers read new data: required (v1) → required with a default → optional.
    const result = await check(level, [requiredNoDefault, requiredWithDefault], optional)
    expect(result.compatible).toBe(compatible)
    if (!compatible) expect(result.messages).toEqual([expect.stringMatching(/^orders-value v1 → candidate: property 'a' is no longer required: a reader on v1 requires it, but documents written with the candidate may lack it \(FORWARD_TRANSITIVE\)/)])
  })

  it('BACKWARD_TRANSITIVE over four versions names only the versions that break', async () => {
    const v3 = record({default: 'none', description: 'the order state', type: 'string'}, ['a'])
    const result = await check('BACKWARD_TRANSITIVE', [optional, requiredWithDefault, v3], record({description: 'the order state', type: 'string'}, ['a']))
    expect(result.messages.map((message) => message.split(':')[0])).toEqual(['orders-value v1 → candidate'])
  })
})
