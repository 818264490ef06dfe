import {createHash, timingSafeEqual} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import {hostname, networkInterfaces} from 'node:os'

import {restErrors} from './rest-error.js'

/** HTTP Basic credentials the server requires (as Confluent's server does with basic.auth). */
export interface BasicAuth {
  password: string
  username: string
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]'])
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(bare)
}

export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host)
}

/** The names a client may put in the Host header: the bound address, and this machine's names when it is bound to all of them. */
export function servedHostNames(boundHost: string): string[] {
  const names = new Set(isLoopbackHost(boundHost) || isWildcardHost(boundHost) ? LOOPBACK_NAMES : [])
  if (isWildcardHost(boundHost)) {
    for (const address of machineAddresses()) names.add(address)
    names.add(hostname().toLowerCase())
  } else {
    names.add(bracketed(boundHost.toLowerCase()))
  }

  return [...names]
}

/** Every address of this machine's interfaces, IPv6 ones in brackets as a URL has them. */
export function machineAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .map((address) => bracketed(address.address.replace(/%.*$/, '')))
}

/**
 * Refuses what a web page could send: a Host that is not this server's (DNS rebinding: a page's own
 * name resolving to 127.0.0.1), an Origin other than the server's own (a page on any site, since
 * a cross-origin POST without a custom content type needs no preflight), and a request without
 * the Basic credentials when the server has them. Throws the RestError to answer.
 */
export function guardRequest(request: IncomingMessage, served: {auth?: BasicAuth; hostNames: string[]; port: number}): void {
  const host = (request.headers.host ?? '').toLowerCase().replace(/\.(?=:\d+$|$)/, '')
  const [, name = '', port = '80'] = /^(\[[^\]]*]|[^:]*)(?::(\d+))?$/.exec(host) ?? []
  if (!served.hostNames.includes(name) || Number(port) !== served.port) {
    throw restErrors.forbidden(`HTTP 403 Forbidden: Host '${request.headers.host ?? ''}' is not this server (serves ${served.hostNames.join(', ')} on port ${served.port})`)
  }

  const {origin} = request.headers
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    throw restErrors.forbidden(`HTTP 403 Forbidden: requests from web pages (Origin '${origin}') are not accepted`)
  }

  if (served.auth && !hasCredentials(request.headers.authorization, served.auth)) throw restErrors.unauthorized()
}

function hasCredentials(header: string | undefined, auth: BasicAuth): boolean {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? '')
  if (!match) return false
  const digest = (text: Buffer | string) => createHash('sha256').update(text).digest()
  // Compared as digests, in constant time: the answer's timing says nothing about the password.
  return timingSafeEqual(digest(Buffer.from(match[1], 'base64')), digest(`${auth.username}:${auth.password}`))
}

function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
}
