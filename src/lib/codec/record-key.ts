import {plainText} from './raw.js'
import type {DecodedPayload} from './record-decoder.js'

/** Decodes a record's key or value bytes (a RecordDecoder, prepared for the record). */
export type DecodeBytes = (bytes: Buffer | null, topic: string) => DecodedPayload | null

/**
 * What `key` means wherever evt.yaml says it (a flow id, a view key, a `$key` column): a plain-text
 * key as it is, any other (written with a schema, JSON, binary) decoded first. Null for no key.
 */
export function decodedKey(record: {key: Buffer | null; topic: string}, decode: DecodeBytes): unknown {
  // plainText first: it spares the decoder's checks and result object for the usual id keys.
  return plainText(record.key) ?? decode(record.key, record.topic)?.value ?? null
}

/** A key found anywhere (a decoded key, a header, a value field) as text; null and undefined are no key. */
export function asKeyText(key: unknown): string | undefined {
  if (key === null || key === undefined) return undefined
  if (typeof key === 'string') return key
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key)
  return JSON.stringify(key)
}
