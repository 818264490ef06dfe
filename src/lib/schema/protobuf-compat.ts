import type {Enum, Field, MapField, NamespaceBase, OneOf, Type} from 'protobufjs'

import type {Incompatibility, ReadRoles} from './avro-compat.js'
import {loadProtobufjs, parseProtobuf, parseProtobufFile, type ProtobufSchema, topLevelMessages} from './protobuf-schema.js'

interface ProtoField {
  id: number
  name: string
  repeated: boolean
  type: string
}

interface ProtoMessage {
  fields: ProtoField[]
  fullName: string
  reserved: (number | string | [number, number])[]
}

/** Parses one .proto file (imports unresolved) into its messages, nested ones included, by full name. */
export function parseProto(text: string): Map<string, ProtoMessage> {
  const protobuf = loadProtobufjs()
  const messages = new Map<string, ProtoMessage>()
  const visit = (namespace: NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) {
        messages.set(fullNameOf(nested), {
          fields: nested.fieldsArray.map((field) => ({id: field.id, name: field.name, repeated: field.repeated, type: field.type})),
          fullName: fullNameOf(nested),
          reserved: (nested.reserved ?? []) as ProtoMessage['reserved'],
        })
      }

      if (nested instanceof protobuf.Namespace) visit(nested)
    }
  }

  visit(parseProtobufFile(text).root)
  return messages
}

/**
 * Groups of scalars that read each other's bytes, as Confluent groups them (after Protobuf's
 * language guide); an enum reads as a general number.
 */
const SCALAR_KINDS: Record<string, string> = {
  bool: 'general number',
  bytes: 'string or bytes',
  double: 'double',
  fixed32: 'fixed32',
  fixed64: 'fixed64',
  float: 'float',
  int32: 'general number',
  int64: 'general number',
  sfixed32: 'fixed32',
  sfixed64: 'fixed64',
  sint32: 'signed number',
  sint64: 'signed number',
  string: 'string or bytes',
  uint32: 'general number',
  uint64: 'general number',
}

/** What a field holds, resolved: a scalar (enums included), a message or a map. */
type FieldKind = 'map' | 'message' | 'scalar'

/**
 * Singular covers proto2 `optional`, proto3 `optional` and proto3 fields without a label. Confluent
 * compares labels only when both fields have one, so it lets an unlabelled proto3 number become
 * repeated; evt does not, as a singular reader drops packed repeated numbers.
 */
type Cardinality = 'repeated' | 'required' | 'singular'

/** One side of the comparison: Confluent's *original* is the writer's schema, its *update* the reader's. */
interface Side {
  /** Full names of the types the schema's own file declares (not its imports). */
  declared: Set<string>
  schema: ProtobufSchema
}

interface Comparison {
  issues: Incompatibility[]
  original: Side
  roles: ReadRoles
  update: Side
  /** Full names of the original messages being compared, so recursive types end. */
  visiting: Set<string>
}

/**
 * Confluent's Protobuf compatibility (its protobuf `diff` package): the writer's schema is the
 * *original*, the reader's the *update*, for BACKWARD and FORWARD alike, and they are compatible
 * iff every difference is of a kind Confluent accepts. Messages are matched by name within the file
 * (so a package change or a move within the file is fine), fields by number, field types by the
 * type they resolve to — imported and well-known messages compared by structure. Differences
 * Confluent accepts (fields added or removed, renames, enum changes, new oneofs, string ↔ bytes,
 * one field moved into a new oneof, singular ↔ repeated for strings, bytes and messages) are not
 * reported. Each rule below is named after Confluent's difference type.
 */
export function protobufReadIssues(readerText: string, writerText: string, roles: ReadRoles, readerRefs: string[] = [], writerRefs: string[] = []): Incompatibility[] {
  const comparison: Comparison = {issues: [], original: side(writerText, writerRefs), roles, update: side(readerText, readerRefs), visiting: new Set()}
  compareDeclarations(comparison, fileMessages(comparison.original), fileMessages(comparison.update))
  return comparison.issues
}

function side(text: string, referenced: string[]): Side {
  const schema = parseProtobuf(text, referenced)
  const declared = new Set<string>()
  const protobuf = loadProtobufjs()
  const visit = (namespace: NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) declared.add(fullNameOf(nested))
      if (nested instanceof protobuf.Namespace) visit(nested)
    }
  }

  visit(schema.file.root)
  return {declared, schema}
}

/** The file's top-level messages, as resolved in the Root that holds its references too. */
function fileMessages(of: Side): Type[] {
  return topLevelMessages(of.schema.file).map((name) => of.schema.root.lookupType(name))
}

function fullNameOf(type: {fullName: string}): string {
  return type.fullName.replace(/^\./, '')
}

/** Old and new in time, whichever side reads: for BACKWARD the original is the old version. */
function inTimeOrder<T>(comparison: Comparison, original: T, update: T): [T, T] {
  return comparison.roles.readerIsNew ? [original, update] : [update, original]
}

function writtenBy(roles: ReadRoles): string {
  return roles.readerIsNew ? `written by ${roles.writer}` : `written with ${roles.writer}`
}

/** Messages matched by name (MESSAGE_ADDED and MESSAGE_MOVED are compatible). */
function compareDeclarations(comparison: Comparison, originals: Type[], updates: Type[]): void {
  const updateByName = new Map(updates.map((type) => [type.name, type] as const))
  for (const original of originals) {
    const update = updateByName.get(original.name)
    if (update) compareMessages(comparison, original, update)
    else messageRemoved(comparison, original)
  }
}

/** MESSAGE_REMOVED: data written with the original may hold the message (by its index); the reader lacks it. */
function messageRemoved(comparison: Comparison, original: Type): void {
  const {roles} = comparison
  const name = fullNameOf(original)
  comparison.issues.push({
    change: `message ${name} ${roles.readerIsNew ? 'removed' : 'added'}`,
    path: name,
    reason: roles.readerIsNew
      ? `a reader on ${roles.reader} no longer knows ${name}, ${writtenBy(roles)}`
      : `a reader on ${roles.reader} does not know ${name}, which data ${writtenBy(roles)} may hold`,
  })
}

/** proto3 `optional` is a oneof of its own to protobufjs; Confluent (and the wire) see a plain field. */
function isSynthetic(oneof: OneOf): boolean {
  return oneof.fieldsArray.length === 1 && Boolean(oneof.fieldsArray[0].options?.proto3_optional)
}

function realOneofs(type: Type): OneOf[] {
  return type.oneofsArray.filter((oneof) => !isSynthetic(oneof))
}

function plainFields(type: Type): Map<number, Field> {
  const inOneof = new Set(realOneofs(type).flatMap((oneof) => oneof.fieldsArray))
  return new Map(type.fieldsArray.filter((field) => !inOneof.has(field)).map((field) => [field.id, field] as const))
}

function compareMessages(comparison: Comparison, original: Type, update: Type): void {
  const key = fullNameOf(original)
  if (comparison.visiting.has(key)) return
  comparison.visiting.add(key)
  const originalPlain = plainFields(original)
  const updatePlain = plainFields(update)
  const originalOneofs = realOneofs(original)
  const updateOneofs = realOneofs(update)

  for (const oneof of updateOneofs) fieldsMovedToOneof(comparison, update, oneof, originalPlain, originalOneofs)
  const movedIntoOneof = new Set(updateOneofs.flatMap((oneof) => oneof.fieldsArray.map((field) => field.id)))
  const updateIds = new Set(update.fieldsArray.map((field) => field.id))
  for (const oneof of originalOneofs) {
    const same = updateOneofs.find((candidate) => candidate.name === oneof.name)
    if (same) compareOneofs(comparison, original, oneof, same, updateIds)
  }

  for (const [id, field] of originalPlain) {
    const counterpart = updatePlain.get(id)
    if (counterpart) compareFields(comparison, original, field, counterpart)
    else if (field.required && !movedIntoOneof.has(id)) requiredFieldChanged(comparison, original, field, 'removed')
  }

  for (const [id, field] of updatePlain) {
    if (field.required && !originalPlain.has(id)) requiredFieldChanged(comparison, update, field, 'added')
  }

  compareFieldsThatChangedOneof(comparison, original, update)
  compareDeclarations(comparison, nestedTypes(original), nestedTypes(update))
  comparison.visiting.delete(key)
}

function nestedTypes(type: Type): Type[] {
  const protobuf = loadProtobufjs()
  return type.nestedArray.filter((nested): nested is Type => nested instanceof protobuf.Type)
}

/** A field's oneof, when it is in a real one. */
function oneofOf(field: Field): string | undefined {
  return field.partOf && !isSynthetic(field.partOf) ? field.partOf.name : undefined
}

/** Fields present on both sides whose oneof changed (into, out of, or to another one) are compared by number too. */
function compareFieldsThatChangedOneof(comparison: Comparison, original: Type, update: Type): void {
  for (const field of original.fieldsArray) {
    const counterpart = update.fieldsById[field.id]
    if (counterpart && oneofOf(field) !== oneofOf(counterpart)) compareFields(comparison, original, field, counterpart)
  }
}

/**
 * MULTIPLE_FIELDS_MOVED_TO_ONEOF and FIELD_MOVED_TO_EXISTING_ONEOF: a oneof keeps one value, so data
 * that set several of its fields as plain fields (or one of them besides an existing member)
 * loses all but one. One plain field moved into a oneof of otherwise new fields is compatible.
 */
function fieldsMovedToOneof(comparison: Comparison, update: Type, oneof: OneOf, originalPlain: Map<number, Field>, originalOneofs: OneOf[]): void {
  const moved = oneof.fieldsArray.filter((field) => originalPlain.has(field.id))
  const inOriginalOneof = new Set(originalOneofs.flatMap((each) => each.fieldsArray.map((field) => field.id)))
  const alreadyInOneof = oneof.fieldsArray.filter((field) => inOriginalOneof.has(field.id))
  if (moved.length < 2 && (moved.length === 0 || alreadyInOneof.length === 0)) return

  const {roles} = comparison
  const numbers = moved.map((field) => `#${field.id} ${field.name}`).join(', ')
  const message = fullNameOf(update)
  const direction = roles.readerIsNew ? 'moved into' : 'moved out of'
  const others = alreadyInOneof.map((field) => `#${field.id}`).join(', ')
  comparison.issues.push({
    change:
      moved.length > 1
        ? `fields ${numbers} of ${message} ${direction} oneof ${oneof.name}`
        : `field ${numbers} of ${message} ${direction} oneof ${oneof.name}, ${roles.readerIsNew ? 'which already held' : 'leaving'} ${others}`,
    path: `${message}.${oneof.name}`,
    reason: `data ${writtenBy(roles)} may set ${moved.length > 1 ? 'several of them' : 'it and another member'} at once; a reader on ${roles.reader} keeps only the last`,
  })
}

/** ONEOF_FIELD_REMOVED: a field left the oneof and the message altogether (ONEOF_FIELD_ADDED is compatible). */
function compareOneofs(comparison: Comparison, original: Type, oneof: OneOf, counterpart: OneOf, updateIds: Set<number>): void {
  const {roles} = comparison
  for (const field of oneof.fieldsArray) {
    const same = counterpart.fieldsArray.find((candidate) => candidate.id === field.id)
    if (same) {
      compareFields(comparison, original, field, same)
      continue
    }

    if (updateIds.has(field.id)) continue
    const path = `${fullNameOf(original)}.${field.name}`
    comparison.issues.push({
      change: `field '${path}' (#${field.id}) ${roles.readerIsNew ? 'removed from' : 'added to'} oneof ${oneof.name}`,
      path,
      reason: `a reader on ${roles.reader} does not know #${field.id}, so a oneof ${oneof.name} set to it ${writtenBy(roles)} reads as unset`,
    })
  }
}

/** REQUIRED_FIELD_ADDED and REQUIRED_FIELD_REMOVED: a required field is part of the contract both ways. */
function requiredFieldChanged(comparison: Comparison, type: Type, field: Field, inUpdate: 'added' | 'removed'): void {
  const {roles} = comparison
  const path = `${fullNameOf(type)}.${field.name}`
  // In the update means in the reader: for FORWARD the reader is the older version.
  const change = roles.readerIsNew ? inUpdate : inUpdate === 'added' ? 'removed' : 'added'
  comparison.issues.push({
    change: `required field '${path}' (#${field.id}) ${change}`,
    path,
    reason:
      inUpdate === 'added'
        ? `a reader on ${roles.reader} requires #${field.id}, which data ${writtenBy(roles)} lacks`
        : `a reader on ${roles.reader} does not know the required #${field.id} of data ${writtenBy(roles)}; a required field can be neither added nor removed, as readers that require it reject data without it`,
  })
}

function cardinalityOf(field: Field): Cardinality {
  if (field.repeated) return 'repeated'
  return field.required ? 'required' : 'singular'
}

function kindOf(field: Field): FieldKind {
  const protobuf = loadProtobufjs()
  if (field.map) return 'map'
  return field.resolvedType instanceof protobuf.Type ? 'message' : 'scalar'
}

/** A scalar's group; enums read as general numbers, as their values are varints. */
function scalarKindOf(type: string, resolved: Enum | Type | null): string {
  const protobuf = loadProtobufjs()
  return resolved instanceof protobuf.Enum ? 'general number' : (SCALAR_KINDS[type] ?? type)
}

/** protobufjs types fields as Field; a map field is a MapField, with its key type besides. */
function mapKeyType(field: Field): string {
  return (field as unknown as MapField).keyType
}

function describeType(field: Field): string {
  return field.map ? `map<${mapKeyType(field)}, ${field.type}>` : field.type
}

/** Confluent's FieldSchemaDiff: kind, then scalar group and label, message type or map key and value. */
function compareFields(comparison: Comparison, message: Type, original: Field, update: Field): void {
  const kinds = [kindOf(original), kindOf(update)] as const
  if (kinds[0] !== kinds[1]) {
    fieldTypeChanged(comparison, message, original, update, `field #${original.id} is a ${inTimeOrder(comparison, ...kinds).join(' in one version and a ')} in the other`)
    return
  }

  switch (kinds[0]) {
    case 'scalar': {
      compareScalars(comparison, message, original, update)
      break
    }

    case 'message': {
      compareMessageTypes(comparison, message, original, update, original.resolvedType as Type, update.resolvedType as Type)
      break
    }

    case 'map': {
      compareMaps(comparison, message, original, update)
      break
    }
  }
}

/** FIELD_SCALAR_KIND_CHANGED, then FIELD_NUMERIC_LABEL_CHANGED (FIELD_STRING_OR_BYTES_LABEL_CHANGED is compatible). */
function compareScalars(comparison: Comparison, message: Type, original: Field, update: Field): void {
  const group = scalarKindOf(original.type, original.resolvedType)
  if (group !== scalarKindOf(update.type, update.resolvedType)) {
    fieldTypeChanged(comparison, message, original, update, 'the types have different wire encodings')
    return
  }

  const cardinalities = [cardinalityOf(original), cardinalityOf(update)] as const
  if (group === 'string or bytes' || cardinalities[0] === cardinalities[1]) return
  const {roles} = comparison
  const path = `${fullNameOf(message)}.${original.name}`
  const [before, after] = inTimeOrder(comparison, ...cardinalities)
  comparison.issues.push({
    change: `field '${path}' (#${original.id}) changed ${before} → ${after}`,
    path,
    reason: `a reader on ${roles.reader} reads #${original.id} ${writtenBy(roles)} with a different cardinality`,
  })
}

/** Map keys are scalars; values compare like field types (Confluent's compareMapTypes). */
function compareMaps(comparison: Comparison, message: Type, original: Field, update: Field): void {
  if (SCALAR_KINDS[mapKeyType(original)] !== SCALAR_KINDS[mapKeyType(update)]) {
    fieldTypeChanged(comparison, message, original, update, 'the map keys have different wire encodings')
    return
  }

  const protobuf = loadProtobufjs()
  const values = [original.resolvedType, update.resolvedType].map((type) => (type instanceof protobuf.Type ? 'message' : 'scalar'))
  if (values[0] !== values[1]) {
    fieldTypeChanged(comparison, message, original, update, `the map values are a ${inTimeOrder(comparison, values[0], values[1]).join(' in one version and a ')} in the other`)
  } else if (values[0] === 'message') {
    compareMessageTypes(comparison, message, original, update, original.resolvedType as Type, update.resolvedType as Type)
  } else if (scalarKindOf(original.type, original.resolvedType) !== scalarKindOf(update.type, update.resolvedType)) {
    fieldTypeChanged(comparison, message, original, update, 'the map values have different wire encodings')
  }
}

/** FIELD_KIND_CHANGED and FIELD_SCALAR_KIND_CHANGED: the reader cannot take the written bytes. */
function fieldTypeChanged(comparison: Comparison, message: Type, original: Field, update: Field, why: string): void {
  const {roles} = comparison
  const [before, after] = inTimeOrder(comparison, original, update)
  comparison.issues.push({
    change: `field #${original.id} of ${fullNameOf(message)} changed ${describeType(before)} ${before.name} → ${describeType(after)} ${after.name}`,
    path: `${fullNameOf(message)}.${original.name}`,
    reason: `a reader on ${roles.reader} cannot read field #${original.id} ${writtenBy(roles)}: ${why}`,
  })
}

/** A message's name within its package: Confluent matches message types by it, whatever the package. */
function localName(type: Type): string {
  const protobuf = loadProtobufjs()
  let packageOf = type.parent
  while (packageOf instanceof protobuf.Type) packageOf = packageOf.parent
  const prefix = packageOf && packageOf.fullName ? `${fullNameOf(packageOf)}.` : ''
  return fullNameOf(type).slice(prefix.length)
}

/**
 * FIELD_NAMED_TYPE_CHANGED: another message type, or the same one (imported, well-known, or moved
 * into or out of an import) whose structure changed incompatibly. Types both files declare
 * themselves are compared where they are declared.
 */
function compareMessageTypes(comparison: Comparison, message: Type, original: Field, update: Field, originalType: Type, updateType: Type): void {
  const {roles} = comparison
  const path = `${fullNameOf(message)}.${original.name}`
  if (localName(originalType) !== localName(updateType)) {
    const [before, after] = inTimeOrder(comparison, original, update)
    comparison.issues.push({
      change: `field #${original.id} of ${fullNameOf(message)} changed ${describeType(before)} ${before.name} → ${describeType(after)} ${after.name}`,
      path,
      reason: `a reader on ${roles.reader} reads field #${original.id} ${writtenBy(roles)} as another message type`,
    })
    return
  }

  if (comparison.original.declared.has(fullNameOf(originalType)) && comparison.update.declared.has(fullNameOf(updateType))) return
  const inner: Comparison = {...comparison, issues: []}
  compareMessages(inner, originalType, updateType)
  if (inner.issues.length === 0) return
  const [before, after] = inTimeOrder(comparison, originalType, updateType)
  comparison.issues.push(...inner.issues, {
    change: `field '${path}' (#${original.id}) has type ${fullNameOf(before)} → ${fullNameOf(after)}, which changed incompatibly`,
    path,
    reason: `a reader on ${roles.reader} misreads the ${localName(originalType)} in field #${original.id} ${writtenBy(roles)}: ${inner.issues.map((issue) => issue.change).join('; ')}`,
  })
}
