/**
 * The schema registry seam (design §2): the embedded registry (SQLite) and any Confluent-API
 * registry over HTTP implement it and pass one contract suite.
 */
export const SCHEMA_TYPES = ['AVRO', 'JSON', 'PROTOBUF'] as const
export type SchemaType = (typeof SCHEMA_TYPES)[number]

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

export interface SchemaReference {
  /** The name the referring schema uses (an Avro full name, a .proto import path, a JSON $ref). */
  name: string
  subject: string
  version: number
}

export interface SchemaDefinition {
  references: SchemaReference[]
  schema: string
  schemaType: SchemaType
}

export interface StoredSchema extends SchemaDefinition {
  id: number
}

export interface SubjectVersion extends StoredSchema {
  subject: string
  version: number
}

export interface RegisterResult {
  id: number
  /** false when the subject already had this schema: same id, nothing written. */
  registered: boolean
  subject: string
  version: number
}

export interface CompatibilityResult {
  compatible: boolean
  level: CompatibilityLevel
  /** One sentence per incompatibility: version, change, why it breaks a reader, and the rule. */
  messages: string[]
  /** Set when nothing was compared (no versions yet, or level NONE). */
  note?: string
}

export interface SchemaRegistry {
  /** Would `definition` be accepted as the next version of `subject` under its level? With every reason if not. */
  checkCompatibility(subject: string, definition: SchemaDefinition): Promise<CompatibilityResult>
  close(): Promise<void>
  /** The level in force for a subject (its own, else the global one); no subject = the global level. */
  getCompatibility(subject?: string): Promise<CompatibilityLevel>
  getSchema(id: number): Promise<StoredSchema>
  getVersion(subject: string, version: 'latest' | number): Promise<SubjectVersion>
  listSubjects(): Promise<string[]>
  /** The version of `subject` holding this schema, if it was registered there. */
  lookup(subject: string, definition: SchemaDefinition): Promise<SubjectVersion | undefined>
  register(subject: string, definition: SchemaDefinition): Promise<RegisterResult>
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>
  /** Subject/version pairs that hold schema `id`, for showing where a record's schema comes from. */
  subjectVersionsForId(id: number): Promise<{subject: string; version: number}[]>
  versions(subject: string): Promise<number[]>
}
