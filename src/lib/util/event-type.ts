import {type Headers, lastHeader} from '../log/event-log.js'

/**
 * The event type of a record: its CloudEvents `ce_type` header, else the short name of the
 * schema's record (Avro full name without namespace), else null.
 */
export function eventTypeOf(headers: Headers, schemaRecordName: string | undefined): null | string {
  const header = lastHeader(headers, 'ce_type')
  if (header) return header.toString('utf8')
  return schemaRecordName ? schemaRecordName.slice(schemaRecordName.lastIndexOf('.') + 1) : null
}
