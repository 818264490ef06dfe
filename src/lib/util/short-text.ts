/** Longer texts are decoded as they come: comparing them byte by byte would cost what decoding does. */
const MAX_BYTES = 64

/**
 * Decodes short UTF-8 texts that most records repeat (header names, event types) to one shared
 * string each. The bytes are hashed and compared in JavaScript, which costs a third of what a
 * call into the C++ decoder and a new string per record do (3M header names: 0.5 → 0.15 s).
 * At most `limit` texts are kept, so a log of all-different values costs memory once and no more.
 */
export class ShortTexts {
  private readonly byHash = new Map<number, {bytes: Uint8Array; text: string}[]>()
  private size = 0

  constructor(private readonly limit: number) {}

  /** The text of `bytes[start, end)`. */
  decode(bytes: Buffer, start = 0, end = bytes.length): string {
    const length = end - start
    if (length > MAX_BYTES) return bytes.toString('utf8', start, end)
    let hash = length
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + bytes[i]) | 0
    const known = this.byHash.get(hash)
    if (known !== undefined) {
      for (const entry of known) if (sameBytes(entry.bytes, bytes, start, length)) return entry.text
    }

    const text = bytes.toString('utf8', start, end)
    if (this.size < this.limit) {
      this.size++
      // A copy (Buffer's own slice is a view, which would keep the whole batch it came from alive).
      const entry = {bytes: Uint8Array.prototype.slice.call(bytes, start, end), text}
      if (known === undefined) this.byHash.set(hash, [entry])
      else known.push(entry)
    }

    return text
  }
}

function sameBytes(kept: Uint8Array, bytes: Uint8Array, start: number, length: number): boolean {
  if (kept.length !== length) return false
  for (let i = 0; i < length; i++) if (kept[i] !== bytes[start + i]) return false
  return true
}
