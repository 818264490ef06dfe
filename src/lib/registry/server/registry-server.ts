import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {UsageError} from '../../errors.js'
import type {SchemaRegistry} from '../schema-registry.js'
import {type BasicAuth, guardRequest, isLoopbackHost, isWildcardHost, machineAddresses, servedHostNames} from './request-guard.js'
import {RestError, restErrors} from './rest-error.js'
import {registryRoutes} from './routes.js'

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 8081
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
/**
 * Request bodies Confluent's server consumes. A request without one is refused: a web page can send
 * a cross-origin POST with no Content-Type (or text/plain) without a preflight, but not these.
 */
const ACCEPTED_TYPES = new Set(['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream'])
/** How long close() lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 2000

export interface RequestLogEntry {
  durationMs: number
  /** Confluent's error_code when the answer was an error. */
  errorCode?: number
  method: string
  path: string
  status: number
}

export interface RegistryServerOptions {
  /** Required unless `host` is a loopback address: every request must carry these Basic credentials. */
  auth?: BasicAuth
  host?: string
  maxBodyBytes?: number
  /** Called once per answered request (for a request log). */
  onRequest?: (entry: RequestLogEntry) => void
  /** 0 picks a free port; the one chosen is in the result's `port` and `url`. */
  port?: number
  registry: SchemaRegistry
}

export interface RegistryServer {
  close(): Promise<void>
  host: string
  port: number
  /** e.g. http://127.0.0.1:8081 — what clients put in schema.registry.url (a loopback one for 0.0.0.0). */
  url: string
  /** With a wildcard host (0.0.0.0, ::): the URLs of this machine's addresses, for other machines. */
  urls: string[]
}

/**
 * Serves a SchemaRegistry over HTTP with the Confluent Schema Registry REST API, so Kafka clients,
 * serializers and evt's own HttpSchemaRegistry can use it. Every failure is answered as a
 * Confluent-shaped JSON error; nothing a client sends stops the server.
 */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RegistryServer> {
  const host = options.host ?? DEFAULT_HOST
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const routes = registryRoutes(options.registry)
  if (!isLoopbackHost(host) && !options.auth) {
    throw new UsageError(`serving on ${host || 'every interface'} lets other machines reach the registry: it needs credentials`, {
      hint: 'add --auth "USER:$PASSWORD" (or set EVT_REGISTRY_AUTH=USER:PASSWORD) and give clients basic.auth.user.info, or serve --host 127.0.0.1',
    })
  }

  const hostNames = servedHostNames(host)
  let port = 0

  const server = createServer((request, response) => {
    const started = performance.now()
    let errorCode: number | undefined
    response.on('finish', () =>
      options.onRequest?.({durationMs: Math.round(performance.now() - started), errorCode, method: request.method ?? '', path: request.url ?? '', status: response.statusCode}),
    )
    answer(request).then(
      (body) => send(response, 200, body),
      (error) => {
        const failure = toRestError(error)
        errorCode = failure.errorCode
        send(response, failure.status, JSON.stringify(failure.body), failure.headers)
      },
    )
  })

  /** The body of a 200 answer; every other answer is thrown as a RestError. */
  async function answer(request: IncomingMessage): Promise<string> {
    // Split by hand: URL parsing would read a path starting with '//' as a host name.
    const target = request.url ?? '/'
    const queryAt = target.includes('?') ? target.indexOf('?') : target.length
    guardRequest(request, {auth: options.auth, hostNames, port})
    const {handler, params} = routes.match(request.method ?? 'GET', pathSegments(target.slice(0, queryAt)))
    let body: unknown
    if (request.method === 'POST' || request.method === 'PUT' || request.method === 'DELETE') {
      if (!acceptsContentType(request.headers['content-type'])) throw restErrors.unsupportedMediaType()
      body = parseJson(await readBody(request, maxBodyBytes))
    }

    const result = await handler(params, {body, query: new URLSearchParams(target.slice(queryAt + 1))})
    return 'raw' in result ? result.raw : JSON.stringify(result.json)
  }

  // Bytes that are not HTTP at all: answer 400 when the socket still can, never throw.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })
  // Bound the time a slow client can hold a connection with an unfinished request.
  server.requestTimeout = 60_000
  server.headersTimeout = 30_000

  await listen(server, host, options.port ?? DEFAULT_PORT)
  // Once listening, a failed accept (e.g. out of file descriptors) costs that one connection, not the server.
  server.on('error', () => {})
  port = (server.address() as AddressInfo).port
  const urlOf = (address: string) => `http://${address.includes(':') && !address.startsWith('[') ? `[${address}]` : address}:${port}`
  return {
    close: () => closeServer(server),
    host,
    port,
    // 0.0.0.0 is where it listens, not an address a client can connect to.
    url: urlOf(isWildcardHost(host) ? '127.0.0.1' : host),
    // Link-local IPv6 addresses need a zone (%eth0) that a URL cannot carry in most clients.
    urls: isWildcardHost(host) ? machineAddresses().filter((address) => !address.startsWith('[fe80:')).map((address) => urlOf(address)) : [urlOf(host)],
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      reject(listenError(error, host, port))
    }

    const onListening = () => {
      server.off('error', onError)
      resolve()
    }

    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE': {
      return new UsageError(`port ${port} on ${host} is already in use`, {code: 'PORT_UNAVAILABLE', cause: error,
        hint: 'stop whatever listens there, or choose another port with --port (--port 0 picks a free one)',
      })
    }

    case 'EACCES': {
      return new UsageError(`not allowed to listen on port ${port} on ${host}`, {code: 'PORT_UNAVAILABLE', cause: error, hint: 'ports below 1024 need privileges: choose another with --port'})
    }

    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND': {
      return new UsageError(`cannot listen on host ${host}: it is not an address of this machine`, {code: 'PORT_UNAVAILABLE', cause: error, hint: 'use --host 127.0.0.1, or 0.0.0.0 for every interface'})
    }

    default: {
      return new UsageError(`cannot listen on ${host}:${port}: ${error.message}`, {code: 'PORT_UNAVAILABLE', cause: error})
    }
  }
}

/** Stops accepting, lets requests in flight finish (briefly), then cuts whatever is left. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}

/** '/subjects/a%2Fb/versions/' → ['subjects', 'a/b', 'versions']: split first, then decode, so an encoded '/' stays in its segment. */
function pathSegments(pathname: string): string[] {
  const raw = pathname.split('/').slice(1)
  if (raw.at(-1) === '') raw.pop()
  try {
    return raw.map((segment) => decodeURIComponent(segment))
  } catch {
    throw restErrors.badRequest(`the path ${pathname} is not valid percent-encoding`)
  }
}

function acceptsContentType(header: string | undefined): boolean {
  if (header === undefined) return false
  return ACCEPTED_TYPES.has(header.split(';')[0].trim().toLowerCase())
}

/**
 * The request body, refused with 413 as soon as it passes `limit` bytes: a declared length over the
 * limit is refused before any byte is read, and a streamed body is not read past the limit.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'])
  if (declared > limit) return Promise.reject(restErrors.tooLarge(limit))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        request.off('data', onData)
        request.pause()
        reject(restErrors.tooLarge(limit))
        return
      }

      chunks.push(chunk)
    }

    request.on('data', onData)
    request.once('end', () => resolve(Buffer.concat(chunks)))
    request.once('error', reject)
  })
}

function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch (error) {
    throw restErrors.badRequest(`the request body is not valid JSON: ${(error as Error).message}`)
  }
}

function toRestError(error: unknown): RestError {
  if (error instanceof RestError) return error
  return restErrors.internal(error instanceof Error ? error.message : String(error))
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return
  response.writeHead(status, {...headers, 'Content-Length': Buffer.byteLength(body), 'Content-Type': CONTENT_TYPE})
  response.end(body)
}
