import {ConfigError, NotFoundError} from '../errors.js'
import type {CompatibilityLevel, CompatibilityResult, RegisterResult, SchemaRegistry, StoredSchema, SubjectVersion} from './schema-registry.js'

/**
 * Stands in for the registry of a Kafka cluster that has none: reading still works (wire-format
 * records are shown raw, with a warning), anything that needs schemas says how to configure one.
 */
export class UnconfiguredRegistry implements SchemaRegistry {
  constructor(private readonly cluster: string) {}

  async checkCompatibility(): Promise<CompatibilityResult> {
    throw this.missing()
  }

  async close(): Promise<void> {}

  async getCompatibility(): Promise<CompatibilityLevel> {
    throw this.missing()
  }

  async getSchema(id: number): Promise<StoredSchema> {
    throw new NotFoundError('REGISTRY_NOT_CONFIGURED', `schema id ${id} cannot be looked up: cluster '${this.cluster}' has no schema registry configured`)
  }

  async getVersion(): Promise<SubjectVersion> {
    throw this.missing()
  }

  async listSubjects(): Promise<string[]> {
    throw this.missing()
  }

  async lookup(): Promise<SubjectVersion | undefined> {
    throw this.missing()
  }

  async register(): Promise<RegisterResult> {
    throw this.missing()
  }

  async setCompatibility(): Promise<void> {
    throw this.missing()
  }

  async subjectVersionsForId(): Promise<{subject: string; version: number}[]> {
    return []
  }

  async versions(): Promise<number[]> {
    throw this.missing()
  }

  private missing(): ConfigError {
    return new ConfigError(`cluster '${this.cluster}' has no schema registry`, {code: 'REGISTRY_NOT_CONFIGURED', hint: 'give --registry URL, EVT_REGISTRY_URL, or registry: in evt.yaml'})
  }
}
