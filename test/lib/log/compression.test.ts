import {describe, expect, it} from 'vitest'

import {codecForId, COMPRESSION_IDS, compressionName} from '../../../src/lib/log/kafka/compression.js'

// Text with repeats and a binary tail: every codec has something to compress, and bytes ≥ 0x80 must survive.
const DATA = Buffer.concat([Buffer.from('{"orderId":"1042","status":"CONFIRMED"}'.repeat(3000)), Buffer.from([0, 0xff, 0xfe, 0x80, 0x7f])])

describe('record batch codecs', () => {
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${name}: what evt compresses decompresses to the same bytes, and is smaller`, async () => {
      const codec = await codecForId(COMPRESSION_IDS[name])!
      const compressed = await codec.compress(DATA)
      expect(compressed.length).toBeLessThan(DATA.length / 10)
      expect((await codec.decompress(compressed)).equals(DATA)).toBe(true)
    })
  }

  it("snappy: writes xerial's stream framing in 32 KiB blocks, as Kafka's Java client does", async () => {
    const codec = await codecForId(COMPRESSION_IDS.snappy)!
    const framed = await codec.compress(DATA)
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e415050590000000001' + '00000001')
    // 120 KB of input → four blocks, each an int32 length then the block.
    let blocks = 0
    for (let at = 16; at < framed.length; at += 4 + framed.readInt32BE(at)) blocks++
    expect(blocks).toBe(Math.ceil(DATA.length / 32_768))
  })

  it('snappy: also reads a bare snappy block (what librdkafka may write)', async () => {
    const {compress} = await import('snappy')
    const codec = await codecForId(COMPRESSION_IDS.snappy)!
    expect((await codec.decompress(await compress(DATA))).equals(DATA)).toBe(true)
  })

  it('snappy: a frame whose block runs past the data is an error, not a hang or a short result', async () => {
    const codec = await codecForId(COMPRESSION_IDS.snappy)!
    const framed = await codec.compress(DATA)
    await expect(codec.decompress(framed.subarray(0, framed.length - 10))).rejects.toThrow(/runs past the batch/)
  })

  it('names codecs by id, and has none for ids Kafka does not define', () => {
    expect([0, 1, 2, 3, 4].map((id) => compressionName(id))).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
    expect(compressionName(6)).toBe('unknown codec 6')
    expect(codecForId(5)).toBeUndefined()
  })
})
