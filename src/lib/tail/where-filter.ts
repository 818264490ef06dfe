import {headersToJson, type HeadersJson, keyToJson} from '../codec/json-shape.js'
import type {DecodedPayload} from '../codec/record-decoder.js'
import {UsageError} from '../errors.js'
import type {LogRecord} from '../log/event-log.js'

/** What a --where expression sees of a record. */
export interface WhereInput {
  decodeKey(): DecodedPayload | null
  decodeValue(): DecodedPayload | null
  record: LogRecord
}

export type WhereFilter = (input: WhereInput) => Promise<boolean>

/**
 * Compiles a JSONata expression over {topic, partition, offset, timestamp (ms), key, value,
 * headers}, with key and headers in the shape `topic tail --json` prints them (json-shape.ts).
 * `key`, `value` and `headers` are getters that build on first use, so an expression on headers,
 * partition, offset or timestamp alone never decodes a value. A parse error is exit 2 with its position.
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
      timestamp: record.timestamp,
      topic: record.topic,
      get value() {
        return decodeValue()?.value ?? null
      },
    }
    try {
      return Boolean(await compiled.evaluate(view))
    } catch (error) {
      throw new UsageError(`--where failed on ${record.topic}[${record.partition}]@${record.offset}: ${(error as Error).message}`)
    }
  }
}
