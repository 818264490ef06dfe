import {describe, expect, it} from 'vitest'

import {ShortTexts} from '../../../src/lib/util/short-text.js'

describe('ShortTexts', () => {
  it('decodes a range of bytes as UTF-8, the first time and when the text repeats', () => {
    const texts = new ShortTexts(16)
    const blob = Buffer.from('..ce_type..ce_type..größe..')
    const first = texts.decode(blob, 2, 9)
    expect(first).toBe('ce_type')
    expect(texts.decode(blob, 11, 18)).toBe(first)
    expect(texts.decode(blob, 20, 27)).toBe('größe')
    expect(texts.decode(Buffer.from('größe'))).toBe('größe')
  })

  it('tells apart texts of the same length and hash input order, and texts past the limit', () => {
    const texts = new ShortTexts(2)
    const words = ['ab', 'ba', 'Ab', 'a\u00e9', '\u00e9a', 'x'.repeat(65), '']
    for (let round = 0; round < 2; round++) for (const word of words) expect(texts.decode(Buffer.from(`<${word}>`), 1, 1 + Buffer.byteLength(word))).toBe(word)
  })

  it('keeps a copy of the bytes, not a view: changing the source later changes nothing', () => {
    const texts = new ShortTexts(4)
    const blob = Buffer.from('OrderPlaced')
    expect(texts.decode(blob)).toBe('OrderPlaced')
    blob.write('OrderPlaceX')
    expect(texts.decode(blob)).toBe('OrderPlaceX')
    expect(texts.decode(Buffer.from('OrderPlaced'))).toBe('OrderPlaced')
  })
})
