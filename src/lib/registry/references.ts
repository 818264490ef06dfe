import type {SchemaDefinition, SchemaRegistry} from './schema-registry.js'

/** Reads a schema's text and the texts of everything it references, depth first. */
export async function referencedTexts(definition: SchemaDefinition, registry: SchemaRegistry): Promise<string[]> {
  const texts: string[] = []
  const seen = new Set<string>()
  const visit = async (current: SchemaDefinition) => {
    for (const reference of current.references) {
      const key = `${reference.subject}/${reference.version}`
      if (seen.has(key)) continue
      seen.add(key)
      const referenced = await registry.getVersion(reference.subject, reference.version)
      await visit(referenced)
      texts.push(referenced.schema)
    }
  }

  await visit(definition)
  return texts
}
