import {once} from 'node:events'
import {createServer, type AddressInfo, type Socket} from 'node:net'
import {describe, expect, it} from 'vitest'

import {kafkaSocket} from '../../../../src/lib/log/kafka/kafka-socket.js'

/** A port nothing listens on: a server's, once it has closed. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** What kafkajs does each time it gives up a connection: end the socket, then unref it. */
function giveUp(socket: Socket, times: number): void {
  for (let i = 0; i < times; i++) {
    socket.end()
    socket.unref()
  }
}

describe('kafkaSocket', () => {
  it('leaves no listener behind when a socket that failed to connect is given up again and again', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const socket = kafkaSocket({host: '127.0.0.1', onConnect: () => {}, port: await closedPort(), ssl: undefined as never})
      const [error] = (await once(socket, 'error').catch((error_: unknown) => [error_])) as [NodeJS.ErrnoException]
      expect(error.code).toBe('ECONNREFUSED')
      await once(socket, 'close')
      // kafkajs's own listener (onConnect) waits for a 'connect' that will not come; nothing may join it.
      const listeners = socket.listenerCount('connect')
      giveUp(socket, 20)
      expect(socket.listenerCount('connect')).toBe(listeners)
      // Node.js emits the warning on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('connects, keeps the socket alive, and unrefs a live socket', async () => {
    const server = createServer((peer) => peer.end('hello')).listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      let connected = false
      const socket = kafkaSocket({host: '127.0.0.1', onConnect: () => (connected = true), port: (server.address() as AddressInfo).port, ssl: undefined as never})
      const [data] = (await once(socket, 'data')) as [Buffer]
      expect(connected).toBe(true)
      expect(data.toString()).toBe('hello')
      // A live socket's unref is Node's own: it returns the socket and the process may exit while it is open.
      expect(socket.unref()).toBe(socket)
      socket.destroy()
    } finally {
      server.close()
    }
  })
})
