import type {Schema, types} from 'avsc'
import type {Avsc} from './schema-codec.js'

import {isoTime} from '../util/time.js'

/**
 * Avro logical types decoded to natural JSON: timestamps as ISO-8601 strings, dates as
 * YYYY-MM-DD, decimals as exact decimal strings (never lossy floats), uuids as strings.
 * Encoding accepts those forms back (and the underlying raw values), so a tailed record can be
 * produced again as printed.
 */
export function naturalLogicalTypes(avro: Avsc): Record<string, new (schema: Schema, opts?: object) => types.LogicalType> {
  const Base = avro.types.LogicalType as unknown as new (schema: Schema, opts?: object) => types.LogicalType

  class TimestampMillis extends Base {
    _fromValue(value: number): number | string {
      return isoTime(value)
    }

    _toValue(value: unknown): number | undefined {
      if (typeof value === 'number') return value
      const parsed = value instanceof Date ? value.getTime() : Date.parse(String(value))
      return Number.isNaN(parsed) ? undefined : parsed
    }

    _resolve(type: {typeName?: string}) {
      return sameLogicalType(this, type) ?? (type.typeName === 'long' ? (value: number) => this._fromValue(value) : undefined)
    }
  }

  class TimestampMicros extends Base {
    _fromValue(value: number): string {
      const millis = Math.floor(value / 1000)
      const micros = String(((value % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0')
      return `${new Date(millis).toISOString().slice(0, 19)}.${micros}Z`
    }

    _toValue(value: unknown): number | undefined {
      if (typeof value === 'number') return value
      const match = /^(.*?)(?:\.(\d{1,6}))?Z$/.exec(String(value))
      if (!match) return undefined
      const seconds = Date.parse(`${match[1]}Z`)
      return Number.isNaN(seconds) ? undefined : seconds * 1000 + Number((match[2] ?? '').padEnd(6, '0'))
    }

    _resolve(type: {typeName?: string}) {
      return sameLogicalType(this, type) ?? (type.typeName === 'long' ? (value: number) => this._fromValue(value) : undefined)
    }
  }

  class DateType extends Base {
    _fromValue(days: number): number | string {
      const date = new Date(days * 86_400_000)
      // Beyond the ±100,000,000 days a Date holds, the day number itself.
      if (Number.isNaN(date.getTime())) return days
      // Years outside 0000-9999 are written with a sign and six digits (+010000-01-01).
      const iso = date.toISOString()
      return iso.slice(0, iso.indexOf('T'))
    }

    _toValue(value: unknown): number | undefined {
      if (typeof value === 'number') return value
      const parsed = Date.parse(String(value))
      return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 86_400_000)
    }

    _resolve(type: {typeName?: string}) {
      return sameLogicalType(this, type) ?? (type.typeName === 'int' ? (value: number) => this._fromValue(value) : undefined)
    }
  }

  class DecimalType extends Base {
    readonly scale: number
    private readonly precision: unknown

    constructor(schema: Schema, opts?: object) {
      super(schema, opts)
      this.scale = Number((schema as {scale?: number}).scale ?? 0)
      this.precision = (schema as {precision?: unknown}).precision
    }

    /** What `schema({exportAttrs: true})` writes besides the logical type: a copy of the schema reads the same decimals. */
    _export(attrs: Schema): void {
      Object.assign(attrs, {precision: this.precision, scale: this.scale})
    }

    _fromValue(bytes: Buffer): string {
      // Big-endian two's complement unscaled integer (the Avro specification).
      let unscaled = 0n
      for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte)
      if (bytes.length > 0 && bytes[0] & 0x80) unscaled -= 1n << BigInt(bytes.length * 8)
      const negative = unscaled < 0n
      const digits = (negative ? -unscaled : unscaled).toString().padStart(this.scale + 1, '0')
      const whole = this.scale === 0 ? digits : `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`
      return negative ? `-${whole}` : whole
    }

    _toValue(value: unknown): Buffer | undefined {
      if (Buffer.isBuffer(value)) return value
      const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(String(value))
      if (!match || (match[3] ?? '').length > this.scale) return undefined
      let unscaled = BigInt(`${match[2]}${(match[3] ?? '').padEnd(this.scale, '0')}`)
      if (match[1]) unscaled = -unscaled
      const bytes: number[] = []
      let rest = unscaled
      do {
        bytes.unshift(Number(rest & 0xffn))
        rest >>= 8n
      } while (rest !== 0n && rest !== -1n)
      // Keep the sign bit right: add a byte when the top bit disagrees with the sign.
      if ((unscaled < 0n) !== Boolean(bytes[0] & 0x80)) bytes.unshift(unscaled < 0n ? 0xff : 0)
      return Buffer.from(bytes)
    }

    _resolve(type: {typeName?: string}) {
      // A decimal of another scale is another number: only the same scale reads as it is.
      if (type.typeName === 'logical:decimal') return (type as unknown as DecimalType).scale === this.scale ? sameLogicalType(this, type) : undefined
      return type.typeName === 'bytes' ? (value: Buffer) => this._fromValue(value) : undefined
    }
  }

  return {date: DateType, decimal: DecimalType, 'timestamp-micros': TimestampMicros, 'timestamp-millis': TimestampMillis}
}

/**
 * Reading a logical type written as the same logical type (a reader that decodes only some fields
 * of the writer's record): the writer's type has already converted the value, so it stays as it is.
 */
function sameLogicalType(reader: {typeName?: string}, writer: {typeName?: string}): ((value: unknown) => unknown) | undefined {
  return writer.typeName === reader.typeName ? (value) => value : undefined
}
