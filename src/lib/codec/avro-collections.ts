import type {Schema, Type} from 'avsc'
import type {Avsc} from './schema-codec.js'
import {EvtError} from '../errors.js'

/** The parts of avsc's (untyped) reading cursor these readers use. */
interface Tap {
  buf: Buffer
  isValid(): boolean
  pos: number
  readLong(): number
  readString(): string
  skipLong(): void
}

type Reader = Type & {_read(tap: Tap): unknown}

/** Arrays of zero-width items (nulls, records of nulls) take no bytes per item: these bound them instead. */
const MAX_ZERO_WIDTH_ITEMS = 1 << 20

/**
 * Avro arrays and maps come in blocks whose item counts are read from the data, and avsc trusts
 * them: a corrupt count (2^28 in five bytes) makes it fill an array until the process runs out of
 * memory, which no try/catch survives. These readers refuse a block that promises more items
 * than there are bytes left (every item takes at least one byte unless its type is zero-width)
 * and stop as soon as the data has run out, so a corrupt record costs no more than its length.
 *
 * Returns a `typeHook` for `Type.forSchema`; writing is avsc's own.
 */
export function boundedCollections(avro: Avsc): (schema: Schema, opts: unknown) => Type | undefined {
  class BoundedArrayType extends avro.types.ArrayType {
    _read(tap: Tap): unknown[] {
      const items = this.itemsType as Reader
      const out: unknown[] = []
      for (let n = blockCount(tap, 'array', isZeroWidth(items)); n > 0; n = blockCount(tap, 'array', isZeroWidth(items))) {
        for (; n > 0 && tap.isValid(); n--) out.push(items._read(tap))
      }

      return out
    }
  }

  class BoundedMapType extends avro.types.MapType {
    _read(tap: Tap): Record<string, unknown> {
      const values = this.valuesType as Reader
      const out: Record<string, unknown> = {}
      for (let n = blockCount(tap, 'map', false); n > 0; n = blockCount(tap, 'map', false)) {
        for (; n > 0 && tap.isValid(); n--) {
          const key = tap.readString()
          out[key] = values._read(tap)
        }
      }

      return out
    }
  }

  return (schema, opts) => {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || 'logicalType' in schema) return undefined
    const {type} = schema as {type?: unknown}
    if (type === 'array') return new BoundedArrayType(schema, opts)
    if (type === 'map') return new BoundedMapType(schema, opts)
    return undefined
  }
}

function blockCount(tap: Tap, kind: 'array' | 'map', zeroWidth: boolean): number {
  let count = tap.readLong()
  if (count < 0) {
    // A negative count is followed by the block's size in bytes.
    count = -count
    tap.skipLong()
  }

  const left = tap.buf.length - tap.pos
  if (count > (zeroWidth ? Math.max(left, MAX_ZERO_WIDTH_ITEMS) : left)) {
    throw new EvtError('DATA_CORRUPT', `corrupt data: a block of ${count} ${kind} items with ${Math.max(left, 0)} bytes left`)
  }

  return count
}

const zeroWidth = new WeakMap<Type, boolean>()

/** Whether values of this type are encoded in no bytes at all: null, zero-size fixed, records of such. */
function isZeroWidth(type: Type, visiting = new Set<Type>()): boolean {
  const known = zeroWidth.get(type)
  if (known !== undefined) return known
  if (visiting.has(type)) return false
  visiting.add(type)
  const node = type as Type & {fields?: {type: Type}[]; size?: number; underlyingType?: Type}
  let result: boolean
  if (node.typeName === 'null') result = true
  else if (node.typeName === 'fixed') result = node.size === 0
  else if (node.typeName === 'record' || node.typeName === 'error') result = node.fields!.every((field) => isZeroWidth(field.type, visiting))
  else if (node.underlyingType) result = isZeroWidth(node.underlyingType, visiting)
  else result = false
  zeroWidth.set(type, result)
  return result
}
