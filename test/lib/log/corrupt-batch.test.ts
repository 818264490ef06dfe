import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {EvtError} from '../../../src/lib/errors.js'
import {type BatchEntry, encodeBatch} from '../../../src/lib/log/embedded/record-batch.js'
import {decodeBatch} from '../../helpers/decode-batch.js'

const entries: BatchEntry[] = [0, 1, 2, 3].map((i) => ({
  headers: [['ce_type', Buffer.from(`Event${i}`)], ['n', null]],
  key: Buffer.from(`key-${i}`),
  timestamp: 1_767_603_601_803 + i,
  value: Buffer.from(JSON.stringify({i})),
}))
const blob = encodeBatch(entries)
const meta = {baseOffset: 10, from: 10, lastOffset: 13, partition: 1, to: Number.MAX_SAFE_INTEGER, topic: 'orders'}

/** What decoding a damaged blob did: records, or the code of the error it threw. */
function outcome(bytes: Buffer): {code: string} | {records: number} {
  try {
    return {records: decodeBatch(bytes, meta).length}
  } catch (error) {
    return {code: error instanceof EvtError ? error.code : `not an EvtError: ${String(error)}`}
  }
}

describe('a corrupt stored batch', () => {
  it('whatever bytes are flipped or cut, decoding gives the batch\'s 4 records or DATA_CORRUPT, nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({at: fc.nat({max: blob.length - 1}), xor: fc.integer({max: 255, min: 1})}), {maxLength: 4, minLength: 1}),
        fc.nat({max: blob.length}),
        (flips, keep) => {
          const damaged = Buffer.from(blob)
          for (const {at, xor} of flips) damaged[at] ^= xor
          const result = outcome(damaged.subarray(0, keep === 0 ? blob.length : keep))
          if ('code' in result) expect(result.code).toBe('DATA_CORRUPT')
          else expect(result.records).toBe(4)
        },
      ),
      {numRuns: 2000, seed: 15},
    )
  })

  it('names the batch by topic, partition and offset range', () => {
    const damaged = Buffer.from(blob)
    damaged.writeInt32BE(0x7f_ff_ff_00, 8) // the first key's length
    expect(() => decodeBatch(damaged, meta)).toThrow(/^the stored batch orders\[1\]@10-13 is corrupt \(record at offset 10: key of 2147483392 bytes/)
    expect(() => decodeBatch(blob.subarray(0, blob.length - 1), meta)).toThrow(/orders\[1\]@10-13 is corrupt/)
    expect(() => decodeBatch(Buffer.concat([blob, blob.subarray(0, 30)]), meta)).toThrow(/orders\[1\]@10-13 is corrupt/)
  })

  it('a clean batch still decodes from `from` to `to`', () => {
    expect(decodeBatch(blob, {...meta, from: 11, to: 13}).map((record) => record.offset)).toEqual([11, 12])
  })
})
