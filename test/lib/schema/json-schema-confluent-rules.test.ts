import {describe, expect, it} from 'vitest'

import {jsonSchemaReadIssues} from '../../../src/lib/schema/json-schema-compat.js'

/**
 * Confluent's JSON Schema rules, one case per Difference type: `original` is the writer (the old
 * schema under BACKWARD), `update` the reader. `true` = compatible; a RegExp = incompatible, and
 * the sentences must match it.
 */
const backward = (original: object, update: object) =>
  jsonSchemaReadIssues(JSON.stringify(update), JSON.stringify(original), {reader: 'the candidate', readerIsNew: true, writer: 'v1'}).map((issue) => `${issue.change}: ${issue.reason}`)

const string = {type: 'string'}
const number = {type: 'number'}
const integer = {type: 'integer'}
const object = (properties: object, extra: object = {}) => ({properties, type: 'object', ...extra})
const array = (extra: object) => ({type: 'array', ...extra})

type Case = [string, object, object, RegExp | true]

const check = (cases: Case[]) =>
  it.each<Case>(cases)('%s', (_rule, original, update, expected) => {
    const messages = backward(original, update)
    if (expected === true) expect(messages).toEqual([])
    else expect(messages.join('\n')).toMatch(expected)
  })

describe('combined schemas (allOf / anyOf / oneOf / not)', () => {
  check([
    ['SUM_TYPE_NARROWED: a oneOf branch removed', {oneOf: [string, number]}, {oneOf: [string]}, /the document oneOf lost 1 branch\(es\): a reader on the candidate rejects documents written by v1/],
    ['SUM_TYPE_NARROWED: an anyOf branch removed', {anyOf: [string, number, {type: 'null'}]}, {anyOf: [string, number]}, /anyOf lost 1 branch/],
    ['SUM_TYPE_EXTENDED: a oneOf branch added', {oneOf: [string]}, {oneOf: [number, string]}, true],
    ['SUM_TYPE_EXTENDED: a plain schema becomes one anyOf branch', string, {anyOf: [number, string]}, true],
    ['PRODUCT_TYPE_EXTENDED: an allOf schema added', {allOf: [string]}, {allOf: [string, {maxLength: 5}]}, /allOf gained 1 schema\(s\)/],
    ['PRODUCT_TYPE_NARROWED: an allOf schema removed', {allOf: [{enum: ['a', 'b']}, string]}, {allOf: [string]}, true],
    ['PRODUCT_TYPE_NARROWED: allOf to one of its schemas', {allOf: [{enum: ['a', 'b']}, string]}, string, true],
    ['TYPE_CHANGED: a plain schema turned into allOf', string, {allOf: [number, string]}, /the document changed string → allOf of 2: a reader on the candidate requires all 2 allOf schemas/],
    ['a plain schema turned into a single-schema allOf is the schema itself', string, {allOf: [string]}, true],
    ['TYPE_CHANGED: oneOf turned into a plain schema', {oneOf: [string, number]}, string, /changed oneOf of 2 → string/],
    ['COMBINED_TYPE_CHANGED: anyOf → oneOf', {anyOf: [number, string]}, {oneOf: [string]}, /the document changed anyOf → oneOf/],
    ['COMBINED_TYPE_CHANGED: oneOf → allOf', {oneOf: [string]}, {allOf: [number, string]}, /changed oneOf → allOf/],
    ['COMBINED_TYPE_EXTENDED: oneOf → anyOf', {oneOf: [number, string]}, {anyOf: [number, string]}, true],
    ['COMBINED_TYPE_EXTENDED: single anyOf → oneOf with more branches', {anyOf: [string]}, {oneOf: [number, string]}, true],
    ['COMBINED_TYPE_SUBSCHEMAS_CHANGED: no branch pairs up', {oneOf: [string]}, {oneOf: [number]}, /oneOf branches changed: oneOf\/0 of the old schema has no compatible counterpart.*against oneOf\/0: the schema changed type string → number/],
    ['branches compared in any order, duplicates collapsed', {allOf: [{enum: ['a']}, string, {maxLength: 5}]}, {allOf: [{maxLength: 5}, {enum: ['a']}, string, string]}, true],
    ['a type array is a sum type: widened', string, {type: ['string', 'null']}, true],
    ['a type array is a sum type: narrowed', {type: ['string', 'null']}, string, /changed type string\|null → string/],
    ['oneOf of types read by the same type array', {oneOf: [string, integer]}, {type: ['string', 'integer']}, true],
    ['NOT_TYPE_EXTENDED: not widened', {not: integer}, {not: number}, /the document widened its 'not' exclusion/],
    ['NOT_TYPE_NARROWED: not narrowed', {not: number}, {not: integer}, true],
    ['a not added', string, {...string, not: {enum: ['x']}}, /gained a 'not' exclusion/],
    ['TYPE_CHANGED: a combiner added beside other keywords', object({a: string}), object({a: string}, {anyOf: [{required: ['a']}, {required: ['b']}]}), /the document gained anyOf of 2/],
    ['combiners beside other keywords are compared on their own', object({a: string}, {oneOf: [{required: ['a']}, {required: ['b']}]}), object({a: string}, {oneOf: [{required: ['a']}]}), /oneOf lost 1 branch/],
  ])
})

describe('validation keywords', () => {
  check([
    ['PATTERN_ADDED', string, {...string, pattern: '^a'}, /the document pattern changed none → \^a: a reader on the candidate rejects strings written by v1 that do not match \/\^a\//],
    ['PATTERN_CHANGED', {...string, pattern: '^a'}, {...string, pattern: '^b'}, /pattern changed \^a → \^b/],
    ['PATTERN_REMOVED', {...string, pattern: '^a'}, string, true],
    ['format added (Confluent does not compare format)', string, {...string, format: 'email'}, true],
    ['format removed', {...string, format: 'email'}, string, true],
    ['MULTIPLE_OF_ADDED', number, {...number, multipleOf: 2}, /multipleOf changed none → 2/],
    ['MULTIPLE_OF_EXPANDED', {...number, multipleOf: 2}, {...number, multipleOf: 4}, /multipleOf changed 2 → 4: a reader on the candidate rejects numbers written by v1 that are not multiples of 4/],
    ['MULTIPLE_OF_CHANGED', {...number, multipleOf: 10}, {...number, multipleOf: 11}, /multipleOf changed 10 → 11/],
    ['MULTIPLE_OF_REDUCED', {...number, multipleOf: 10}, {...number, multipleOf: 2}, true],
    ['MULTIPLE_OF_REMOVED', {...number, multipleOf: 10}, number, true],
    ['MINIMUM_INCREASED', {...number, minimum: 1}, {...number, minimum: 2}, /minimum narrowed 1 → 2/],
    ['EXCLUSIVE_MAXIMUM_ADDED', number, {...number, exclusiveMaximum: 9}, /exclusiveMaximum narrowed unbounded → 9/],
    ['MAXIMUM_INCREASED', {...number, maximum: 1}, {...number, maximum: 2}, true],
    ['MIN_PROPERTIES_INCREASED', {minProperties: 1}, {minProperties: 2}, /minProperties narrowed 1 → 2/],
    ['MAX_PROPERTIES_ADDED', object({}), object({}, {maxProperties: 3}), /maxProperties narrowed unbounded → 3/],
    ['MAX_PROPERTIES_DECREASED', {maxProperties: 2}, {maxProperties: 1}, /maxProperties narrowed 2 → 1/],
    ['MIN_PROPERTIES_DECREASED / MAX_PROPERTIES_INCREASED', {maxProperties: 1, minProperties: 2}, {maxProperties: 2, minProperties: 1}, true],
    ['MIN_CONTAINS_INCREASED', array({contains: string, minContains: 1}), array({contains: string, minContains: 2}), /minContains narrowed 1 → 2/],
    ['MAX_CONTAINS_ADDED', array({contains: string}), array({contains: string, maxContains: 2}), /maxContains narrowed unbounded → 2/],
    ['contains added (Confluent does not compare contains)', array({}), array({contains: string}), true],
    ['UNIQUE_ITEMS_ADDED', array({}), array({uniqueItems: true}), /now requires unique items/],
    ['UNIQUE_ITEMS_REMOVED', array({uniqueItems: true}), array({}), true],
    ['ENUM_ARRAY_CHANGED: const changed', {const: 'a'}, {const: 'b'}, /const changed "a" → "b"/],
    ['a const added', string, {...string, const: 'a'}, /const changed none → "a"/],
    ['a const removed', {...string, const: 'a'}, string, true],
    ['an enum added', string, {...string, enum: ['a']}, /became an enum/],
    ['ENUM_ARRAY_EXTENDED', {enum: ['a']}, {enum: ['a', 'b']}, true],
    ['if/then/else changed (neither evt nor Confluent compares them)', {if: string, then: {minLength: 1}}, {if: string, then: {minLength: 2}}, /changed then: evt does not compare then schemas/],
  ])
})

describe('objects: required, dependencies, content models', () => {
  check([
    ['REQUIRED_ATTRIBUTE_ADDED', object({a: string}), object({a: string}, {required: ['a']}), /property 'a' became required: a reader on the candidate requires it, but documents written by v1 may lack it/],
    ['REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED', object({a: string}), object({a: {...string, default: 'x'}}, {required: ['a']}), true],
    ['required naming a property no side declares is not compared', object({a: string}), object({a: string}, {required: ['b']}), true],
    ['REQUIRED_ATTRIBUTE_REMOVED', object({a: string}, {required: ['a']}), object({a: string}), true],
    ['REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', object({a: string}, {additionalProperties: false}), object({a: string, b: string}, {additionalProperties: false, required: ['b']}), /property 'b' was added as required/],
    ['REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL', object({a: string}, {additionalProperties: false}), object({a: string, b: {...string, default: 'x'}}, {additionalProperties: false, required: ['b']}), true],
    ['DEPENDENCY_ARRAY_ADDED (dependentRequired)', object({a: number, b: string}), object({a: number, b: string}, {dependentRequired: {a: ['b']}}), /the document now requires "b" whenever 'a' is present/],
    ['DEPENDENCY_ARRAY_EXTENDED (draft-07 dependencies)', object({a: number, b: string, c: string}, {dependencies: {a: ['b']}}), object({a: number, b: string, c: string}, {dependencies: {a: ['b', 'c']}}), /now requires "c" whenever 'a'/],
    ['DEPENDENCY_ARRAY_NARROWED', object({a: number}, {dependentRequired: {a: ['b', 'c']}}), object({a: number}, {dependentRequired: {a: ['b']}}), true],
    ['DEPENDENCY_ARRAY_REMOVED', object({a: number}, {dependentRequired: {a: ['b']}}), object({a: number}), true],
    ['DEPENDENCY_SCHEMA_ADDED', object({a: number}), object({a: number}, {dependentSchemas: {a: {required: ['b']}}}), /gained a dependent schema for 'a'/],
    ['a dependent schema narrowed (draft-07 dependencies)', object({a: number}, {dependencies: {a: object({b: number})}}), object({a: number}, {dependencies: {a: object({b: integer})}}), /property 'dependentSchemas\.a\.b' changed type number → integer/],
    ['DEPENDENCY_SCHEMA_REMOVED', object({a: number}, {dependentSchemas: {a: {required: ['b']}}}), object({a: number}), true],
    ['ADDITIONAL_PROPERTIES_NARROWED', object({}), object({}, {additionalProperties: number}), /the document constrained additionalProperties/],
    ['additionalProperties schemas compared', object({}, {additionalProperties: string}), object({}, {additionalProperties: number}), /property '\*' changed type string → number/],
    ['ADDITIONAL_PROPERTIES_EXTENDED', object({}, {additionalProperties: string}), object({}), true],
    ['ADDITIONAL_PROPERTIES_ADDED', object({}, {additionalProperties: false}), object({}), true],
    ['PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL (additionalProperties)', object({foo: string}, {additionalProperties: string}), object({foo: string, bar: string}, {additionalProperties: string}), true],
    ['PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', object({foo: string}, {additionalProperties: string}), object({foo: string, bar: number}, {additionalProperties: string}), /property 'bar' was added and falls under additionalProperties, which does not cover it: the schema changed type string → number/],
    ['PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL (patternProperties, integer ⊂ number)', object({foo: string}, {additionalProperties: false, patternProperties: {'^I_': integer}}), object({foo: string, I_1: number}, {additionalProperties: false, patternProperties: {'^I_': integer}}), true],
    ['PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL (patternProperties)', object({foo: string, I_1: integer}, {additionalProperties: false}), object({foo: string}, {additionalProperties: false, patternProperties: {'^I_': number}}), true],
    ['PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL (additionalProperties)', object({foo: string, bar: string}, {additionalProperties: false}), object({foo: string}, {additionalProperties: {oneOf: [{type: 'null'}, string]}}), true],
    ['PROPERTY_REMOVED_NOT_COVERED: a removed property now under an additionalProperties schema of another type', object({foo: string, bar: number}, {additionalProperties: false}), object({foo: string}, {additionalProperties: string}), /property 'bar' was removed and falls under additionalProperties, which does not cover it/],
    ['PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', object({foo: string, bar: number}), object({foo: string}), true],
    ['PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', object({foo: false}, {additionalProperties: false}), object({}, {additionalProperties: false}), true],
    ['a property declared false added to a closed model', object({}, {additionalProperties: false}), object({foo: false}, {additionalProperties: false}), true],
    ['PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', object({}), object({foo: {description: 'anything'}}), true],
    ['PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', object({}), object({foo: number}), /property 'foo' was added to an open content model/],
    ['unevaluatedProperties: false is a closed model: optional property added', object({a: string}, {unevaluatedProperties: false}), object({a: string, b: number}, {unevaluatedProperties: false}), true],
    ['unevaluatedProperties: false is a closed model: property removed', object({a: string, b: number}, {unevaluatedProperties: false}), object({a: string}, {unevaluatedProperties: false}), /property 'b' was removed from a closed content model: a reader on the candidate \(unevaluatedProperties: false\)/],
    ['UNEVALUATED_PROPERTIES_REMOVED', object({a: string}), object({a: string}, {unevaluatedProperties: false}), /closed its content model \(unevaluatedProperties: false\)/],
    ['pattern properties under the same pattern are compared', object({}, {patternProperties: {'^x': string}}), object({}, {patternProperties: {'^x': number}}), /property '\/\^x\/' changed type string → number/],
    ['a $ref to another document: the same $ref', object({a: {$ref: 'common.json#/money'}}), object({a: {$ref: 'common.json#/money'}}), true],
    ['a $ref to another document: another $ref', object({a: {$ref: 'common.json#/money'}}), object({a: {$ref: 'common.json#/price'}}), /property 'a' changed common.json#\/money → common.json#\/price: evt cannot follow/],
    ['a type implied by object keywords (as everit reads it)', {properties: {a: string}}, object({a: string}), true],
  ])
})

describe('arrays: items, additionalItems, tuples', () => {
  check([
    ['SCHEMA_ADDED: items constrained', array({}), array({items: string}), /the document constrained items: a reader on the candidate checks items against its items schema/],
    ['SCHEMA_REMOVED: items no longer constrained', array({items: string}), array({}), true],
    ['items schemas compared', array({items: string}), array({items: number}), /property '\[\]' changed type string → number/],
    ['ADDITIONAL_ITEMS_REMOVED: items: false (2020-12)', {items: true}, {items: false}, /closed its content model \(items: false\)/],
    ['ADDITIONAL_ITEMS_NARROWED (draft-07 tuple)', array({items: [string]}), array({additionalItems: number, items: [string]}), /constrained additionalItems/],
    ['ADDITIONAL_ITEMS_EXTENDED', array({additionalItems: number, items: [string]}), array({items: [string]}), true],
    ['tuple items compared position by position (prefixItems)', array({prefixItems: [string, number]}), array({prefixItems: [string, integer]}), /property '\[1\]' changed type number → integer/],
    ['tuple items compared position by position (array-form items)', array({items: [string]}), array({items: [number]}), /property '\[0\]' changed type string → number/],
    ['ITEM_ADDED_TO_OPEN_CONTENT_MODEL', array({prefixItems: [string]}), array({prefixItems: [string, number]}), /property '\[1\]' was added to an open tuple/],
    ['ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', array({prefixItems: [string]}), array({prefixItems: [string, true]}), true],
    ['ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', array({prefixItems: [string, number]}), array({prefixItems: [string]}), true],
    ['ITEM_ADDED_TO_CLOSED_CONTENT_MODEL: prefixItems with items: false', array({items: false, prefixItems: [string]}), array({items: false, prefixItems: [string, number]}), true],
    ['ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', array({items: false, prefixItems: [number, false]}), array({items: false, prefixItems: [number]}), true],
    ['ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', array({items: false, prefixItems: [string, number]}), array({items: false, prefixItems: [string]}), /property '\[1\]' was removed from a closed tuple/],
    ['ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', array({items: string, prefixItems: [string, number]}), array({items: string, prefixItems: [string, number, string]}), true],
    ['ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', array({items: string, prefixItems: [string]}), array({items: string, prefixItems: [string, number]}), /property '\[1\]' was added and falls under items, which does not cover it/],
    ['ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', array({items: false, prefixItems: [string, number]}), array({items: number, prefixItems: [string]}), true],
    ['ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', array({items: string, prefixItems: [string, number]}), array({items: string, prefixItems: [string]}), /property '\[1\]' was removed and falls under items/],
    ['UNEVALUATED_ITEMS_NARROWED', array({}), array({unevaluatedItems: string}), /constrained unevaluatedItems/],
  ])
})

describe('schemas evt cannot read', () => {
  it('refuses a patternProperties pattern that is not a regular expression', () => {
    expect(() => backward(object({a: string, b: string}, {additionalProperties: false}), object({a: string}, {additionalProperties: false, patternProperties: {'(': string}}))).toThrow(
      expect.objectContaining({code: 'SCHEMA_INVALID', message: expect.stringMatching(/pattern '\(' is not a valid regular expression/)}),
    )
  })
})

describe('wording when the reader is the old schema (FORWARD)', () => {
  const forward = (oldSchema: object, newSchema: object) =>
    jsonSchemaReadIssues(JSON.stringify(oldSchema), JSON.stringify(newSchema), {reader: 'v1', readerIsNew: false, writer: 'the candidate'}).map((issue) => `${issue.change}: ${issue.reason}`)

  it('names changes old → new and the old schema as the reader', () => {
    expect(forward({oneOf: [string]}, {oneOf: [string, number]}).join('\n')).toMatch(/oneOf gained 1 branch\(es\): a reader on v1 rejects documents written with the candidate/)
    expect(forward({...string, maxLength: 5}, {...string, maxLength: 9}).join('\n')).toMatch(/maxLength widened 5 → 9: a reader on v1 rejects values written with the candidate beyond 5/)
    expect(forward(object({a: string}), object({a: string}, {additionalProperties: false}))).toEqual([])
  })
})

describe('recursion and depth', () => {
  it('terminates on a $ref loop through oneOf and still finds a change inside it', () => {
    const list = (valueType: string) => ({definitions: {node: {oneOf: [{type: 'null'}, object({next: {$ref: '#/definitions/node'}, value: {type: valueType}})]}}, $ref: '#/definitions/node'})
    expect(backward(list('integer'), list('number'))).toEqual([])
    expect(backward(list('number'), list('integer')).join('\n')).toMatch(/oneOf branches changed.*property 'value' changed type number → integer/)
  })

  it('walks 5,000 nested oneOf levels without exhausting the stack', () => {
    /** `levels` oneOfs of null or an object whose property `a` holds the next, down to `type`. */
    const nested = (levels: number, type: string) => '{"oneOf":[{"type":"null"},{"type":"object","properties":{"a":'.repeat(levels) + `{"type":"${type}"}` + '}}]}'.repeat(levels)
    const read = (original: string, update: string) => jsonSchemaReadIssues(update, original, {reader: 'the candidate', readerIsNew: true, writer: 'v1'})
    expect(read(nested(5000, 'integer'), nested(5000, 'number'))).toEqual([])
    expect(read(nested(5000, 'number'), nested(5000, 'integer'))).toHaveLength(1)
  })

  it('compares a 50k-property object and 50k required names in linear time', () => {
    const names = Array.from({length: 50_000}, (_, i) => `p${i}`)
    const properties = Object.fromEntries(names.map((name) => [name, string]))
    const started = performance.now()
    const messages = backward(object(properties, {required: names.slice(1)}), object(properties, {required: names}))
    expect(performance.now() - started).toBeLessThan(4000)
    expect(messages).toEqual([expect.stringMatching(/^property 'p0' became required/)])
  })
})
