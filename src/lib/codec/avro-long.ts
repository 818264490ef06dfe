import type {Type} from 'avsc'
import type {Avsc} from './schema-codec.js'

/** avsc's buffer cursor, as far as a long needs it. */
interface Tap {
  buf: Buffer
  pos: number
  readLong(): number
}

interface LongTypeInternals {
  _check(value: unknown, flags: unknown, hook?: (value: unknown, type: unknown) => void): boolean
  _read(tap: Tap): number | string
  _write(tap: Tap, value: unknown): void
}

const INTEGER = /^-?\d+$/
const MIN_LONG = -(2n ** 63n)
const MAX_LONG = 2n ** 63n - 1n

/**
 * Avro's `long`, without avsc's refusal of values beyond ±2^53 ("potential precision loss"), which
 * made a whole record with, say, a Snowflake id show as base64. Values JavaScript holds exactly
 * stay numbers (read by avsc's own code); larger ones become decimal strings, and such strings
 * encode back to the same long.
 */
export function preciseLong(avro: Avsc): Type {
  const LongType = (avro.types as unknown as {LongType: new () => LongTypeInternals}).LongType
  class PreciseLongType extends LongType {
    _check(value: unknown, flags: unknown, hook?: (value: unknown, type: unknown) => void): boolean {
      const valid = Number.isSafeInteger(value) || (typeof value === 'string' && isLong(value))
      if (!valid && hook) hook(value, this)
      return valid
    }

    _read(tap: Tap): number | string {
      const start = tap.pos
      const value = tap.readLong()
      if (Number.isSafeInteger(value)) return value
      tap.pos = start
      return readZigZag(tap).toString()
    }

    _write(tap: Tap, value: unknown): void {
      if (typeof value === 'string' && isLong(value)) writeZigZag(tap, BigInt(value))
      else super._write(tap, value)
    }
  }

  return new PreciseLongType() as unknown as Type
}

function isLong(text: string): boolean {
  if (!INTEGER.test(text)) return false
  const value = BigInt(text)
  return value >= MIN_LONG && value <= MAX_LONG
}

function readZigZag(tap: Tap): bigint {
  let raw = 0n
  let shift = 0n
  let byte: number
  do {
    byte = tap.buf[tap.pos++]
    raw |= BigInt(byte & 0x7f) << shift
    shift += 7n
  } while (byte & 0x80)
  return (raw >> 1n) ^ -(raw & 1n)
}

/** Past the end of the buffer nothing is written but the position still moves: avsc then retries with a larger one. */
function writeZigZag(tap: Tap, value: bigint): void {
  let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  do {
    const byte = Number(rest & 0x7fn)
    rest >>= 7n
    tap.buf[tap.pos++] = rest === 0n ? byte : byte | 0x80
  } while (rest !== 0n)
}
