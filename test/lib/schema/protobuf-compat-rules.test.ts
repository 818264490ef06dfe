import {describe, expect, it} from 'vitest'

import type {ReadRoles} from '../../../src/lib/schema/avro-compat.js'
import {protobufReadIssues} from '../../../src/lib/schema/protobuf-compat.js'

// Each rule is named after the difference type of Confluent's protobuf `diff` package; the
// verdicts follow its set of compatible changes. The writer's schema is Confluent's original.
const BACKWARD: ReadRoles = {reader: 'the candidate', readerIsNew: true, writer: 'v1'}
const FORWARD: ReadRoles = {reader: 'v1', readerIsNew: false, writer: 'the candidate'}

/** Issues when `next` follows `previous`: BACKWARD reads old data with `next`, FORWARD reads new data with `previous`. */
function changes(previous: string, next: string, options: {forward?: boolean; nextRefs?: string[]; previousRefs?: string[]} = {}): string[] {
  const {nextRefs = [], previousRefs = []} = options
  const issues = options.forward
    ? protobufReadIssues(previous, next, FORWARD, previousRefs, nextRefs)
    : protobufReadIssues(next, previous, BACKWARD, nextRefs, previousRefs)
  return issues.map((issue) => `${issue.change}: ${issue.reason}`)
}

const both = (previous: string, next: string, options: {nextRefs?: string[]; previousRefs?: string[]} = {}) => ({
  backward: changes(previous, next, options),
  forward: changes(previous, next, {...options, forward: true}),
})

const proto3 = (body: string) => `syntax = "proto3";\n${body}\n`
const proto2 = (body: string) => `syntax = "proto2";\n${body}\n`

describe('Protobuf compatibility rules (Confluent difference types)', () => {
  it('FIELD_REMOVED is compatible, reserved or not, and so is FIELD_ADDED', () => {
    const before = proto3('message M {\n  string a = 1;\n  int32 b = 2;\n}')
    const after = proto3('message M {\n  string a = 1;\n}')
    expect(both(before, after)).toEqual({backward: [], forward: []})
    expect(both(after, before)).toEqual({backward: [], forward: []})
  })

  it('FIELD_NAME_CHANGED is compatible: fields are matched by number', () => {
    expect(both(proto3('message M {\n  string a = 1;\n}'), proto3('message M {\n  string renamed = 1;\n}'))).toEqual({backward: [], forward: []})
  })

  it('REQUIRED_FIELD_ADDED is incompatible (proto2), and so is REQUIRED_FIELD_REMOVED', () => {
    const optional = proto2('message M {\n  optional string a = 1;\n}')
    const required = proto2('message M {\n  optional string a = 1;\n  required string b = 2;\n}')
    expect(changes(optional, required)).toEqual([
      "required field 'M.b' (#2) added: a reader on the candidate requires #2, which data written by v1 lacks",
    ])
    expect(changes(optional, required, {forward: true})).toEqual([expect.stringMatching(/^required field 'M.b' \(#2\) added: a reader on v1 does not know the required #2 of data written with the candidate/)])
    expect(changes(required, optional)).toEqual([expect.stringMatching(/^required field 'M.b' \(#2\) removed: a reader on the candidate does not know the required #2 of data written by v1/)])
    expect(changes(required, optional, {forward: true})).toEqual([
      "required field 'M.b' (#2) removed: a reader on v1 requires #2, which data written with the candidate lacks",
    ])
    expect(changes(proto2('message M {\n  optional string a = 1;\n  optional string b = 2;\n}'), proto2('message M {\n  optional string a = 1;\n}'))).toEqual([])
  })

  it('MULTIPLE_FIELDS_MOVED_TO_ONEOF is incompatible; data that set both keeps one', () => {
    const plain = proto3('message M {\n  string a = 1;\n  string b = 2;\n}')
    const oneof = proto3('message M {\n  oneof choice {\n    string a = 1;\n    string b = 2;\n    int32 c = 3;\n  }\n}')
    expect(changes(plain, oneof)).toEqual([
      'fields #1 a, #2 b of M moved into oneof choice: data written by v1 may set several of them at once; a reader on the candidate keeps only the last',
    ])
    // Confluent diffs writer → reader: for FORWARD the reader (v1) has no oneof, only ONEOF_REMOVED, compatible.
    expect(changes(plain, oneof, {forward: true})).toEqual([])
    // Moving fields out of a oneof is the same difference with the roles swapped.
    expect(changes(oneof, plain, {forward: true})).toEqual([expect.stringMatching(/^fields #1 a, #2 b of M moved out of oneof choice: data written with the candidate may set/)])
  })

  it('one field moved into a new oneof is compatible (ONEOF_ADDED)', () => {
    const plain = proto3('message M {\n  string a = 1;\n  string b = 2;\n}')
    const oneof = proto3('message M {\n  string a = 1;\n  oneof choice {\n    string b = 2;\n    int32 c = 3;\n  }\n}')
    expect(both(plain, oneof)).toEqual({backward: [], forward: []})
  })

  it('FIELD_MOVED_TO_EXISTING_ONEOF is incompatible', () => {
    const before = proto3('message M {\n  string a = 1;\n  oneof choice {\n    string b = 2;\n  }\n}')
    const after = proto3('message M {\n  oneof choice {\n    string a = 1;\n    string b = 2;\n  }\n}')
    expect(changes(before, after)).toEqual([expect.stringMatching(/^field #1 a of M moved into oneof choice, which already held #2: data written by v1 may set it and another member at once/)])
    expect(changes(after, before, {forward: true})).toEqual([expect.stringMatching(/^field #1 a of M moved out of oneof choice, leaving #2: data written with the candidate may set it and another member/)])
  })

  it('ONEOF_FIELD_REMOVED is incompatible; ONEOF_FIELD_ADDED is compatible (so adding one is FORWARD-incompatible)', () => {
    const two = proto3('message M {\n  oneof choice {\n    string a = 1;\n    int32 b = 2;\n  }\n}')
    const one = proto3('message M {\n  oneof choice {\n    string a = 1;\n  }\n}')
    expect(changes(two, one)).toEqual([
      "field 'M.b' (#2) removed from oneof choice: a reader on the candidate does not know #2, so a oneof choice set to it written by v1 reads as unset",
    ])
    expect(changes(one, two)).toEqual([])
    expect(changes(one, two, {forward: true})).toEqual([expect.stringMatching(/^field 'M.b' \(#2\) added to oneof choice: a reader on v1 does not know #2/)])
    // A field that leaves the oneof but stays in the message was moved, not removed.
    expect(changes(two, proto3('message M {\n  int32 b = 2;\n  oneof choice {\n    string a = 1;\n  }\n}'))).toEqual([])
  })

  it('a field that changed oneof is still compared by number', () => {
    const before = proto3('message M {\n  int32 a = 1;\n}')
    const after = proto3('message M {\n  oneof choice {\n    string a = 1;\n    int32 z = 9;\n  }\n}')
    expect(changes(before, after)).toEqual([expect.stringMatching(/^field #1 of M changed int32 a → string a: .*different wire encodings$/)])
  })

  it('FIELD_SCALAR_KIND_CHANGED: only scalars of one wire group read each other; enums read as general numbers', () => {
    const field = (type: string) => proto3(`message M {\n  ${type} f = 1;\n}\nenum Status {\n  ACTIVE = 0;\n  INACTIVE = 1;\n}`)
    for (const [from, to] of [
      ['int32', 'int64'],
      ['uint64', 'bool'],
      ['sint32', 'sint64'],
      ['fixed32', 'sfixed32'],
      ['string', 'bytes'],
      ['int32', 'Status'],
      ['Status', 'uint64'],
    ]) {
      expect(both(field(from), field(to)), `${from} → ${to}`).toEqual({backward: [], forward: []})
    }

    for (const [from, to] of [
      ['int32', 'sint32'],
      ['Status', 'sint64'],
      ['fixed32', 'fixed64'],
      ['float', 'double'],
      ['string', 'int32'],
    ]) {
      expect(changes(field(from), field(to)), `${from} → ${to}`).toEqual([
        `field #1 of M changed ${from} f → ${to} f: a reader on the candidate cannot read field #1 written by v1: the types have different wire encodings`,
      ])
    }
  })

  it('FIELD_KIND_CHANGED: a scalar, a message and a map do not read each other', () => {
    const field = (type: string) => proto3(`message M {\n  ${type} f = 1;\n}\nmessage Other {\n  string s = 1;\n}`)
    expect(changes(field('int32'), field('Other'))).toEqual([
      'field #1 of M changed int32 f → Other f: a reader on the candidate cannot read field #1 written by v1: field #1 is a scalar in one version and a message in the other',
    ])
    expect(changes(field('map<string, Other>'), field('Other'))).toEqual([expect.stringMatching(/^field #1 of M changed map<string, Other> f → Other f: .*a map in one version and a message in the other$/)])
  })

  it('FIELD_NUMERIC_LABEL_CHANGED is incompatible; FIELD_STRING_OR_BYTES_LABEL_CHANGED and message labels are compatible', () => {
    const field = (label: string, type: string) => proto3(`message M {\n  ${label} ${type} f = 1;\n}\nmessage Other {\n  string s = 1;\n}`)
    expect(changes(field('optional', 'int32'), field('repeated', 'int32'))).toEqual([
      "field 'M.f' (#1) changed singular → repeated: a reader on the candidate reads #1 written by v1 with a different cardinality",
    ])
    // The field exists on both sides, so this is a label change, not REQUIRED_FIELD_ADDED.
    expect(changes(proto2('message M {\n  optional int64 f = 1;\n}'), proto2('message M {\n  required int64 f = 1;\n}'))).toEqual([
      expect.stringMatching(/^field 'M.f' \(#1\) changed singular → required/),
    ])
    for (const type of ['string', 'bytes', 'Other']) {
      expect(both(field('optional', type), field('repeated', type)), type).toEqual({backward: [], forward: []})
      expect(both(field('', type), field('repeated', type)), type).toEqual({backward: [], forward: []})
    }
  })

  it('proto3 `optional` is a plain field, not a oneof (protobufjs models it as one)', () => {
    const plain = proto3('message M {\n  int32 a = 1;\n  int32 b = 2;\n}')
    const optional = proto3('message M {\n  optional int32 a = 1;\n  optional int32 b = 2;\n}')
    expect(both(plain, optional)).toEqual({backward: [], forward: []})
    expect(both(optional, plain)).toEqual({backward: [], forward: []})
  })

  it('field types compare as resolved full names: Status, .TestMessage.Status and map values alike', () => {
    const nested = (type: string, mapValue: string) =>
      proto3(`message TestMessage {\n  ${type} status = 1;\n  map<string, ${mapValue}> byId = 2;\n  message Status {\n    string s = 1;\n  }\n}`)
    expect(both(nested('Status', 'Status'), nested('.TestMessage.Status', 'TestMessage.Status'))).toEqual({backward: [], forward: []})
    const packaged = (type: string) => `syntax = "proto3";\npackage foo;\nmessage TestMessage {\n  ${type} status = 1;\n  message Status {\n    string s = 1;\n  }\n}\n`
    expect(both(packaged('Status'), packaged('.foo.TestMessage.Status'))).toEqual({backward: [], forward: []})
    expect(changes(proto3('message M {\n  map<string, int32> m = 1;\n}'), proto3('message M {\n  map<string, string> m = 1;\n}'))).toEqual([
      expect.stringMatching(/^field #1 of M changed map<string, int32> m → map<string, string> m: .*map values have different wire encodings$/),
    ])
  })

  it('FIELD_NAMED_TYPE_CHANGED: a field of another message type', () => {
    const before = proto3('message M {\n  A f = 1;\n}\nmessage A {\n  string s = 1;\n}\nmessage B {\n  string s = 1;\n}')
    const after = proto3('message M {\n  B f = 1;\n}\nmessage A {\n  string s = 1;\n}\nmessage B {\n  string s = 1;\n}')
    expect(changes(before, after)).toEqual(['field #1 of M changed A f → B f: a reader on the candidate reads field #1 written by v1 as another message type'])
  })

  it('MESSAGE_REMOVED is incompatible, so adding a message is FORWARD-incompatible; MESSAGE_ADDED and MESSAGE_MOVED are not', () => {
    const one = proto3('message A {\n  string s = 1;\n}')
    const two = proto3('message B {\n  string s = 1;\n}\nmessage A {\n  string s = 1;\n}')
    expect(changes(two, one)).toEqual(['message B removed: a reader on the candidate no longer knows B, written by v1'])
    expect(changes(one, two)).toEqual([])
    expect(changes(one, two, {forward: true})).toEqual(['message B added: a reader on v1 does not know B, which data written with the candidate may hold'])
    expect(changes(two, one, {forward: true})).toEqual([])
    expect(changes(proto3('message W {\n  message Inner {\n    string s = 1;\n  }\n}'), proto3('message W {\n}'))).toEqual([expect.stringMatching(/^message W.Inner removed/)])
  })

  it('PACKAGE_CHANGED is compatible: messages are matched by their name in the file', () => {
    const packaged = (name: string) => `syntax = "proto3";\npackage ${name};\nmessage M {\n  .${name}.M.Inner inner = 1;\n  message Inner {\n    string s = 1;\n  }\n}\n`
    expect(both(packaged('foo'), packaged('bar'))).toEqual({backward: [], forward: []})
  })

  it('enum changes are compatible (ENUM_ADDED, ENUM_REMOVED, ENUM_CONST_*)', () => {
    const before = proto3('message M {\n  Status s = 1;\n}\nenum Status {\n  ACTIVE = 0;\n  INACTIVE = 1;\n}')
    const after = proto3('message M {\n  Status s = 1;\n}\nenum Status {\n  ACTIVE = 0;\n  DORMANT = 2;\n}')
    expect(both(before, after)).toEqual({backward: [], forward: []})
  })
})

describe('Protobuf compatibility across imports (schema references)', () => {
  const home = (pkg: string, idType: string) => `syntax = "proto3";\npackage ${pkg};\nmessage GoogleHome {\n  ${idType} deviceID = 1;\n  bool enabled = 2;\n}\n`
  const user = (pkg: string) => `syntax = "proto3";\nimport "home.proto";\nmessage Device {\n  .${pkg}.GoogleHome home = 1;\n}\n`

  it('an imported message whose structure changed is FIELD_NAMED_TYPE_CHANGED, with the inner change', () => {
    expect(changes(user('demo'), user('demo'), {nextRefs: [home('demo', 'string')], previousRefs: [home('demo', 'int32')]})).toEqual([
      'field #1 of demo.GoogleHome changed int32 deviceID → string deviceID: a reader on the candidate cannot read field #1 written by v1: the types have different wire encodings',
      "field 'Device.home' (#1) has type demo.GoogleHome → demo.GoogleHome, which changed incompatibly: a reader on the candidate misreads the GoogleHome in field #1 written by v1: field #1 of demo.GoogleHome changed int32 deviceID → string deviceID",
    ])
    expect(changes(user('demo'), user('demo'), {nextRefs: [home('demo', 'int64')], previousRefs: [home('demo', 'int32')]})).toEqual([])
  })

  it('an imported message moved to another package with the same structure is compatible', () => {
    expect(both(user('demo'), user('demo2'), {nextRefs: [home('demo2', 'int32')], previousRefs: [home('demo', 'int32')]})).toEqual({backward: [], forward: []})
    expect(changes(user('demo'), user('demo2'), {nextRefs: [home('demo2', 'sint32')], previousRefs: [home('demo', 'int32')]})).toEqual([
      expect.stringMatching(/^field #1 of demo.GoogleHome changed int32 deviceID → sint32 deviceID/),
      expect.stringMatching(/^field 'Device.home' \(#1\) has type demo.GoogleHome → demo2.GoogleHome, which changed incompatibly/),
    ])
  })

  it('a message moved out of an import is compatible (MESSAGE_ADDED); into one, MESSAGE_REMOVED', () => {
    const local = proto3('message Device {\n  GoogleHome home = 1;\n}\nmessage GoogleHome {\n  int32 deviceID = 1;\n  bool enabled = 2;\n}')
    expect(changes(user('demo'), local, {previousRefs: [home('demo', 'int32')]})).toEqual([])
    expect(changes(local, user('demo'), {nextRefs: [home('demo', 'int32')]})).toEqual(['message GoogleHome removed: a reader on the candidate no longer knows GoogleHome, written by v1'])
    expect(changes(local, user('demo'), {nextRefs: [home('demo', 'string')]})).toEqual([
      expect.stringMatching(/^field #1 of GoogleHome changed int32 deviceID → string deviceID/),
      expect.stringMatching(/^field 'Device.home' \(#1\) has type GoogleHome → demo.GoogleHome, which changed incompatibly/),
      'message GoogleHome removed: a reader on the candidate no longer knows GoogleHome, written by v1',
    ])
  })

  it('well-known types resolve and compare like imports: Timestamp → Duration is another message type', () => {
    const field = (file: string, type: string) => proto3(`import "google/protobuf/${file}.proto";\nmessage Event {\n  ${type} at = 1;\n}`)
    expect(both(field('timestamp', 'google.protobuf.Timestamp'), field('timestamp', '.google.protobuf.Timestamp'))).toEqual({backward: [], forward: []})
    expect(changes(field('timestamp', 'google.protobuf.Timestamp'), field('duration', 'google.protobuf.Duration'))).toEqual([
      'field #1 of Event changed google.protobuf.Timestamp at → google.protobuf.Duration at: a reader on the candidate reads field #1 written by v1 as another message type',
    ])
  })

  it('recursive imported messages are compared once', () => {
    const tree = (type: string) => `syntax = "proto3";\npackage t;\nmessage Node {\n  ${type} value = 1;\n  repeated Node children = 2;\n}\n`
    const uses = proto3('import "tree.proto";\nmessage Doc {\n  t.Node root = 1;\n}')
    expect(changes(uses, uses, {nextRefs: [tree('int64')], previousRefs: [tree('int32')]})).toEqual([])
    expect(changes(uses, uses, {nextRefs: [tree('double')], previousRefs: [tree('int32')]})).toHaveLength(2)
  })
})
