import type {IHeaders} from 'kafkajs'
import {createRequire} from 'node:module'

import type {Headers, OutgoingRecord} from '../event-log.js'
import {EvtError} from '../../errors.js'

/*
 * kafkajs 2.2.4 takes a message's headers as an object of name → value (or → values for a name
 * that repeats), so it cannot write the order between different names, and its record encoder
 * throws on a null value. evt's records are exact, so evt gives kafkajs a record encoder of its own
 * that writes a list of headers as it is (record format v2, the same bytes kafkajs writes for the
 * rest of the record). It must be in place before kafkajs's Produce request loads its encoder:
 * `installExactHeaders` runs in loadKafkajs, before kafkajs itself is imported.
 */
const EXACT = Symbol.for('evt.exactHeaders')
const require = createRequire(import.meta.url)
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js'
const PRODUCE_REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js'

interface RecordFields {
  headers?: IHeaders & {[EXACT]?: Headers}
  key: Buffer | null
  offsetDelta?: number
  timestampDelta?: number
  value: Buffer | null
}

interface KafkajsEncoder {
  writeInt8(value: number): KafkajsEncoder
  writeVarInt(value: number): KafkajsEncoder
  writeVarIntArray(array: KafkajsEncoder[]): KafkajsEncoder
  writeVarIntBytes(value: Buffer | null): KafkajsEncoder
  writeVarIntString(value: string): KafkajsEncoder
  writeVarLong(value: number): KafkajsEncoder
}

interface EncoderClass {
  new (): KafkajsEncoder
  sizeOfVarInt(value: number): number
  sizeOfVarIntBytes(value: Buffer | null): number
  sizeOfVarLong(value: number): number
}

let installed: boolean | undefined
let installing: Promise<boolean> | undefined

/**
 * Puts evt's record encoder in front of kafkajs's. Returns false when kafkajs's Produce request was
 * loaded before (its encoder is then kafkajs's own).
 */
export function installExactHeaders(): Promise<boolean> {
  // Once, however many loads of kafkajs wait on it.
  installing ??= install()
  return installing
}

async function install(): Promise<boolean> {
  // In dist/kafkajs.cjs, kafkajs's record module takes an encoder to put in front (scripts/bundle.js).
  const record = (await import('kafkajs/src/protocol/recordBatch/record/v0/index.js')).default as KafkajsRecord & {useEncoder?: (wrap: (kafkajsRecord: KafkajsRecord) => KafkajsRecord) => void}
  if (record.useEncoder) {
    const Encoder = (await import('kafkajs/src/protocol/encoder.js')).default as EncoderClass
    record.useEncoder((kafkajsRecord) => withExactHeaders(kafkajsRecord, Encoder))
    return true
  }

  // Run from src/ (tests, bin/dev.js) kafkajs is loaded by require: its record module's export is
  // replaced in require's cache, which its Produce request must not have taken yet.
  if (require.cache[require.resolve(PRODUCE_REQUEST_MODULE)]) return (installed = false)
  const recordPath = require.resolve(RECORD_MODULE)
  require.cache[recordPath]!.exports = withExactHeaders(require(recordPath) as KafkajsRecord, require('kafkajs/src/protocol/encoder.js') as EncoderClass)
  return true
}

type KafkajsRecord = (fields: RecordFields) => KafkajsEncoder

/** kafkajs's record encoder with evt's in front of it: a record given an exact list of headers is written by evt's. */
function withExactHeaders(kafkajsRecord: KafkajsRecord, Encoder: EncoderClass): KafkajsRecord {
  installed = true
  return (fields) => {
    const exact = fields.headers?.[EXACT]
    return exact ? encodeRecord(Encoder, fields, exact) : kafkajsRecord(fields)
  }
}

function encodeRecord(Encoder: EncoderClass, {key, offsetDelta = 0, timestampDelta = 0, value}: RecordFields, headers: Headers): KafkajsEncoder {
  let headersSize = Encoder.sizeOfVarInt(headers.length)
  for (const [name, headerValue] of headers) {
    const nameSize = Buffer.byteLength(name)
    headersSize += Encoder.sizeOfVarInt(nameSize) + nameSize + Encoder.sizeOfVarIntBytes(headerValue)
  }

  const bodySize = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value) + headersSize
  return new Encoder()
    .writeVarInt(bodySize)
    .writeInt8(0) // record attributes: none are defined
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarIntArray(headers.map(([name, headerValue]) => new Encoder().writeVarIntString(name).writeVarIntBytes(headerValue)))
}

/**
 * A record's headers for kafkajs's Message: the exact list when evt's encoder is installed, else
 * kafkajs's object form (repeats grouped by name; a null value sent as an empty one is not
 * possible there, so it is refused by kafkajs's own encoder check below).
 */
export function kafkajsHeaders(record: OutgoingRecord): IHeaders | undefined {
  const headers = record.headers
  if (!headers || headers.length === 0) return undefined
  if (!installed) throw new EvtError('INTERNAL', 'evt\'s record encoder is not installed: kafkajs was loaded before evt (load it through loadKafkajs)')
  return {[EXACT]: headers} as IHeaders
}
