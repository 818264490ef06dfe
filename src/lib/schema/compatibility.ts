import {NotFoundError} from '../errors.js'
import type {CompatibilityLevel, CompatibilityResult, SchemaDefinition, SchemaRegistry, SubjectVersion} from '../registry/schema-registry.js'
import {avroReadIssues, type Incompatibility, type ReadRoles} from './avro-compat.js'
import {parseAvro} from './avro-model.js'
import {jsonSchemaReadIssues} from './json-schema-compat.js'
import {protobufReadIssues} from './protobuf-compat.js'
import {referencedTexts} from '../registry/references.js'
import {validateSchema} from '../registry/validate-schema.js'

/**
 * Confluent's compatibility semantics: BACKWARD = a reader on the candidate reads data written with
 * existing versions; FORWARD = readers on existing versions read data written with the candidate;
 * FULL = both. Non-transitive levels compare with the latest version only, transitive with all.
 */
export async function checkCompatibility(options: {
  candidate: SchemaDefinition
  level: CompatibilityLevel
  registry: SchemaRegistry
  subject: string
}): Promise<CompatibilityResult> {
  const {candidate, level, registry, subject} = options
  const versions = await registry.versions(subject).catch((error) => {
    if (error instanceof NotFoundError) return []
    throw error
  })
  // A schema the registry would refuse is no candidate, even where there is nothing to compare it
  // with (comparing parses it anyway).
  if (versions.length === 0 || level === 'NONE') await validateSchema(candidate, registry)
  if (versions.length === 0) return {compatible: true, level, messages: [], note: `'${subject}' has no versions yet: the first one is always compatible`}
  if (level === 'NONE') return {compatible: true, level, messages: [], note: `'${subject}' has compatibility NONE: nothing is checked`}

  const targets = level.endsWith('_TRANSITIVE') ? versions : [versions.at(-1)!]
  const messages: string[] = []
  for (const version of [...targets].reverse()) {
    const existing = await registry.getVersion(subject, version)
    messages.push(...(await versionIssues({candidate, candidateName: 'candidate', existing, level, registry})))
  }

  return {compatible: messages.length === 0, level, messages}
}

/**
 * Why `candidate` may not follow `existing` (a version of its subject) under `level`, one message
 * each, prefixed `SUBJECT vN → NAME`: none when it may. NONE checks nothing.
 */
export async function versionIssues(options: {candidate: SchemaDefinition; candidateName: string; existing: SubjectVersion; level: CompatibilityLevel; registry: SchemaRegistry}): Promise<string[]> {
  const {candidate, existing, level, registry} = options
  const prefix = `${existing.subject} v${existing.version} → ${options.candidateName}`
  if (level === 'NONE') return []
  if (existing.schemaType !== candidate.schemaType) return [`${prefix}: the format changed ${existing.schemaType} → ${candidate.schemaType}: readers of one format cannot read the other (${level})`]
  const [candidateRefs, existingRefs] = [await referencedTexts(candidate, registry), await referencedTexts(existing, registry)]
  const messages: string[] = []
  const compare = (roles: ReadRoles, rule: string) => {
    for (const issue of schemaReadIssues(candidate, candidateRefs, existing, existingRefs, roles)) messages.push(`${prefix}: ${issue.change}: ${issue.reason} (${rule})`)
  }

  const reader = options.candidateName === 'candidate' ? 'the candidate' : options.candidateName
  if (level.startsWith('BACKWARD') || level.startsWith('FULL')) compare({reader, readerIsNew: true, writer: `v${existing.version}`}, level.startsWith('FULL') ? `${level}, backward` : level)
  if (level.startsWith('FORWARD') || level.startsWith('FULL')) compare({reader: `v${existing.version}`, readerIsNew: false, writer: reader}, level.startsWith('FULL') ? `${level}, forward` : level)
  return messages
}

/** Dispatches to the rules of the schema's format; the reader side is given by `roles`. */
function schemaReadIssues(
  candidate: SchemaDefinition,
  candidateRefs: string[],
  existing: SubjectVersion,
  existingRefs: string[],
  roles: ReadRoles,
): Incompatibility[] {
  switch (candidate.schemaType) {
    case 'AVRO': {
      const newNode = parseAvro(candidate.schema, candidateRefs)
      const oldNode = parseAvro(existing.schema, existingRefs)
      return roles.readerIsNew ? avroReadIssues(newNode, oldNode, roles) : avroReadIssues(oldNode, newNode, roles)
    }

    case 'JSON': {
      return roles.readerIsNew ? jsonSchemaReadIssues(candidate.schema, existing.schema, roles) : jsonSchemaReadIssues(existing.schema, candidate.schema, roles)
    }

    case 'PROTOBUF': {
      return roles.readerIsNew
        ? protobufReadIssues(candidate.schema, existing.schema, roles, candidateRefs, existingRefs)
        : protobufReadIssues(existing.schema, candidate.schema, roles, existingRefs, candidateRefs)
    }
  }
}
