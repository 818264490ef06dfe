import type {ValueKind} from './value-kinds.js'

/**
 * Proto3's JSON mapping of Google's well-known types, as Confluent's Protobuf console consumer
 * prints them (protobuf-java's JsonFormat): a Timestamp is RFC 3339 text, a Duration "1.5s", a
 * wrapper its value, a Struct, Value or ListValue plain JSON, a FieldMask "a.b,cD". protobufjs's
 * toObject gives them as messages ({seconds, nanos}); these turn one form into the other. Field
 * names are those of protobufjs's definitions of these files (camelCase).
 */

type MessageObject = Record<string, unknown>

const WRAPPERS = new Set(['BoolValue', 'BytesValue', 'DoubleValue', 'FloatValue', 'Int32Value', 'Int64Value', 'StringValue', 'UInt32Value', 'UInt64Value'])
const WRAPPER_KINDS: Record<string, ValueKind> = {BoolValue: 'boolean', DoubleValue: 'number', FloatValue: 'number', Int32Value: 'integer', Int64Value: 'integer', UInt32Value: 'integer', UInt64Value: 'integer'}
const CONVERTED = new Set([...WRAPPERS, 'Duration', 'FieldMask', 'ListValue', 'Struct', 'Timestamp', 'Value'])

/** The well-known type a protobufjs full name (".google.protobuf.Timestamp") names, when its JSON form is not its message form. */
export function wellKnownJsonType(fullName: string): string | undefined {
  const name = fullName.startsWith('.google.protobuf.') ? fullName.slice('.google.protobuf.'.length) : undefined
  return name !== undefined && CONVERTED.has(name) ? name : undefined
}

/** What a value of the type is in JSON, for view columns. */
export function wellKnownKind(name: string): ValueKind {
  if (name === 'Timestamp') return 'timestamp'
  if (name === 'Struct' || name === 'ListValue' || name === 'Value') return 'json'
  return WRAPPER_KINDS[name] ?? 'text'
}

/** toObject's message form → the JSON form; a message that cannot have one (a Timestamp past year 9999) stays as it is. */
export function wellKnownToJson(name: string, message: MessageObject): unknown {
  if (WRAPPERS.has(name)) return message.value
  switch (name) {
    case 'Duration': {
      const seconds = BigInt(String(message.seconds ?? 0))
      const nanos = Number(message.nanos ?? 0)
      const negative = seconds < 0n || nanos < 0
      const whole = seconds < 0n ? -seconds : seconds
      return `${negative ? '-' : ''}${whole}${fraction(Math.abs(nanos))}s`
    }

    case 'FieldMask': {
      return ((message.paths as string[] | undefined) ?? []).map((path) => path.replaceAll(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())).join(',')
    }

    case 'ListValue': {
      return ((message.values as MessageObject[] | undefined) ?? []).map((value) => valueToJson(value))
    }

    case 'Struct': {
      return structToJson(message)
    }

    case 'Timestamp': {
      const seconds = Number(message.seconds ?? 0)
      const nanos = Number(message.nanos ?? 0)
      const date = new Date(seconds * 1000)
      // RFC 3339 has years 0001-9999 only; outside them the message is shown as it is.
      if (!Number.isFinite(seconds) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999 || nanos < 0 || nanos > 999_999_999) return message
      return `${date.toISOString().slice(0, 19)}${fraction(nanos)}Z`
    }

    case 'Value': {
      return valueToJson(message)
    }

    default: {
      return message
    }
  }
}

/**
 * The JSON form → what protobufjs's fromObject takes. A value already in message form (an object
 * for a Timestamp, Duration or wrapper, as evt printed them before) is left as it is, so is one
 * that is neither form: verify names it then.
 */
export function wellKnownFromJson(name: string, value: unknown): unknown {
  if (WRAPPERS.has(name)) return typeof value === 'object' ? value : {value}
  switch (name) {
    case 'Duration': {
      const match = typeof value === 'string' ? /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(value) : null
      if (!match) return value
      const sign = match[1] ? -1 : 1
      return {nanos: sign * Number((match[3] ?? '').padEnd(9, '0')), seconds: `${match[1] ?? ''}${match[2]}`}
    }

    case 'FieldMask': {
      return typeof value === 'string' ? {paths: value === '' ? [] : value.split(',').map((path) => path.replaceAll(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`))} : value
    }

    case 'ListValue': {
      return Array.isArray(value) ? {values: value.map((item) => valueFromJson(item))} : value
    }

    case 'Struct': {
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? structFromJson(value as MessageObject) : value
    }

    case 'Timestamp': {
      const match = typeof value === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(value) : null
      const millis = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN
      if (Number.isNaN(millis)) return value
      return {nanos: Number((match![2] ?? '').padEnd(9, '0')), seconds: String(millis / 1000)}
    }

    case 'Value': {
      return valueFromJson(value)
    }

    default: {
      return value
    }
  }
}

/** Nanoseconds as JsonFormat writes them: none, or 3, 6 or 9 digits. */
function fraction(nanos: number): string {
  if (nanos === 0) return ''
  const digits = String(nanos).padStart(9, '0')
  return `.${nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1000 === 0 ? digits.slice(0, 6) : digits}`
}

function structToJson(message: MessageObject): MessageObject {
  const fields = (message.fields as Record<string, MessageObject> | undefined) ?? {}
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, valueToJson(value)]))
}

function valueToJson(value: MessageObject): unknown {
  if (value.structValue !== undefined) return structToJson(value.structValue as MessageObject)
  if (value.listValue !== undefined) return wellKnownToJson('ListValue', value.listValue as MessageObject)
  if (value.numberValue !== undefined) return value.numberValue
  if (value.stringValue !== undefined) return value.stringValue
  if (value.boolValue !== undefined) return value.boolValue
  return null
}

function structFromJson(object: MessageObject): MessageObject {
  return {fields: Object.fromEntries(Object.entries(object).map(([key, item]) => [key, valueFromJson(item)]))}
}

function valueFromJson(value: unknown): MessageObject {
  // NULL_VALUE by number: protobufjs's verify takes an enum's numbers only.
  if (value === null || value === undefined) return {nullValue: 0}
  if (Array.isArray(value)) return {listValue: {values: value.map((item) => valueFromJson(item))}}
  switch (typeof value) {
    case 'boolean': {
      return {boolValue: value}
    }

    case 'number': {
      return {numberValue: value}
    }

    case 'object': {
      return {structValue: structFromJson(value as MessageObject)}
    }

    default: {
      return {stringValue: String(value)}
    }
  }
}
