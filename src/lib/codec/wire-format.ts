/**
 * Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, then the payload
 * (Protobuf puts message indexes before its payload). The decoder checks length and magic byte,
 * which @kafkajs/confluent-schema-registry does not.
 */
export const WIRE_HEADER_LENGTH = 5

export function encodeWire(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_LENGTH + payload.length)
  out[0] = 0
  out.writeUInt32BE(schemaId, 1)
  payload.copy(out, WIRE_HEADER_LENGTH)
  return out
}

/** The schema id of a wire-format buffer, or undefined when the bytes are not in that format. */
export function wireSchemaId(bytes: Buffer | null): number | undefined {
  if (!bytes || bytes.length < WIRE_HEADER_LENGTH || bytes[0] !== 0) return undefined
  return bytes.readUInt32BE(1)
}

export function wirePayload(bytes: Buffer): Buffer {
  return bytes.subarray(WIRE_HEADER_LENGTH)
}
