import type {SchemaDefinition, SchemaRegistry} from './schema-registry.js'

/** A referenced schema's text under the name the referring schema uses for it (an import path, a `$ref` URI). */
export interface NamedSchemaText {
  name: string
  schema: string
}

/** Reads the schemas a schema references, and everything they reference, depth first. */
export async function referencedSchemas(definition: SchemaDefinition, registry: SchemaRegistry): Promise<NamedSchemaText[]> {
  const found: NamedSchemaText[] = []
  const seen = new Set<string>()
  const visit = async (current: SchemaDefinition) => {
    for (const reference of current.references) {
      const key = `${reference.subject}/${reference.version}`
      if (seen.has(key)) continue
      seen.add(key)
      const referenced = await registry.getVersion(reference.subject, reference.version)
      await visit(referenced)
      found.push({name: reference.name, schema: referenced.schema})
    }
  }

  await visit(definition)
  return found
}

/** The texts of referencedSchemas, for parsers that find types by their declared names. */
export async function referencedTexts(definition: SchemaDefinition, registry: SchemaRegistry): Promise<string[]> {
  return (await referencedSchemas(definition, registry)).map((referenced) => referenced.schema)
}
