import {connect as connectTcp, isIP, type Socket} from 'node:net'
import {connect as connectTls} from 'node:tls'
import type {ISocketFactory} from 'kafkajs'

/** As kafkajs's own: TCP keep-alive probes after a minute idle. */
const KEEP_ALIVE_DELAY_MS = 60_000

/**
 * kafkajs's socket factory, but for one thing: a closed socket's `unref()` does nothing.
 *
 * kafkajs ends and unrefs a connection's socket each time it gives the connection up, and while a
 * broker is down it does so again and again for a socket that failed to connect. Node.js defers
 * `unref()` of a socket that has no handle to its 'connect' event, which a closed socket never
 * emits: each call left a listener, and the eleventh printed "MaxListenersExceededWarning: Possible
 * EventEmitter memory leak detected" in the middle of a `tail --follow` that rode out the outage.
 */
export const kafkaSocket: ISocketFactory = ({host, onConnect, port, ssl}) => {
  const socket: Socket = ssl ? connectTls({host, port, ...(isIP(host) ? {} : {servername: host}), ...ssl}, onConnect) : connectTcp({host, port}, onConnect)
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS)
  const unref = socket.unref
  socket.unref = function (this: Socket) {
    return this.destroyed ? this : unref.call(this)
  }

  return socket
}
