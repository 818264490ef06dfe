'use strict'
// A preload that makes loopback Kafka and its registry answer like a remote cluster: every chunk a
// socket reads from port 9092 (the broker) or 8080 (the registry) arrives EVT_BENCH_DELAY_MS later
// (5 by default), in order. For measuring round trips by hand, not used by `npm run bench`:
//   EVT_BENCH_DELAY_MS=5 NODE_OPTIONS="--require ./bench/slow-network.cjs" evt trace order 75000
const net = require('node:net')

const delayMs = Number(process.env.EVT_BENCH_DELAY_MS ?? 5)
const emit = net.Socket.prototype.emit
net.Socket.prototype.emit = function (event, ...args) {
  if (event === 'data' && (this.remotePort === 9092 || this.remotePort === 8080)) {
    setTimeout(() => emit.call(this, event, ...args), delayMs)
    return true
  }

  return emit.call(this, event, ...args)
}
