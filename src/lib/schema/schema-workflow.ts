import type {CompatibilityResult, SchemaRegistry} from '../registry/schema-registry.js'
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
  for (const {definition, file, subject} of files) outcomes.push({...(await registry.checkCompatibility(subject, definition)), file, subject})
  return outcomes
}

/**
 * Registers each compatible file under its subject (idempotent: an existing schema keeps its id
 * and version). Incompatible files are not registered; with `dryRun` nothing is.
 */
export async function registerSchemaFiles(registry: SchemaRegistry, files: SchemaFile[], dryRun: boolean): Promise<RegisterOutcome[]> {
  const outcomes: RegisterOutcome[] = []
  for (const file of files) {
    const existing = await registry.lookup(file.subject, file.definition).catch(() => undefined)
    if (existing) {
      const check = {compatible: true, file: file.file, level: await registry.getCompatibility(file.subject), messages: [], note: 'already registered', subject: file.subject}
      outcomes.push({check, id: existing.id, registered: false, subject: file.subject, version: existing.version})
      continue
    }

    const [check] = await checkSchemaFiles(registry, [file])
    if (!check.compatible || dryRun) {
      outcomes.push({check, registered: false, subject: file.subject})
      continue
    }

    const result = await registry.register(file.subject, file.definition)
    outcomes.push({check, id: result.id, registered: result.registered, subject: file.subject, version: result.version})
  }

  return outcomes
}
