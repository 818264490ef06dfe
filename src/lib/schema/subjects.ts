import type {CompatibilityLevel, SchemaRegistry, SchemaType} from '../registry/schema-registry.js'

export interface SubjectSummary {
  compatibility: CompatibilityLevel
  id: number
  latest: number
  schemaType: SchemaType
  subject: string
  versions: number[]
}

export async function listSubjects(registry: SchemaRegistry): Promise<SubjectSummary[]> {
  const summaries: SubjectSummary[] = []
  for (const subject of await registry.listSubjects()) {
    const versions = await registry.versions(subject)
    const latest = await registry.getVersion(subject, 'latest')
    summaries.push({compatibility: await registry.getCompatibility(subject), id: latest.id, latest: latest.version, schemaType: latest.schemaType, subject, versions})
  }

  return summaries
}
