import type {EmbeddedDatabase} from '../../embedded/database.js'
import {CheckFailedError, NotFoundError, UsageError} from '../../errors.js'
import {schemaFingerprint} from '../fingerprint.js'
import type {
  CompatibilityLevel,
  CompatibilityResult,
  RegisterResult,
  SchemaDefinition,
  SchemaRegistry,
  SchemaType,
  StoredSchema,
  SubjectVersion,
} from '../schema-registry.js'
import {validateSchema} from '../validate-schema.js'

interface SchemaRow {
  id: number
  refs: string
  schema: string
  schema_type: SchemaType
}

const GLOBAL = ''
/** Confluent's default when nothing was configured. */
const DEFAULT_LEVEL: CompatibilityLevel = 'BACKWARD'

/** A schema registry kept in the embedded SQLite file, with Confluent's ids and versions. */
export class EmbeddedSchemaRegistry implements SchemaRegistry {
  /** The end of the queue of this process's registrations (see register). */
  private registering: Promise<unknown> = Promise.resolve()

  constructor(private readonly db: EmbeddedDatabase) {}

  async checkCompatibility(subject: string, definition: SchemaDefinition): Promise<CompatibilityResult> {
    // The compatibility rules load on the first check: listing, reading and decoding need none of them.
    const {checkCompatibility} = await import('../../schema/compatibility.js')
    return checkCompatibility({candidate: definition, level: await this.getCompatibility(subject), registry: this, subject})
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }

  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    const level = (subject: string) =>
      (this.db.prepare('SELECT level FROM compatibility WHERE subject = ?').get(subject) as {level: CompatibilityLevel} | undefined)?.level
    return (subject === undefined ? undefined : level(subject)) ?? level(GLOBAL) ?? DEFAULT_LEVEL
  }

  async getSchema(id: number): Promise<StoredSchema> {
    const row = this.db.prepare('SELECT id, schema_type, schema, refs FROM schemas WHERE id = ?').get(id) as SchemaRow | undefined
    if (!row) throw new NotFoundError('SCHEMA_NOT_FOUND', `schema id ${id} is not in the registry`)
    return toStored(row)
  }

  async getVersion(subject: string, version: 'latest' | number): Promise<SubjectVersion> {
    const versions = await this.versions(subject)
    const wanted = version === 'latest' ? versions.at(-1)! : version
    const row = this.db
      .prepare(
        `SELECT s.id, s.schema_type, s.schema, s.refs FROM subject_versions v JOIN schemas s ON s.id = v.schema_id
         WHERE v.subject = ? AND v.version = ?`,
      )
      .get(subject, wanted) as SchemaRow | undefined
    if (!row) throw new NotFoundError('SCHEMA_NOT_FOUND', `subject '${subject}' has no version ${version}`, {available: versions.map(String)})
    return {...toStored(row), subject, version: wanted}
  }

  async listSubjects(): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT subject FROM subject_versions ORDER BY subject').all() as {subject: string}[]).map(
      (row) => row.subject,
    )
  }

  async lookup(subject: string, definition: SchemaDefinition): Promise<SubjectVersion | undefined> {
    const row = this.db
      .prepare(
        `SELECT s.id, s.schema_type, s.schema, s.refs, v.version FROM subject_versions v JOIN schemas s ON s.id = v.schema_id
         WHERE v.subject = ? AND s.fingerprint = ? ORDER BY v.version LIMIT 1`,
      )
      .get(subject, schemaFingerprint(definition)) as (SchemaRow & {version: number}) | undefined
    return row ? {...toStored(row), subject, version: row.version} : undefined
  }

  /**
   * Checks compatibility and writes in one `BEGIN IMMEDIATE` transaction: the write lock is taken
   * before the versions are read, so of several processes registering into one evt.db at once each
   * checks against every version committed before it, and an incompatible schema never slips in
   * between another process's check and write. Calls within this process are queued, because the
   * check awaits and the connection is shared.
   */
  async register(subject: string, definition: SchemaDefinition): Promise<RegisterResult> {
    if (subject.trim() === '') throw new UsageError('a subject name cannot be empty')
    // Like Confluent's server: a schema no client could use (one that does not parse, a .proto
    // type it neither declares nor imports) is refused, not stored.
    await validateSchema(definition, this)
    const run = this.registering.then(() => this.registerLocked(subject, definition))
    this.registering = run.catch(() => {})
    return run
  }

  private async registerLocked(subject: string, definition: SchemaDefinition): Promise<RegisterResult> {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const result = await this.checkAndWrite(subject, definition)
      this.db.exec('COMMIT')
      return result
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw error
    }
  }

  /** Runs inside registerLocked's transaction. */
  private async checkAndWrite(subject: string, definition: SchemaDefinition): Promise<RegisterResult> {
    const fingerprint = schemaFingerprint(definition)
    // Like Confluent: an already registered schema is not checked again; a new one must be compatible.
    const existing = this.db
      .prepare(
        `SELECT v.version, s.id FROM subject_versions v JOIN schemas s ON s.id = v.schema_id
         WHERE v.subject = ? AND s.fingerprint = ? ORDER BY v.version LIMIT 1`,
      )
      .get(subject, fingerprint) as {id: number; version: number} | undefined
    if (existing) return {...existing, registered: false, subject}

    const result = await this.checkCompatibility(subject, definition)
    if (!result.compatible) throw new CheckFailedError('SCHEMA_INCOMPATIBLE', `schema rejected for '${subject}' (${result.level}):\n${result.messages.join('\n')}`)

    const known = this.db.prepare('SELECT id FROM schemas WHERE fingerprint = ?').get(fingerprint) as {id: number} | undefined
    const id =
      known?.id ??
      Number(
        this.db
          .prepare('INSERT INTO schemas (schema_type, schema, refs, fingerprint) VALUES (?, ?, ?, ?)')
          .run(definition.schemaType, definition.schema, JSON.stringify(definition.references), fingerprint).lastInsertRowid,
      )
    const {latest} = this.db.prepare('SELECT MAX(version) AS latest FROM subject_versions WHERE subject = ?').get(subject) as {
      latest: null | number
    }
    const version = (latest ?? 0) + 1
    this.db.prepare('INSERT INTO subject_versions (subject, version, schema_id) VALUES (?, ?, ?)').run(subject, version, id)
    return {id, registered: true, subject, version}
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    this.db
      .prepare('INSERT INTO compatibility (subject, level) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET level = excluded.level')
      .run(subject ?? GLOBAL, level)
  }

  async subjectVersionsForId(id: number): Promise<{subject: string; version: number}[]> {
    return this.db
      .prepare('SELECT subject, version FROM subject_versions WHERE schema_id = ? ORDER BY subject, version')
      .all(id) as {subject: string; version: number}[]
  }

  async versions(subject: string): Promise<number[]> {
    const versions = (
      this.db.prepare('SELECT version FROM subject_versions WHERE subject = ? ORDER BY version').all(subject) as {version: number}[]
    ).map((row) => row.version)
    if (versions.length === 0) throw new NotFoundError('SUBJECT_NOT_FOUND', `unknown subject '${subject}'`, {available: await this.listSubjects()})
    return versions
  }
}

function toStored(row: SchemaRow): StoredSchema {
  return {id: row.id, references: JSON.parse(row.refs), schema: row.schema, schemaType: row.schema_type}
}
