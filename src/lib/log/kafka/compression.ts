import {promisify} from 'node:util'

import {EvtError} from '../../errors.js'
import {importNative} from '../../util/native-module.js'

/*
 * Kafka's record batch codecs, both directions. gzip is Node's zlib; snappy, lz4 and zstd come
 * from napi-rs packages whose prebuilt binaries ship inside the npm packages (README: dependency
 * notes). They load on first use, zlib too, so commands that never meet a compressed batch start fast.
 */

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CompressionName = (typeof COMPRESSION_NAMES)[number]

/** The codec id in bits 0-2 of a record batch's attributes. */
export const COMPRESSION_IDS: Record<CompressionName, number> = {gzip: 1, lz4: 3, none: 0, snappy: 2, zstd: 4}

export interface Codec {
  compress(data: Buffer): Promise<Buffer>
  decompress(data: Buffer): Promise<Buffer>
}

async function gzipCodec(): Promise<Codec> {
  const {gunzip, gzip} = await import('node:zlib')
  return {compress: promisify(gzip), decompress: promisify(gunzip)}
}

/*
 * Kafka's Java client writes snappy in xerial's stream framing: a 16-byte header (magic
 * 0x82 "SNAPPY" 0x00, version, compatible version), then blocks, each a big-endian int32 length
 * and a raw snappy block. librdkafka reads and writes both that and a bare snappy block.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])])
/** The block size xerial's SnappyOutputStream uses by default. */
const XERIAL_BLOCK = 32 * 1024

async function snappyCodec(): Promise<Codec> {
  const snappy = await importNative('snappy', () => import('snappy'))
  const uncompress = async (block: Buffer) => (await snappy.uncompress(block, {asBuffer: true})) as Buffer
  return {
    async compress(data) {
      const parts: Buffer[] = [XERIAL_HEADER]
      for (let start = 0; start < data.length; start += XERIAL_BLOCK) {
        const block = await snappy.compress(data.subarray(start, start + XERIAL_BLOCK))
        const length = Buffer.alloc(4)
        length.writeInt32BE(block.length)
        parts.push(length, block)
      }

      return Buffer.concat(parts)
    },
    async decompress(data) {
      if (!data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return uncompress(data)
      const parts: Buffer[] = []
      for (let at = XERIAL_HEADER.length; at < data.length; ) {
        if (at + 4 > data.length) throw new EvtError('DATA_CORRUPT', 'snappy (xerial) block length cut short')
        const length = data.readInt32BE(at)
        const end = at + 4 + length
        if (length < 0 || end > data.length) throw new EvtError('DATA_CORRUPT', `snappy (xerial) block of ${length} bytes runs past the batch`)
        parts.push(await uncompress(data.subarray(at + 4, end)))
        at = end
      }

      return Buffer.concat(parts)
    },
  }
}

/** Kafka's lz4 is the LZ4 frame format (since Kafka 0.10 with a correct header checksum). */
async function lz4Codec(): Promise<Codec> {
  const lz4 = await importNative('lz4-napi', () => import('lz4-napi'))
  return {compress: (data) => lz4.compressFrame(data), decompress: (data) => lz4.decompressFrame(data)}
}

async function zstdCodec(): Promise<Codec> {
  const zstd = await importNative('@mongodb-js/zstd', () => import('@mongodb-js/zstd'))
  // Level 3 is zstd's default and the Java client's.
  return {compress: (data) => zstd.compress(data, 3), decompress: (data) => zstd.decompress(data)}
}

const loaders: Record<number, () => Promise<Codec>> = {
  [COMPRESSION_IDS.gzip]: gzipCodec,
  [COMPRESSION_IDS.lz4]: lz4Codec,
  [COMPRESSION_IDS.snappy]: snappyCodec,
  [COMPRESSION_IDS.zstd]: zstdCodec,
}

const loaded = new Map<number, Promise<Codec>>()

/** The codec for a batch's codec id (attributes & 7), or undefined for an id Kafka does not define. */
export function codecForId(id: number): Promise<Codec> | undefined {
  const load = loaders[id]
  if (!load) return undefined
  let codec = loaded.get(id)
  if (!codec) loaded.set(id, (codec = load()))
  return codec
}

export function compressionName(id: number): string {
  return COMPRESSION_NAMES.find((name) => COMPRESSION_IDS[name] === id) ?? `unknown codec ${id}`
}
