import type {Schema, Type} from 'avsc'

import {firstProblem, shownValue} from './value-shown.js'

/**
 * Why a value does not fit an Avro type, naming the field path and the type expected there:
 * "field 'customer.id' is 7 (a number), expected string". avsc's own error names only the type
 * ('invalid "bytes": undefined'). Undefined when the value fits.
 */
export function avroMismatch(type: Type, value: unknown): string | undefined {
  const problems: string[] = []
  type.isValid(value, {
    errorHook(path: string[], found: unknown, expected: Type) {
      const where = path.length === 0 ? 'the value' : `field '${path.join('.')}'`
      problems.push(`${where} ${found === undefined ? 'is missing' : `is ${shownValue(found)}`}, expected ${describeAvroType(expected.schema())}`)
    },
  })
  return firstProblem(problems)
}

/** An Avro type as a reader of the schema would name it: "string", "decimal (bytes)", "null | int", "record Refund". */
export function describeAvroType(schema: Schema): string {
  if (typeof schema === 'string') return schema
  if (Array.isArray(schema)) return schema.map(describeAvroType).join(' | ')
  const named = schema as {items?: Schema; logicalType?: string; name?: string; type: Schema; values?: Schema}
  if (named.logicalType) return `${named.logicalType} (${describeAvroType(named.type)})`
  switch (named.type) {
    case 'array': {
      return `array of ${describeAvroType(named.items!)}`
    }

    case 'map': {
      return `map of ${describeAvroType(named.values!)}`
    }

    case 'enum':
    case 'fixed':
    case 'record': {
      return `${named.type} ${named.name}`
    }

    default: {
      return describeAvroType(named.type)
    }
  }
}
