import {createRequire} from 'node:module'

import type {SchemaDefinition} from './schema-registry.js'

// node:crypto is required where a schema is hashed: it takes milliseconds to compile, and most commands never hash one.
const require = createRequire(import.meta.url)

/**
 * Identity of a schema for idempotent registration: JSON schemas compare by their parsed form
 * (whitespace and key order do not matter), Protobuf by its text; references are part of it.
 */
export function schemaFingerprint({references, schema, schemaType}: SchemaDefinition): string {
  const body = schemaType === 'PROTOBUF' ? schema.trim() : canonicalJson(schema)
  const {createHash} = require('node:crypto') as typeof import('node:crypto')
  return createHash('sha256')
    .update(JSON.stringify([schemaType, body, references.map((r) => [r.name, r.subject, r.version])]))
    .digest('hex')
}

function canonicalJson(text: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)))
  } catch {
    return text.trim()
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    )
  }

  return value
}
