import {ConfigError} from '../errors.js'
import {parseValuePath} from '../util/value-path.js'

/** The record's own fields a view column can name with `$`: `$offset`, `$type`, … */
export const RECORD_FIELDS = ['key', 'offset', 'partition', 'timestamp', 'topic', 'type'] as const
export type RecordField = (typeof RECORD_FIELDS)[number]

export interface KeyLocator {
  kind: 'key'
  text: string
}

export interface HeaderLocator {
  kind: 'header'
  name: string
  text: string
}

export interface PathLocator {
  kind: 'path'
  path: string
  text: string
  /** `[*]` somewhere: the path collects every match instead of reaching one value. */
  wildcard: boolean
}

/**
 * Where a value sits in a record, as evt.yaml names it, parsed once when the file is read:
 * `key` (the record key as text, decoded first when it is not plain text), `header:NAME` (the last
 * header of that name), `$.a.b[0]` (a path into the decoded value). `text` is what was written.
 */
export type IdLocator = HeaderLocator | KeyLocator | PathLocator

/** What a view column may also name: the whole value (`$`) and the record's fields (`$offset`, …). */
export type ColumnLocator = HeaderLocator | PathLocator | {field: RecordField; kind: 'record'; text: string} | {kind: 'value'; text: string}

const ID_FORMS = 'key, header:NAME or a value path like $.orderId'
const COLUMN_FORMS = `a value path ($.field, $.a.b[0], $.items[*].sku), $ for the whole value, header:NAME, or one of ${RECORD_FIELDS.map((f) => `$${f}`).join(', ')}`

/** A flow id or a view key: `key`, `header:NAME` or `$.path`. Throws a ConfigError saying what is wrong. */
export function parseIdLocator(text: string): IdLocator {
  if (text === 'key') return {kind: 'key', text}
  return headerOrPath(text) ?? refuse(`'${text}' is not ${ID_FORMS}`)
}

/** A view column: `$.path`, `$`, `header:NAME` or `$offset`-style record fields. */
export function parseColumnLocator(text: string): ColumnLocator {
  if (text === '$') return {kind: 'value', text}
  const field = RECORD_FIELDS.find((name) => text === `$${name}`)
  if (field) return {field, kind: 'record', text}
  return headerOrPath(text) ?? refuse(`'${text}' is not ${COLUMN_FORMS}`)
}

function headerOrPath(text: string): HeaderLocator | PathLocator | undefined {
  if (text.startsWith('header:')) {
    const name = text.slice('header:'.length)
    if (name === '') refuse(`'${text}' names no header: write header:NAME, e.g. header:ce_id`)
    return {kind: 'header', name, text}
  }

  if (!text.startsWith('$.') && !text.startsWith('$[')) return undefined
  // Parsed here so a bad path (`$.items[`) fails when evt.yaml is read, not at the first record.
  const steps = parseValuePath(text)
  return {kind: 'path', path: text, text, wildcard: steps.some((step) => 'wildcard' in step)}
}

function refuse(message: string): never {
  throw new ConfigError(message)
}
