import {jsonSchemaDefinitionProblem} from '../codec/json-schema-values.js'
import {loadAvsc} from '../codec/schema-codec.js'
import {EvtError, NotFoundError, UsageError} from '../errors.js'
import {parseProtobuf} from '../schema/protobuf-schema.js'
import {referencedTexts} from './references.js'
import type {SchemaDefinition, SchemaRegistry} from './schema-registry.js'

/**
 * Refuses schema text that clients could not use, before anything is stored (SCHEMA_INVALID): like
 * Confluent's server, which parses every schema it is given (with its references) and answers 42201.
 * Avro is parsed by avsc, the library evt decodes with, so field defaults are checked too (Confluent
 * does that only with `schema.providers.avro.validate.defaults=true`); Protobuf by protobufjs with
 * every type resolved; JSON Schema by its draft's meta-schema (Ajv, which produce checks values with).
 */
export async function validateSchema(definition: SchemaDefinition, registry: SchemaRegistry): Promise<void> {
  if (!['AVRO', 'JSON', 'PROTOBUF'].includes(definition.schemaType)) throw invalid(`unknown schema type '${definition.schemaType}'`)
  if (definition.schema.trim() === '') throw invalid('Empty schema')
  for (const reference of definition.references) {
    await registry.getVersion(reference.subject, reference.version).catch((error) => {
      if (!(error instanceof NotFoundError)) throw error
      throw invalid(`reference '${reference.name}' names subject '${reference.subject}' version ${reference.version}, which is not registered`)
    })
  }

  const referenced = await referencedTexts(definition, registry)
  try {
    switch (definition.schemaType) {
      case 'AVRO': {
        await parseAvroWithAvsc(definition.schema, referenced)
        break
      }

      case 'JSON': {
        const parsed: unknown = JSON.parse(definition.schema)
        if (typeof parsed !== 'boolean' && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) {
          throw new EvtError('SCHEMA_INVALID', 'a JSON Schema is a JSON object or a boolean')
        }

        const problem = jsonSchemaDefinitionProblem(parsed)
        if (problem) throw new EvtError('SCHEMA_INVALID', problem)

        break
      }

      case 'PROTOBUF': {
        parseProtobuf(definition.schema, referenced)
        break
      }
    }
  } catch (error) {
    throw invalid(`not a valid ${definition.schemaType} schema: ${(error as Error).message}`)
  }
}

const invalid = (message: string) => new UsageError(message, {code: 'SCHEMA_INVALID'})

async function parseAvroWithAvsc(schema: string, referenced: string[]): Promise<void> {
  const avro = await loadAvsc()
  // Named types of the references first, so the schema can use them by name.
  const registry = {}
  for (const text of referenced) avro.Type.forSchema(JSON.parse(text), {registry})
  avro.Type.forSchema(JSON.parse(schema), {registry})
}
