import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/lib/errors.js'
import {parseProtobuf, parseProtobufFile, topLevelMessages} from '../../../src/lib/schema/protobuf-schema.js'

const caught = (run: () => unknown): UsageError => {
  try {
    run()
  } catch (error) {
    return error as UsageError
  }

  throw new UsageError('expected an error')
}

describe('parseProtobuf (the one protobufjs set-up)', () => {
  it('parses a schema with its references into one resolved Root, and lists its own top-level messages in order', () => {
    const money = 'syntax = "proto3";\npackage shop;\nmessage Money {\n  int64 units = 1;\n}\n'
    const text = 'syntax = "proto3";\npackage shop;\nimport "money.proto";\nmessage Price {\n  Money amount = 1;\n  message Tier {}\n}\nmessage Order {}\n'
    const {file, root} = parseProtobuf(text, [money])
    expect(topLevelMessages(file)).toEqual(['.shop.Price', '.shop.Order'])
    expect(root.lookupType('shop.Price').fields.amount.resolvedType?.fullName).toBe('.shop.Money')
  })

  it('adds the well-known types a schema or its references import, and only those', () => {
    const text = 'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nimport "google/protobuf/struct.proto";\nmessage E {\n  google.protobuf.Timestamp at = 1;\n  google.protobuf.Struct extra = 2;\n}\n'
    const {root} = parseProtobuf(text, [])
    expect(root.lookupType('google.protobuf.Timestamp').fieldsArray.map((field) => field.name)).toEqual(['seconds', 'nanos'])
    expect(root.lookup('google.protobuf.Duration')).toBeNull()
  })

  it('resolves custom options declared on google/protobuf/descriptor.proto', () => {
    const text = 'syntax = "proto3";\nimport "google/protobuf/descriptor.proto";\nextend google.protobuf.FieldOptions {\n  string pii = 50000;\n}\nmessage A {\n  string email = 1 [(pii) = "mask"];\n}\n'
    expect(parseProtobuf(text, []).root.lookupType('A').fields.email.options).toEqual({'(pii)': 'mask'})
  })

  it('keeps a well-known type a reference declares itself (registered as a subject) instead of adding it twice', () => {
    const timestamp = 'syntax = "proto3";\npackage google.protobuf;\nmessage Timestamp {\n  int64 seconds = 1;\n  int32 nanos = 2;\n}\n'
    const text = 'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nmessage E {\n  google.protobuf.Timestamp at = 1;\n}\n'
    expect(parseProtobuf(text, [timestamp]).root.lookupType('E').fields.at.resolvedType?.fullName).toBe('.google.protobuf.Timestamp')
  })

  it('turns parse errors into SCHEMA_INVALID with protobufjs\'s line number kept', () => {
    const error = caught(() => parseProtobuf('syntax = "proto3";\nmessage A {\n  int32 = 1;\n}\n', []))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.code).toBe('SCHEMA_INVALID')
    expect(error.message).toMatch(/^not a valid \.proto file: .*\(line 3\)$/)
    expect(caught(() => parseProtobufFile('message {')).code).toBe('SCHEMA_INVALID')
  })

  it('refuses types neither declared nor imported, and references that do not parse', () => {
    const unresolved = caught(() => parseProtobuf('syntax = "proto3";\nmessage A {\n  Missing m = 1;\n}\n', []))
    expect(unresolved).toMatchObject({code: 'SCHEMA_INVALID', message: expect.stringMatching(/neither declares nor imports: .*Missing/)})
    const badReference = caught(() => parseProtobuf('syntax = "proto3";\nmessage A {}\n', ['message {']))
    expect(badReference).toMatchObject({code: 'SCHEMA_INVALID', message: expect.stringMatching(/^in a referenced \.proto file: /)})
  })
})
