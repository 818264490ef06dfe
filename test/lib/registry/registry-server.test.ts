import {request as httpRequest} from 'node:http'
import {connect, createServer as createTcpServer, type Server as TcpServer} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/lib/errors.js'
import type {SchemaRegistry} from '../../../src/lib/registry/schema-registry.js'
import {type RegistryServer, type RequestLogEntry, startRegistryServer} from '../../../src/lib/registry/server/registry-server.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const order = {fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'long'}], name: 'Order', namespace: 'retail', type: 'record'}
const orderNarrowed = {...order, fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'int'}]}
const orderWithNote = {...order, fields: [...order.fields, {default: null, name: 'note', type: ['null', 'string']}]}

describe('the registry server (Confluent REST API over the embedded registry)', () => {
  const openEmbedded = useEmbeddedBackend()
  const started: RegistryServer[] = []
  afterEach(async () => {
    for (const server of started.splice(0)) await server.close()
  })

  async function serve(options: {maxBodyBytes?: number; onRequest?: (entry: RequestLogEntry) => void; registry?: SchemaRegistry} = {}) {
    const registry = options.registry ?? (await openEmbedded()).registry
    const server = await startRegistryServer({maxBodyBytes: options.maxBodyBytes, onRequest: options.onRequest, port: 0, registry})
    started.push(server)
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {'Content-Type': CONTENT_TYPE}) => {
      const response = await fetch(`${server.url}${path}`, {
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        headers,
        method,
      })
      const text = await response.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }

      return {contentType: response.headers.get('content-type'), json: json as Record<string, unknown>, status: response.status, text}
    }

    const register = (subject: string, schema: unknown, extra: object = {}) =>
      call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {schema: typeof schema === 'string' ? schema : JSON.stringify(schema), ...extra})
    return {call, register, server}
  }

  it('binds to 127.0.0.1 and answers GET / with {} in the Confluent content type', async () => {
    const {call, server} = await serve()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const root = await call('GET', '/')
    expect(root).toMatchObject({contentType: CONTENT_TYPE, json: {}, status: 200})
  })

  it('registers, lists and serves versions, ids and raw schemas with Confluent shapes', async () => {
    const {call, register} = await serve()
    expect(await register('orders-value', order)).toMatchObject({json: {id: 1}, status: 200})
    expect((await register('orders-value', orderWithNote)).json).toEqual({id: 2})
    expect((await register('orders-value', order)).json).toEqual({id: 1})

    expect((await call('GET', '/subjects')).json).toEqual(['orders-value'])
    expect((await call('GET', '/subjects/orders-value/versions')).json).toEqual([1, 2])
    expect((await call('GET', '/subjects/orders-value/versions/latest')).json).toEqual({id: 2, schema: JSON.stringify(orderWithNote), subject: 'orders-value', version: 2})
    expect((await call('GET', '/subjects/orders-value/versions/-1')).json).toMatchObject({version: 2})
    const raw = await call('GET', '/subjects/orders-value/versions/1/schema')
    expect(JSON.parse(raw.text)).toEqual(order)
    expect((await call('GET', '/schemas/ids/1')).json).toEqual({schema: JSON.stringify(order)})
    expect((await call('GET', '/schemas/ids/2/versions')).json).toEqual([{subject: 'orders-value', version: 2}])
    expect((await call('GET', '/schemas/types')).json).toEqual(['JSON', 'PROTOBUF', 'AVRO'])
    expect((await call('POST', '/subjects/orders-value', {schema: JSON.stringify(order)})).json).toEqual({
      id: 1,
      schema: JSON.stringify(order),
      subject: 'orders-value',
      version: 1,
    })
  })

  it('keeps JSON Schema and Protobuf types and references in its answers', async () => {
    const {call, register} = await serve()
    const note = {properties: {id: {type: 'string'}}, title: 'Note', type: 'object'}
    const {json} = await register('notes-value', note, {schemaType: 'JSON'})
    expect((await call('GET', `/schemas/ids/${json.id}`)).json).toEqual({schema: JSON.stringify(note), schemaType: 'JSON'})

    const money = 'syntax = "proto3";\npackage shop;\nmessage Money { string currency = 1; int64 units = 2; }\n'
    expect((await register('money', money, {schemaType: 'PROTOBUF'})).status).toBe(200)
    const price = 'syntax = "proto3";\npackage shop;\nimport "money.proto";\nimport "google/protobuf/timestamp.proto";\nmessage Price { Money amount = 1; google.protobuf.Timestamp at = 2; }\n'
    const references = [{name: 'money.proto', subject: 'money', version: 1}]
    const priced = await register('prices-value', price, {references, schemaType: 'PROTOBUF'})
    expect(priced.status).toBe(200)
    expect((await call('GET', '/subjects/prices-value/versions/1')).json).toEqual({
      id: priced.json.id,
      references,
      schema: price,
      schemaType: 'PROTOBUF',
      subject: 'prices-value',
      version: 1,
    })
  })

  it('rejects an incompatible schema with 409 and every reason, and checks compatibility with verbose messages', async () => {
    const {call, register} = await serve()
    await register('orders-value', order)
    const rejected = await register('orders-value', orderNarrowed)
    expect(rejected.status).toBe(409)
    expect(rejected.json.error_code).toBe(409)
    expect(rejected.json.message).toContain('Schema being registered is incompatible with an earlier schema for subject "orders-value"')
    expect(rejected.json.message).toContain("field 'total' changed long → int")
    expect((await call('GET', '/subjects/orders-value/versions')).json).toEqual([1])

    const verbose = await call('POST', '/compatibility/subjects/orders-value/versions/latest?verbose=true', {schema: JSON.stringify(orderNarrowed)})
    expect(verbose.json).toEqual({is_compatible: false, messages: [expect.stringContaining("field 'total' changed long → int")]})
    const quiet = await call('POST', '/compatibility/subjects/orders-value/versions/1', {schema: JSON.stringify(orderWithNote)})
    expect(quiet.json).toEqual({is_compatible: true})
    const fresh = await call('POST', '/compatibility/subjects/new-value/versions/latest?verbose=true', {schema: JSON.stringify(order)})
    expect(fresh.json).toEqual({is_compatible: true, messages: []})
    const invalid = await call('POST', '/compatibility/subjects/orders-value/versions/latest?verbose=true', {schema: '{"type": "record"'})
    expect(invalid.json).toMatchObject({is_compatible: false, messages: [expect.stringContaining('Invalid schema')]})
  })

  it('gets and sets compatibility levels, refusing unknown ones with 42203', async () => {
    const {call} = await serve()
    expect((await call('GET', '/config')).json).toEqual({compatibilityLevel: 'BACKWARD'})
    expect((await call('PUT', '/config/orders-value', {compatibility: 'full_transitive'})).json).toEqual({compatibility: 'FULL_TRANSITIVE'})
    expect((await call('GET', '/config/orders-value?defaultToGlobal=true')).json).toEqual({compatibilityLevel: 'FULL_TRANSITIVE'})
    expect((await call('GET', '/config/orders-value')).json).toEqual({compatibilityLevel: 'FULL_TRANSITIVE'})
    expect((await call('PUT', '/config', {compatibility: 'NONE'})).json).toEqual({compatibility: 'NONE'})
    expect((await call('GET', '/config/other-value?defaultToGlobal=true')).json).toEqual({compatibilityLevel: 'NONE'})
    // Confluent's answer for a subject without a level of its own (clients take it as "first registration").
    expect(await call('GET', '/config/other-value')).toMatchObject({json: {error_code: 40408}, status: 404})
    const bad = await call('PUT', '/config', {compatibility: 'SOMETIMES'})
    expect(bad).toMatchObject({json: {error_code: 42203}, status: 422})
    expect((await call('PUT', '/config', {})).json.error_code).toBe(42203)
  })

  it('answers unknown subjects, versions and ids with 40401, 40402 and 40403, and bad versions with 42202', async () => {
    const {call, register} = await serve()
    await register('orders-value', order)
    expect(await call('GET', '/subjects/nope/versions')).toMatchObject({json: {error_code: 40401, message: "Subject 'nope' not found."}, status: 404})
    expect((await call('GET', '/subjects/nope/versions/latest')).json.error_code).toBe(40401)
    expect((await call('POST', '/subjects/nope', {schema: JSON.stringify(order)})).json.error_code).toBe(40401)
    expect(await call('GET', '/subjects/orders-value/versions/7')).toMatchObject({json: {error_code: 40402, message: 'Version 7 not found.'}, status: 404})
    expect((await call('POST', '/compatibility/subjects/orders-value/versions/7', {schema: JSON.stringify(order)})).json.error_code).toBe(40402)
    expect(await call('GET', '/schemas/ids/4242')).toMatchObject({json: {error_code: 40403, message: 'Schema 4242 not found'}, status: 404})
    expect((await call('GET', '/schemas/ids/4242/versions')).json.error_code).toBe(40403)
    expect(await call('POST', '/subjects/orders-value', {schema: JSON.stringify(orderNarrowed)})).toMatchObject({json: {error_code: 40403}, status: 404})
    for (const version of ['0', 'abc', '-2', '99999999999']) {
      expect(await call('GET', `/subjects/orders-value/versions/${version}`)).toMatchObject({json: {error_code: 42202}, status: 422})
    }
  })

  it('refuses invalid schemas with 42201, never 500', async () => {
    const {call, register} = await serve()
    const invalid = [
      register('a', '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "nope"}]}'),
      register('a', 'not json at all'),
      register('a', {fields: [{default: 'x', name: 'n', type: 'int'}], name: 'A', type: 'record'}),
      register('a', ''),
      register('a', '[1, 2]', {schemaType: 'JSON'}),
      register('a', 'message {', {schemaType: 'PROTOBUF'}),
      register('a', 'syntax = "proto3";\nmessage A { Missing m = 1; }', {schemaType: 'PROTOBUF'}),
      register('a', order, {schemaType: 'XML'}),
      register('a', {fields: [{name: 'm', type: 'shop.Money'}], name: 'A', type: 'record'}, {references: [{name: 'shop.Money', subject: 'money', version: 1}]}),
      call('POST', '/subjects/a/versions', {schemaType: 'AVRO'}),
    ]
    for (const answer of await Promise.all(invalid)) {
      expect(answer).toMatchObject({json: {error_code: 42201, message: expect.stringContaining('Invalid schema')}, status: 422})
    }

    expect((await call('GET', '/subjects')).json).toEqual([])
  })

  it('answers malformed requests with Confluent-shaped errors: 400, 404, 405, 415, 422', async () => {
    const {call} = await serve()
    expect(await call('POST', '/subjects/a/versions', '{"schema": ')).toMatchObject({contentType: CONTENT_TYPE, json: {error_code: 400}, status: 400})
    expect(await call('POST', '/subjects/a/versions', '[1]')).toMatchObject({json: {error_code: 400}, status: 400})
    expect(await call('POST', '/subjects/a/versions', {references: 'x', schema: '"string"'})).toMatchObject({json: {error_code: 400}, status: 400})
    expect(await call('POST', '/subjects/a/versions', '')).toMatchObject({json: {error_code: 422}, status: 422})
    expect(await call('GET', '/no/such/route')).toMatchObject({json: {error_code: 404, message: 'HTTP 404 Not Found'}, status: 404})
    expect(await call('GET', '/schemas/ids/abc')).toMatchObject({json: {error_code: 404}, status: 404})
    expect(await call('GET', '/subjects/%E0%A4%A/versions')).toMatchObject({json: {error_code: 400}, status: 400})

    const wrongMethod = await fetch(`${(await serve()).server.url}/subjects`, {method: 'DELETE'})
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    expect(await wrongMethod.json()).toEqual({error_code: 405, message: 'HTTP 405 Method Not Allowed'})

    const form = await call('POST', '/subjects/a/versions', 'schema=x', {'Content-Type': 'application/x-www-form-urlencoded'})
    expect(form).toMatchObject({json: {error_code: 415}, status: 415})
  })

  it('accepts the Confluent, JSON and octet-stream content types, and refuses a body without one (415)', async () => {
    const {call} = await serve()
    const body = {schema: '"string"'}
    for (const headers of [{'Content-Type': 'application/json; charset=utf-8'}, {'Content-Type': 'application/octet-stream'}, {'Content-Type': 'application/vnd.schemaregistry+json'}]) {
      expect(await call('POST', '/subjects/s/versions', body, headers)).toMatchObject({json: {id: 1}, status: 200})
    }

    const bare = await new Promise<{body: string; status?: number}>((resolve, reject) => {
      const request = httpRequest(`${started[0].url}/subjects/s/versions`, {method: 'POST'}, (response) => {
        let text = ''
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => resolve({body: text, status: response.statusCode}))
      })
      request.on('error', reject)
      request.end(JSON.stringify(body))
    })
    // A web page can send a POST without a Content-Type (or text/plain) cross-origin with no preflight.
    expect(bare).toEqual({body: expect.stringContaining('"error_code":415'), status: 415})
    expect(await call('POST', '/subjects/s/versions', body, {'Content-Type': 'text/plain'})).toMatchObject({json: {error_code: 415}, status: 415})
    expect((await call('GET', '/subjects/s/versions')).json).toEqual([1])
  })

  it('refuses a body over the limit with 413, declared or streamed, and goes on answering', async () => {
    const {call, server} = await serve({maxBodyBytes: 64 * 1024})
    const declared = await call('POST', '/subjects/big/versions', {schema: 'x'.repeat(1024 * 1024)})
    expect(declared).toMatchObject({json: {error_code: 413}, status: 413})

    const chunks = 400
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ === chunks) controller.close()
        else controller.enqueue(new Uint8Array(64 * 1024).fill(32))
      },
    })
    const streamed = await fetch(`${server.url}/subjects/big/versions`, {body: stream, duplex: 'half', headers: {'Content-Type': CONTENT_TYPE}, method: 'POST'} as RequestInit)
    expect(streamed.status).toBe(413)
    expect(await streamed.json()).toMatchObject({error_code: 413})
    // The server stopped reading: far from all of the 25 MiB was pulled from the client.
    expect(pulled).toBeLessThan(chunks)

    expect(await call('GET', '/subjects')).toMatchObject({json: [], status: 200})
    expect((await call('POST', '/subjects/small/versions', {schema: '"string"'})).json).toEqual({id: 1})
  })

  it('survives bytes that are not HTTP and a registry that fails (500, 50001)', async () => {
    const backend = await openEmbedded()
    const failing = new Proxy(backend.registry, {
      get(target, property) {
        if (property === 'listSubjects') return async () => Promise.reject(new Error('disk on fire'))
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const {call, server} = await serve({registry: failing})
    const garbage = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('\u0000\u0001 not http at all\r\n\r\n'))
      let text = ''
      socket.on('data', (chunk) => (text += chunk))
      socket.on('close', () => resolve(text))
      socket.on('error', () => resolve(text))
    })
    expect(garbage).toMatch(/^HTTP\/1\.1 400/)

    expect(await call('GET', '/subjects')).toMatchObject({json: {error_code: 50001, message: expect.stringContaining('disk on fire')}, status: 500})
    expect((await call('GET', '/config')).json).toEqual({compatibilityLevel: 'BACKWARD'})
  })

  it('reports each answered request to onRequest', async () => {
    const entries: RequestLogEntry[] = []
    const {call} = await serve({onRequest: (entry) => entries.push(entry)})
    await call('GET', '/subjects')
    await call('GET', '/subjects/nope/versions')
    expect(entries).toEqual([
      {durationMs: expect.any(Number), errorCode: undefined, method: 'GET', path: '/subjects', status: 200},
      {durationMs: expect.any(Number), errorCode: 40401, method: 'GET', path: '/subjects/nope/versions', status: 404},
    ])
  })

  it('says which port is taken and how to fix it', async () => {
    const blocker: TcpServer = createTcpServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const {port} = blocker.address() as {port: number}
    try {
      const {registry} = await openEmbedded()
      const failure = await startRegistryServer({port, registry}).catch((error) => error)
      expect(failure).toBeInstanceOf(UsageError)
      expect(failure.message).toBe(`port ${port} on 127.0.0.1 is already in use`)
      expect(failure.hint).toContain('--port')
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })
})
