import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {type EmbeddedDatabase, openEmbeddedDatabase} from '../../../src/lib/embedded/database.js'
import {CheckFailedError} from '../../../src/lib/errors.js'
import {EmbeddedSchemaRegistry} from '../../../src/lib/registry/embedded/embedded-registry.js'
import type {CompatibilityResult, SchemaDefinition} from '../../../src/lib/registry/schema-registry.js'
import {useTempDir} from '../../helpers/temp-dir.js'

/**
 * Two connections to one evt.db stand for two evt processes. The first pauses inside its
 * compatibility check; the second must not be able to write a version in that gap, or both
 * (mutually incompatible) versions would be accepted.
 */
const version = (field: string): SchemaDefinition => ({
  references: [],
  schema: JSON.stringify({fields: [{name: field, type: 'string'}], name: 'Contended', type: 'record'}),
  schemaType: 'AVRO',
})

class PausingRegistry extends EmbeddedSchemaRegistry {
  release!: () => void
  readonly checking: Promise<void>
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve))
  private entered!: () => void

  constructor(db: EmbeddedDatabase) {
    super(db)
    this.checking = new Promise((resolve) => (this.entered = resolve))
  }

  override async checkCompatibility(subject: string, definition: SchemaDefinition): Promise<CompatibilityResult> {
    this.entered()
    await this.gate
    return super.checkCompatibility(subject, definition)
  }
}

describe('embedded registry: compatibility check and write are one transaction', () => {
  const tempDir = useTempDir()
  const opened: EmbeddedDatabase[] = []
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close()
  })
  const open = async () => {
    const db = await openEmbeddedDatabase(path.join(tempDir(), 'evt.db'), {create: true})
    opened.push(db)
    return db
  }

  it('holds the write lock through the check: another connection cannot register in between', async () => {
    const first = new PausingRegistry(await open())
    const otherDb = await open()
    otherDb.pragma('busy_timeout = 50')
    const other = new EmbeddedSchemaRegistry(otherDb)

    const registering = first.register('contended-value', version('a'))
    await first.checking
    // The first connection is mid-check: the other cannot take the write lock.
    await expect(other.register('contended-value', version('b'))).rejects.toThrow(/database is locked|SQLITE_BUSY/)
    first.release()
    expect(await registering).toMatchObject({registered: true, version: 1})

    // Once the first committed, the other's incompatible version is checked against it and refused.
    const refused = await other.register('contended-value', version('b')).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(CheckFailedError)
    expect((refused as Error).message).toMatch(/field 'b' added without a default/)
    expect(await other.versions('contended-value')).toEqual([1])
  })

  it('rolls back and stays usable when the check throws', async () => {
    const registry = new EmbeddedSchemaRegistry(await open())
    await registry.register('json-value', {references: [], schema: '{"type":"object"}', schemaType: 'JSON'})
    const looping = JSON.stringify({definitions: {a: {$ref: '#/definitions/a'}}, properties: {n: {$ref: '#/definitions/a'}}, type: 'object'})
    await expect(registry.register('json-value', {references: [], schema: looping, schemaType: 'JSON'})).rejects.toMatchObject({code: 'SCHEMA_INVALID'})
    expect((await registry.register('json-value', {references: [], schema: '{"type":"object","properties":{}}', schemaType: 'JSON'})).version).toBe(2)
  })

  it('queues concurrent registrations of one process on its one connection', async () => {
    const registry = new EmbeddedSchemaRegistry(await open())
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((field) => registry.register('queued-value', version(field))))
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason)).toSatisfy(
      (reasons: unknown[]) => reasons.every((reason) => reason instanceof CheckFailedError),
    )
    expect(await registry.versions('queued-value')).toEqual([1])
  })
})
