import type {IncomingMessage, RequestOptions} from 'node:http'

import {EvtError} from '../../errors.js'

export interface HttpAnswer {
  status: number
  text: string
}

/**
 * One HTTP(S) request with node:http, its answer read whole. Not fetch: Node loads undici, fetch's
 * implementation, on its first call, which costs ~200 ms of every evt command that asks a
 * registry (`topic tail` on Kafka, `schema check`). node:http keeps connections alive as fetch
 * does, and trusts the same CAs (NODE_EXTRA_CA_CERTS too). `signal` ends the request at once.
 */
export async function httpCall(url: string, options: {body?: string; headers: Record<string, string>; method: string; signal: AbortSignal}): Promise<HttpAnswer> {
  const target = new URL(url)
  const {request} = target.protocol === 'https:' ? await import('node:https') : await import('node:http')
  const requestOptions: RequestOptions = {headers: options.body === undefined ? options.headers : {...options.headers, 'Content-Length': Buffer.byteLength(options.body)}, method: options.method, signal: options.signal}
  return new Promise((resolve, reject) => {
    const outgoing = request(target, requestOptions, (response: IncomingMessage) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => resolve({status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
      // Cut off mid-answer (the server went away, the signal aborted): never an answer cut short.
      response.on('close', () => response.complete || reject(new EvtError('REGISTRY_UNREACHABLE', 'the connection closed before the answer was complete')))
    })
    outgoing.on('error', reject)
    outgoing.end(options.body)
  })
}
