import {describe, expect, it} from 'vitest'

import {jsonSchemaCheck, jsonSchemaDefinitionProblem} from '../../../src/lib/codec/json-schema-values.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

describe('jsonSchemaCheck: values against a JSON Schema, as produce checks them', () => {
  const refund = {
    additionalProperties: false,
    properties: {
      currency: {enum: ['EUR', 'USD']},
      issuedAt: {format: 'date-time', type: 'string'},
      kind: {const: 'refund'},
      note: {type: ['string', 'null']},
      refundId: {type: 'string'},
    },
    required: ['refundId'],
    type: 'object',
  }

  it('passes a value that fits, and names the field, the value and the expectation of one that does not', () => {
    const check = jsonSchemaCheck(refund, [])
    expect(check({currency: 'EUR', issuedAt: '2026-01-05T10:00:00Z', kind: 'refund', note: null, refundId: 'r1'})).toBeUndefined()
    expect(check({refundId: 7})).toBe("field 'refundId' is 7 (a number), expected string")
    expect(check({note: 1, refundId: 'r1'})).toBe("field 'note' is 1 (a number), expected string or null")
    expect(check({currency: 'GBP', refundId: 'r1'})).toBe(`field 'currency' is "GBP" (a string), expected one of "EUR", "USD"`)
    expect(check({kind: 'sale', refundId: 'r1'})).toBe(`field 'kind' is "sale" (a string), expected "refund"`)
    expect(check({refundId: 'r1', total: 3})).toBe("field 'total' is not in the schema, which allows no other fields")
    expect(check({})).toBe("field 'refundId' is missing")
    expect(check([1])).toBe('the value is [1] (an array), expected object')
    // Formats are checked, as Confluent's serializer checks them.
    expect(check({issuedAt: 'yesterday', refundId: 'r1'})).toBe(`field 'issuedAt' is "yesterday" (a string), which must match format "date-time"`)
    // Every problem is counted, the first is named.
    expect(check({currency: 1, refundId: 2})).toBe(`field 'currency' is 1 (a number), expected one of "EUR", "USD" (and 1 more)`)
  })

  it('reads each draft in its own vocabulary', () => {
    // 2020-12: prefixItems with items false is a closed tuple.
    const tuple = jsonSchemaCheck({$schema: 'https://json-schema.org/draft/2020-12/schema', items: false, prefixItems: [{type: 'string'}, {type: 'integer'}], type: 'array'}, [])
    expect(tuple(['a', 1])).toBeUndefined()
    expect(tuple(['a', 1, 2])).toMatch(/^the value is \["a",1,2\] \(an array\), which must NOT have more than 2 items$/)
    // 2019-09: dependentRequired.
    const billing = jsonSchemaCheck({$schema: 'https://json-schema.org/draft/2019-09/schema', dependentRequired: {card: ['expiry']}, type: 'object'}, [])
    expect(billing({card: '4111'})).toMatch(/must have property expiry when property card is present/)
    // draft-04: exclusiveMaximum is a boolean beside maximum.
    const draft04 = jsonSchemaCheck({$schema: 'http://json-schema.org/draft-04/schema#', exclusiveMaximum: true, maximum: 10, type: 'number'}, [])
    expect(draft04(9)).toBeUndefined()
    expect(draft04(10)).toBe('the value is 10 (a number), which must be < 10')
    // No $schema: draft-07, Confluent's default; a keyword of no draft (Kafka Connect's) is ignored.
    expect(jsonSchemaCheck({'connect.type': 'int64', type: 'integer'}, [])(1.5)).toBe('the value is 1.5 (a number), expected integer')
  })

  it('follows $refs into the schemas the registry holds as references, by the name the schema uses', () => {
    const address = {properties: {city: {type: 'string'}}, required: ['city'], type: 'object'}
    const check = jsonSchemaCheck({properties: {shipTo: {$ref: 'address.json'}}, type: 'object'}, [{name: 'address.json', schema: JSON.stringify(address)}])
    expect(check({shipTo: {city: 'Gent'}})).toBeUndefined()
    expect(check({shipTo: {city: 9}})).toBe("field 'shipTo.city' is 9 (a number), expected string")
  })

  it('a schema that cannot check values says so when the first value comes', () => {
    const check = jsonSchemaCheck({properties: {a: {$ref: 'missing.json'}}, type: 'object'}, [])
    expect(() => check({a: 1})).toThrow(/^the schema cannot check values: .*missing\.json/)
  })
})

describe('the embedded registry refuses a JSON Schema that is not one by its draft', () => {
  const openBackend = useEmbeddedBackend()

  it('names the keyword, stores nothing, and takes a schema with keywords of no draft', async () => {
    const {registry} = await openBackend()
    const register = (schema: object) => registry.register('refund-value', {references: [], schema: JSON.stringify(schema), schemaType: 'JSON'})
    await expect(register({properties: {amount: {type: 'numbr'}}, type: 'object'})).rejects.toMatchObject({
      code: 'SCHEMA_INVALID',
      message: expect.stringMatching(/^not a valid JSON schema: 'properties\.amount\.type' must be equal to one of the allowed values/),
    })
    await expect(register({$schema: 'https://json-schema.org/draft/2020-12/schema', minItems: 'two', type: 'array'})).rejects.toMatchObject({message: "not a valid JSON schema: 'minItems' must be integer"})
    await expect(registry.listSubjects()).resolves.toEqual([])
    await expect(register({'connect.type': 'int64', type: 'integer'})).resolves.toMatchObject({id: expect.any(Number)})
  })
})

describe('jsonSchemaDefinitionProblem on large schemas', () => {
  it('checks a 200k-value enum in linear time (Ajv alone compares every pair)', () => {
    const values = Array.from({length: 200_000}, (_, index) => `V${index}`)
    const started = performance.now()
    expect(jsonSchemaDefinitionProblem({properties: {s: {enum: values, type: 'strng'}}, type: 'object'})).toMatch(/^'properties\.s\.type' must be equal to one of the allowed values/)
    expect(jsonSchemaDefinitionProblem({properties: {s: {enum: values}}, type: 'object'})).toBeUndefined()
    // Quadratic, this took 226 s; the bound leaves room for a loaded CI machine.
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
