import {SchemaRegistry as ConfluentClient, SchemaType} from '@kafkajs/confluent-schema-registry'
import {afterEach, describe, expect, it} from 'vitest'

import {type RegistryServer, startRegistryServer} from '../../../src/lib/registry/server/registry-server.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const order = {fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'long'}], name: 'Order', namespace: 'retail', type: 'record'}

/** A real Kafka client library (the serializer side of a Node producer and consumer) against the server. */
describe('the registry server with @kafkajs/confluent-schema-registry', () => {
  const openEmbedded = useEmbeddedBackend()
  let server: RegistryServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('registers, encodes in the wire format and decodes, for Avro and JSON Schema', async () => {
    const {registry} = await openEmbedded()
    server = await startRegistryServer({port: 0, registry})
    const client = new ConfluentClient({host: server.url}, {[SchemaType.JSON]: {strict: true}})

    const {id} = await client.register({schema: JSON.stringify(order), type: SchemaType.AVRO}, {subject: 'orders-value'})
    const bytes = await client.encode(id, {orderId: '1042', total: 1250})
    expect(bytes.readUInt8(0)).toBe(0)
    expect(bytes.readUInt32BE(1)).toBe(id)
    expect(await new ConfluentClient({host: server.url}).decode(bytes)).toEqual({orderId: '1042', total: 1250})
    // First registration: the client set the subject's level, as it does on Confluent's server.
    expect(await registry.getCompatibility('orders-value')).toBe('BACKWARD')
    expect(await client.getLatestSchemaId('orders-value')).toBe(id)

    const note = {properties: {text: {type: 'string'}}, required: ['text'], title: 'Note', type: 'object'}
    const json = await client.register({schema: JSON.stringify(note), type: SchemaType.JSON}, {subject: 'notes-value'})
    const decoded = await new ConfluentClient({host: server.url}).decode(await client.encode(json.id, {text: 'hello'}))
    expect(decoded).toEqual({text: 'hello'})
    expect(await registry.versions('notes-value')).toEqual([1])
  })
})
