import {type Headers, lastHeader} from '../log/event-log.js'
import {ShortTexts} from './short-text.js'

/** A log holds few event types, named by millions of records. */
const typeNames = new ShortTexts(4096)

/**
 * The event type of a record: its CloudEvents `ce_type` header, else the short name of the
 * schema's record (Avro full name without namespace), else null.
 */
export function eventTypeOf(headers: Headers, schemaRecordName: string | undefined): null | string {
  const header = lastHeader(headers, 'ce_type')
  if (header) return typeNames.decode(header)
  return schemaRecordName ? schemaRecordName.slice(schemaRecordName.lastIndexOf('.') + 1) : null
}
