import {randomUUID} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Backend} from '../../src/lib/backend.js'
import {NotFoundError} from '../../src/lib/errors.js'
import type {SchemaDefinition} from '../../src/lib/registry/schema-registry.js'

const avro = (fields: unknown[], name = 'Thing'): SchemaDefinition => ({
  references: [],
  schema: JSON.stringify({fields, name, namespace: `contract.n${randomUUID().slice(0, 8)}`, type: 'record'}),
  schemaType: 'AVRO',
})

/** The behaviour every SchemaRegistry must have, embedded or a Confluent-API server. */
export function schemaRegistryContract(name: string, open: () => Promise<Backend>): void {
  describe(`SchemaRegistry contract: ${name}`, () => {
    let backend: Backend
    const subjectName = () => `contract-${randomUUID().slice(0, 8)}-value`

    beforeAll(async () => {
      backend = await open()
    })
    afterAll(async () => {
      await backend?.close()
    })

    it('registers idempotently: the same schema gets the same id and no new version', async () => {
      const subject = subjectName()
      const schema = avro([{name: 'id', type: 'string'}])
      const first = await backend.registry.register(subject, schema)
      expect(first).toMatchObject({registered: true, subject, version: 1})
      const again = await backend.registry.register(subject, schema)
      expect(again).toEqual({...first, registered: false})
      expect(await backend.registry.versions(subject)).toEqual([1])
    })

    it('treats whitespace and key order as the same schema', async () => {
      const subject = subjectName()
      const schema = avro([{name: 'id', type: 'string'}])
      const {id} = await backend.registry.register(subject, schema)
      const reformatted = JSON.stringify(JSON.parse(schema.schema), null, 4)
      expect((await backend.registry.register(subject, {...schema, schema: reformatted})).id).toBe(id)
    })

    it('numbers versions per subject and serves each by number and as latest', async () => {
      const subject = subjectName()
      const v1 = avro([{name: 'id', type: 'string'}], 'Evolving')
      const v2 = {...v1, schema: JSON.stringify({...JSON.parse(v1.schema), fields: [{name: 'id', type: 'string'}, {default: 0, name: 'n', type: 'int'}]})}
      const first = await backend.registry.register(subject, v1)
      const second = await backend.registry.register(subject, v2)
      expect(second.version).toBe(2)
      expect(second.id).not.toBe(first.id)
      expect(await backend.registry.versions(subject)).toEqual([1, 2])
      expect(await backend.registry.listSubjects()).toContain(subject)
      expect((await backend.registry.getVersion(subject, 'latest')).id).toBe(second.id)
      expect(JSON.parse((await backend.registry.getVersion(subject, 1)).schema)).toEqual(JSON.parse(v1.schema))
      expect(await backend.registry.lookup(subject, v2)).toMatchObject({id: second.id, subject, version: 2})
    })

    it('gives the same schema the same id under another subject (ids name content)', async () => {
      const schema = avro([{name: 'shared', type: 'long'}])
      const a = await backend.registry.register(subjectName(), schema)
      const b = await backend.registry.register(subjectName(), schema)
      expect(b).toMatchObject({id: a.id, registered: true, version: 1})
    })

    it('registers JSON Schema too', async () => {
      const subject = subjectName()
      const schema = JSON.stringify({$schema: 'http://json-schema.org/draft-07/schema#', properties: {id: {type: 'string'}}, title: 'Note', type: 'object'})
      const {id} = await backend.registry.register(subject, {references: [], schema, schemaType: 'JSON'})
      expect(await backend.registry.getSchema(id)).toMatchObject({id, schemaType: 'JSON'})
      expect(JSON.parse((await backend.registry.getSchema(id)).schema)).toEqual(JSON.parse(schema))
    })

    it('finds a schema by id and the subjects that hold it', async () => {
      const subject = subjectName()
      const schema = avro([{name: 'amount', type: 'double'}])
      const {id} = await backend.registry.register(subject, schema)
      const stored = await backend.registry.getSchema(id)
      expect(stored.schemaType).toBe('AVRO')
      expect(JSON.parse(stored.schema)).toEqual(JSON.parse(schema.schema))
      expect(await backend.registry.subjectVersionsForId(id)).toContainEqual({subject, version: 1})
    })

    it('stores compatibility levels per subject', async () => {
      const subject = subjectName()
      await backend.registry.register(subject, avro([{name: 'id', type: 'string'}]))
      await backend.registry.setCompatibility('FULL_TRANSITIVE', subject)
      expect(await backend.registry.getCompatibility(subject)).toBe('FULL_TRANSITIVE')
      await backend.registry.setCompatibility('NONE', subject)
      expect(await backend.registry.getCompatibility(subject)).toBe('NONE')
    })

    it('checks a transitive level against every version, a plain one against the latest only', async () => {
      const subject = subjectName()
      const namespace = `contract.n${randomUUID().slice(0, 8)}`
      const version = (fields: unknown[]): SchemaDefinition => ({references: [], schema: JSON.stringify({fields, name: 'Thing', namespace, type: 'record'}), schemaType: 'AVRO'})
      const id = {name: 'id', type: 'int'}
      await backend.registry.setCompatibility('BACKWARD', subject)
      await backend.registry.register(subject, version([id]))
      await backend.registry.register(subject, version([id, {default: '', name: 'label', type: 'string'}]))
      // Readable from version 2 (which has label), not from version 1 (which lacks it, and there is no default).
      const candidate = version([id, {name: 'label', type: 'string'}])
      expect(await backend.registry.checkCompatibility(subject, candidate)).toMatchObject({compatible: true, level: 'BACKWARD'})
      await backend.registry.setCompatibility('BACKWARD_TRANSITIVE', subject)
      const transitive = await backend.registry.checkCompatibility(subject, candidate)
      expect(transitive).toMatchObject({compatible: false, level: 'BACKWARD_TRANSITIVE'})
      expect(transitive.messages.join('\n')).toMatch(/label/)
    })

    it('says which subjects exist when one is unknown, and rejects unknown ids', async () => {
      await expect(backend.registry.versions(`missing-${randomUUID()}`)).rejects.toBeInstanceOf(NotFoundError)
      await expect(backend.registry.getSchema(987_654_321)).rejects.toBeInstanceOf(NotFoundError)
    })
  })
}
