import {Writable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'

import {OutputWriter} from '../../src/cli/output.js'

/** A reader that takes `delayMs` per chunk, with a small buffer: writes back up quickly. */
function slowReader(delayMs: number, chunks: Buffer[] = []): Writable {
  return new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      setTimeout(callback, delayMs)
    },
  })
}

describe('OutputWriter', () => {
  it('waits for the reader when the stream is full, so nothing piles up in memory', async () => {
    const stream = slowReader(5)
    const writer = new OutputWriter(stream)
    for (let i = 0; i < 20; i++) {
      await writer.writeLines([`line ${i} ${'x'.repeat(40)}`])
      // Awaiting each write keeps at most one chunk beyond the high-water mark buffered.
      expect(stream.writableLength).toBeLessThanOrEqual(64)
    }

    expect(stream.listenerCount('drain')).toBe(0)
    expect(stream.listenerCount('error')).toBe(0)
  })

  it('writes raw buffers byte for byte, a newline after each', async () => {
    const chunks: Buffer[] = []
    const writer = new OutputWriter(slowReader(0, chunks))
    await writer.writeBuffers([Buffer.from([0xff, 0x00]), Buffer.from([0xc3, 0x28])])
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0xff, 0x00, 0x0a, 0xc3, 0x28, 0x0a]))
  })

  it('stops writing, without throwing, once the reader has gone away', async () => {
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}))
      },
    })
    const writer = new OutputWriter(stream)
    await writer.writeLines(['first'])
    await sleep(10)
    expect(writer.isClosed).toBe(true)
    await writer.writeLines(['second'])
    expect(stream.listenerCount('error')).toBe(0)
  })
})
