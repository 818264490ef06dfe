import {NotFoundError, UsageError} from '../errors.js'
import type {CompatibilityResult, SchemaDefinition, SchemaRegistry} from '../registry/schema-registry.js'
import type {SchemaFile} from './schema-file.js'

export interface CheckOutcome extends CompatibilityResult {
  file: string
  subject: string
}

export interface RegisterOutcome {
  check: CheckOutcome
  /** Absent when the schema was not registered (incompatible, or a dry run). */
  id?: number
  registered: boolean
  subject: string
  version?: number
}

/** Checks every file against its subject and collects all reasons; never stops at the first. */
export async function checkSchemaFiles(registry: SchemaRegistry, files: SchemaFile[]): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = []
  for (const schemaFile of files) {
    const definition = await withReferences(registry, schemaFile, new Map())
    outcomes.push({...(await namingFile(schemaFile.file, registry.checkCompatibility(schemaFile.subject, definition))), file: schemaFile.file, subject: schemaFile.subject})
  }

  return outcomes
}

/** A schema the registry refuses names its file: with --dir there are many. */
async function namingFile<T>(file: string, step: Promise<T>): Promise<T> {
  try {
    return await step
  } catch (error) {
    if (error instanceof UsageError && error.code === 'SCHEMA_INVALID') throw new UsageError(`${file}: ${error.message}`, {cause: error, code: 'SCHEMA_INVALID'})
    throw error
  }
}

/**
 * The file's schema with its references filled in: each referenced file's subject at the version
 * registered in this run, else its latest registered version.
 */
async function withReferences(registry: SchemaRegistry, file: SchemaFile, registeredNow: Map<string, number>): Promise<SchemaDefinition> {
  if (file.requires.length === 0) return file.definition
  const references = []
  for (const {file: dependency, name} of file.requires) {
    let version = registeredNow.get(dependency.subject)
    if (version === undefined) {
      version = await registry.getVersion(dependency.subject, 'latest').then(
        (found) => found.version,
        (error) => {
          if (!(error instanceof NotFoundError)) throw error
          throw new UsageError(`${file.file} refers to ${name} (${dependency.file}), whose subject '${dependency.subject}' is not registered`, {code: 'SUBJECT_NOT_FOUND', hint: 'register it first, or register the whole directory with --dir',
          })
        },
      )
    }

    references.push({name, subject: dependency.subject, version})
  }

  return {...file.definition, references}
}

/**
 * Registers each compatible file under its subject (idempotent: an existing schema keeps its id
 * and version). Incompatible files are not registered; with `dryRun` nothing is.
 */
export async function registerSchemaFiles(registry: SchemaRegistry, files: SchemaFile[], dryRun: boolean): Promise<RegisterOutcome[]> {
  const outcomes: RegisterOutcome[] = []
  const registeredNow = new Map<string, number>()
  for (const original of files) {
    const file = {...original, definition: await withReferences(registry, original, registeredNow)}
    const existing = await registry.lookup(file.subject, file.definition).catch(() => undefined)
    if (existing) {
      const check = {compatible: true, file: file.file, level: await registry.getCompatibility(file.subject), messages: [], note: 'already registered', subject: file.subject}
      outcomes.push({check, id: existing.id, registered: false, subject: file.subject, version: existing.version})
      registeredNow.set(file.subject, existing.version)
      continue
    }

    const check = {...(await namingFile(file.file, registry.checkCompatibility(file.subject, file.definition))), file: file.file, subject: file.subject}
    if (!check.compatible || dryRun) {
      outcomes.push({check, registered: false, subject: file.subject})
      continue
    }

    const result = await namingFile(file.file, registry.register(file.subject, file.definition))
    registeredNow.set(file.subject, result.version)
    outcomes.push({check, id: result.id, registered: result.registered, subject: file.subject, version: result.version})
  }

  return outcomes
}
