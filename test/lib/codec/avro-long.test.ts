import {describe, expect, it} from 'vitest'

import {RecordDecoder} from '../../../src/lib/codec/record-decoder.js'
import {buildSchemaCodec} from '../../../src/lib/codec/schema-codec.js'
import {encodeWire} from '../../../src/lib/codec/wire-format.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

const schema = {fields: [{name: 'id', type: 'long'}, {name: 'at', type: {logicalType: 'timestamp-millis', type: 'long'}}], name: 'Tweet', type: 'record'}

/** Avro's long encoding as the spec writes it: zig-zag, then 7 bits a byte, low group first. */
function avroLong(value: bigint): number[] {
  let zigzag = value >= 0n ? value * 2n : -value * 2n - 1n
  const bytes: number[] = []
  do {
    const low = Number(zigzag % 128n)
    zigzag /= 128n
    bytes.push(zigzag > 0n ? low + 128 : low)
  } while (zigzag > 0n)
  return bytes
}

describe('Avro longs beyond 2^53', () => {
  const openBackend = useEmbeddedBackend()

  it('decode as exact decimal strings (small ones stay numbers) and encode back to the same bytes', async () => {
    const {registry} = await openBackend()
    const {id} = await registry.register('tweets-value', {references: [], schema: JSON.stringify(schema), schemaType: 'AVRO'})
    const codec = await buildSchemaCodec({id, references: [], schema: JSON.stringify(schema), schemaType: 'AVRO'}, registry)
    const decoder = new RecordDecoder(registry)
    const at = Date.parse('2026-01-05T09:00:00Z')
    for (const big of [1_234_567_890_123_456_789n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]) {
      const payload = Buffer.from([...avroLong(big), ...avroLong(BigInt(at))])
      const bytes = encodeWire(id, payload)
      await decoder.prepare([bytes])
      expect(decoder.decode(bytes, 'tweets')?.value).toEqual({at: new Date(at).toISOString(), id: big.toString()})
      expect(codec.encode({at: new Date(at).toISOString(), id: big.toString()})).toEqual(payload)
    }

    const small = Buffer.from([...avroLong(42n), ...avroLong(BigInt(at))])
    expect(codec.decode(small)).toMatchObject({id: 42})
    expect(() => codec.encode({at: new Date(at).toISOString(), id: (2n ** 63n).toString()})).toThrow()
  })
})
