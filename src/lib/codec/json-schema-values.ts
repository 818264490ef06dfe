import type {ErrorObject, Options, ValidateFunction} from 'ajv'
import type * as AjvCore from 'ajv/dist/core.js'

import {createRequire} from 'node:module'

import {EvtError} from '../errors.js'
import type {NamedSchemaText} from '../registry/references.js'
import {firstProblem, shownValue} from './value-shown.js'

const require = createRequire(import.meta.url)

/** What every draft's Ajv class is (draft-07's, 2019-09's, 2020-12's, draft-04's). */
type Ajv = AjvCore.default

/** Why a value does not fit a JSON Schema, naming the field path; undefined when it fits. */
export type JsonSchemaCheck = (value: unknown) => string | undefined

/**
 * A validator of values against a JSON Schema and the schemas it references (by the names its
 * `$ref`s use). Ajv is loaded and the schema compiled on the first value, so that reading a topic
 * never pays for it. Formats are checked, as Confluent's serializer checks them; keywords Ajv does
 * not know (`connect.type`, …) are ignored, as they are by the registry.
 */
export function jsonSchemaCheck(schema: unknown, references: readonly NamedSchemaText[]): JsonSchemaCheck {
  let validate: undefined | ValidateFunction
  return (value) => {
    validate ??= compile(schema, references)
    if (validate(value)) return undefined
    return firstProblem((validate.errors ?? []).map((error) => describe(error)))
  }
}

/**
 * Why a JSON Schema is not a schema of its draft, by the draft's meta-schema (a `type` that names no
 * type, a `minimum` that is text, a `pattern` that is no regular expression), as Confluent's
 * registry refuses it; undefined when it is one.
 */
export function jsonSchemaDefinitionProblem(schema: unknown): string | undefined {
  if (typeof schema === 'boolean') return undefined
  const ajv = ajvFor(schema)
  try {
    if (ajv.validateSchema(withShortEnums(schema) as object)) return undefined
  } catch {
    // A meta-schema of its own, which evt cannot fetch, or nesting deeper than Ajv's recursive
    // check goes (thousands of levels): taken as written; compatibility checks it at any depth.
    return undefined
  }

  return firstProblem((ajv.errors ?? []).map((error) => `${error.instancePath === '' ? 'the schema' : `'${steps(error.instancePath).join('.')}'`} ${error.message ?? `fails ${error.keyword}`}`))
}

/**
 * A copy of `schema` in which every `enum` keeps only its first value: the meta-schemas say an
 * enum's values are unique, and Ajv checks that by comparing each pair, minutes for a 200k-value
 * enum. Nothing else about an enum's values is checked. Iterative: schemas nest to any depth.
 */
function withShortEnums(schema: unknown): unknown {
  const root = {schema}
  const pending: Array<[Record<string, unknown>, string, unknown]> = [[root, 'schema', schema]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [parent, key, value] = next
    if (value === null || typeof value !== 'object') continue
    const copy = (Array.isArray(value) ? [...value] : {...value}) as Record<string, unknown>
    parent[key] = copy
    for (const [name, child] of Object.entries(copy)) {
      if (name === 'enum' && Array.isArray(child) && child.length > 1) copy[name] = child.slice(0, 1)
      else pending.push([copy, name, child])
    }
  }

  return root.schema
}

function compile(schema: unknown, references: readonly NamedSchemaText[]): ValidateFunction {
  const ajv = ajvFor(schema)
  try {
    for (const referenced of references) ajv.addSchema(JSON.parse(referenced.schema) as object, referenced.name)
    return ajv.compile(schema as object)
  } catch (error) {
    throw new EvtError('SCHEMA_INVALID', `the schema cannot check values: ${(error as Error).message}`)
  }
}

/** Each draft's own vocabulary: 2019-09 and 2020-12 have classes of their own, draft-04 a package; draft-06/07 and no `$schema` are draft-07 (Confluent's default). */
function ajvFor(schema: unknown): Ajv {
  const draft = String((schema as {$schema?: unknown} | null)?.$schema ?? '')
  // validateSchema off: a schema the registry took is used as it is, even with keywords of another draft.
  const options: Options = {allErrors: true, logger: false, strict: false, validateSchema: false, verbose: true}
  type AjvClass = new (options: Options) => Ajv
  const load = (module: string) => (require(module) as {default: AjvClass}).default
  const Class = draft.includes('2020-12') ? load('ajv/dist/2020') : draft.includes('2019-09') ? load('ajv/dist/2019') : draft.includes('draft-04') ? load('ajv-draft-04') : load('ajv')
  const ajv = new Class(options)
  ;(require('ajv-formats') as {default: (ajv: Ajv) => Ajv}).default(ajv)
  return ajv
}

/** One problem as a person reads it: "field 'lines.0.sku' is 5 (a number), expected string". */
function describe(error: ErrorObject): string {
  const path = steps(error.instancePath)
  const at = (steps: string[]) => (steps.length === 0 ? 'the value' : `field '${steps.join('.')}'`)
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required': {
      return `${at([...path, String(params.missingProperty)])} is missing`
    }

    case 'additionalProperties': {
      return `${at([...path, String(params.additionalProperty)])} is not in the schema, which allows no other fields`
    }

    case 'type': {
      return `${at(path)} is ${shownValue(error.data)}, expected ${String(params.type).replaceAll(',', ' or ')}`
    }

    case 'enum': {
      return `${at(path)} is ${shownValue(error.data)}, expected one of ${(params.allowedValues as unknown[]).map((allowed) => JSON.stringify(allowed)).join(', ')}`
    }

    case 'const': {
      return `${at(path)} is ${shownValue(error.data)}, expected ${JSON.stringify(params.allowedValue)}`
    }

    default: {
      return `${at(path)} is ${shownValue(error.data)}, which ${error.message ?? `fails ${error.keyword}`}`
    }
  }
}

/** The steps of a JSON Pointer ("/lines/0/sku" → lines, 0, sku). */
function steps(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((step) => step.replaceAll('~1', '/').replaceAll('~0', '~'))
}
