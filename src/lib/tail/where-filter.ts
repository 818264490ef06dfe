import {headersToJson, type HeadersJson, keyToJson} from '../codec/json-shape.js'
import type {DecodedPayload} from '../codec/record-decoder.js'
import {UsageError} from '../errors.js'
import type {LogRecord} from '../log/event-log.js'
import {eventTypeOf} from '../util/event-type.js'

/** What a --where expression sees of a record. */
export interface WhereInput {
  decodeKey(): DecodedPayload | null
  decodeValue(): DecodedPayload | null
  record: LogRecord
}

export type WhereFilter = (input: WhereInput) => Promise<boolean>

/** The fields a --where expression can use: those `topic tail --json` prints (record-format.ts). */
export const WHERE_FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers', 'type', 'schema', 'valueEncoding'] as const

/**
 * Compiles a JSONata expression over the fields `topic tail --json` prints (WHERE_FIELDS), in the
 * same shapes (json-shape.ts; `type` is the ce_type header, else the schema's record name), except
 * `timestamp`, which is epoch milliseconds so that it compares as a number. Fields are getters that
 * build on first use, so an expression on headers, partition, offset, timestamp, or `type` of a
 * record with a ce_type header, never decodes a value. A parse error is exit 2 with its position.
 */
export async function compileWhere(expression: string): Promise<WhereFilter> {
  const {default: jsonata} = await import('jsonata')
  let compiled: ReturnType<typeof jsonata>
  try {
    compiled = jsonata(expression)
  } catch (error) {
    const {message, position, token} = error as {message: string; position?: number; token?: string}
    const near = token === undefined || token === '(end)' ? '' : ` (near '${token}')`
    throw new UsageError(`cannot parse --where at character ${position ?? '?'}${near}: ${message}`, {
      hint: `--where takes a JSONata expression, e.g. "value.total > 100 and headers.ce_type = 'OrderRequested'"`,
    })
  }

  return async ({decodeKey, decodeValue, record}) => {
    let headers: HeadersJson | undefined
    const view = {
      get headers() {
        return (headers ??= headersToJson(record.headers))
      },
      get key() {
        return keyToJson(decodeKey())
      },
      offset: record.offset,
      partition: record.partition,
      get schema() {
        return decodeValue()?.schema ?? null
      },
      timestamp: record.timestamp,
      topic: record.topic,
      get type() {
        // The header alone decides when present: decoding is only for the schema's record name.
        return eventTypeOf(record.headers, undefined) ?? eventTypeOf(record.headers, decodeValue()?.type)
      },
      get value() {
        return decodeValue()?.value ?? null
      },
      get valueEncoding() {
        return decodeValue()?.encoding ?? null
      },
    }
    try {
      return Boolean(await compiled.evaluate(view))
    } catch (error) {
      throw new UsageError(`--where failed on ${record.topic}[${record.partition}]@${record.offset}: ${(error as Error).message}`)
    }
  }
}
