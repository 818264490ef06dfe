import type {RegistryConfig} from '../../config/types.js'
import {CheckFailedError, EvtError, InterruptedError, NotFoundError, UnreachableError, UsageError} from '../../errors.js'
import {compareText} from '../../util/text-order.js'
import {schemaFingerprint} from '../fingerprint.js'
import {type HttpAnswer, httpCall} from './http-call.js'
import {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  type CompatibilityResult,
  type RegisterResult,
  type SchemaDefinition,
  type SchemaReference,
  type SchemaRegistry,
  type SchemaType,
  type StoredSchema,
  type SubjectVersion,
} from '../schema-registry.js'

interface SchemaBody {
  id?: number
  references?: SchemaReference[]
  schema: string
  schemaType?: SchemaType
  subject?: string
  version?: number
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const TIMEOUT_MS = 10_000

/**
 * A SchemaRegistry over the Confluent Schema Registry REST API (also spoken by Redpanda, Karapace
 * and Apicurio's ccompat API). Plain HTTP calls rather than @kafkajs/confluent-schema-registry:
 * its register() may change a subject's compatibility level as a side effect, and evt needs the
 * raw schema text, references and verbose compatibility answers that it does not expose.
 */
export class HttpSchemaRegistry implements SchemaRegistry {
  private readonly authorization?: string

  constructor(
    private readonly config: RegistryConfig,
    /** Ends every request in flight at once (Ctrl-C), instead of when the request times out. */
    private readonly signal?: AbortSignal,
  ) {
    if (config.username !== undefined) {
      this.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`
    }
  }

  async checkCompatibility(subject: string, definition: SchemaDefinition): Promise<CompatibilityResult> {
    const level = await this.getCompatibility(subject)
    // Asked first because servers differ for a new subject (Confluent: 404, Apicurio: compatible).
    const versions = await this.versions(subject).catch((error) => {
      if (error instanceof NotFoundError) return []
      throw error
    })
    if (versions.length === 0) return {compatible: true, level, messages: [], note: `'${subject}' has no versions yet: the first one is always compatible`}
    if (level === 'NONE') return {compatible: true, level, messages: [], note: 'level NONE: nothing is compared'}
    // `/versions/{v}` compares with that one version only, so a transitive level asks about each.
    const targets = level.endsWith('_TRANSITIVE') ? versions.map(String) : ['latest']
    const serverMessages: string[] = []
    let compatible = true
    for (const target of targets) {
      const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/${target}?verbose=true`
      const answer = (await this.request<{is_compatible: boolean; messages?: string[]}>('POST', path, toRequestBody(definition)))!
      if (answer.is_compatible) continue
      compatible = false
      serverMessages.push(...(answer.messages ?? []).map((message) => labelled(message, subject, target === 'latest' ? undefined : target, level)))
    }

    if (compatible) return {compatible: true, level, messages: []}
    if (serverMessages.length > 0) return {compatible: false, level, messages: serverMessages}

    // Some servers (Apicurio's ccompat API) say "incompatible" without a reason: evt works the reasons out itself.
    // Loaded here, the one place that needs it: reading and decoding need no compatibility rules.
    const {checkCompatibility} = await import('../../schema/compatibility.js')
    const local = await checkCompatibility({candidate: definition, level, registry: this, subject}).catch(() => undefined)
    const messages = local?.messages.length
      ? local.messages.map((message) => `${message} [reason worked out by evt: the registry gave none]`)
      : [`${subject}: the registry answered incompatible without giving a reason (${level})`]
    return {compatible: false, level, messages}
  }

  async close(): Promise<void> {}

  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    if (subject !== undefined) {
      const own = await this.request<{compatibilityLevel?: string}>('GET', `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`, undefined, {allowNotFound: true})
      if (own?.compatibilityLevel) return toLevel(own.compatibilityLevel)
    }

    const global = await this.request<{compatibilityLevel: string}>('GET', '/config')
    return toLevel(global!.compatibilityLevel)
  }

  async getSchema(id: number): Promise<StoredSchema> {
    const body = await this.request<SchemaBody>('GET', `/schemas/ids/${id}`, undefined, {notFound: `schema id ${id} is not in the registry`})
    return toStored({...body!, id})
  }

  async getVersion(subject: string, version: 'latest' | number): Promise<SubjectVersion> {
    const body = await this.request<SchemaBody>('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`, undefined, {
      notFound: `subject '${subject}' has no version ${version}`,
      subject,
    })
    return {...toStored(body!), subject, version: body!.version!}
  }

  async listSubjects(): Promise<string[]> {
    return ((await this.request<string[]>('GET', '/subjects')) ?? []).sort()
  }

  async lookup(subject: string, definition: SchemaDefinition): Promise<SubjectVersion | undefined> {
    const body = await this.request<SchemaBody>('POST', `/subjects/${encodeURIComponent(subject)}`, toRequestBody(definition), {allowNotFound: true})
    if (!body) return undefined
    return {...toStored(body), subject, version: body.version!}
  }

  async register(subject: string, definition: SchemaDefinition): Promise<RegisterResult> {
    const existing = await this.lookup(subject, definition)
    if (existing && schemaFingerprint(existing) === schemaFingerprint(definition)) {
      return {id: existing.id, registered: false, subject, version: existing.version}
    }

    const {id} = (await this.request<{id: number}>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, toRequestBody(definition)))!
    const registered = await this.lookup(subject, definition)
    return {id, registered: true, subject, version: registered?.version ?? (await this.versions(subject)).at(-1)!}
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    await this.request('PUT', subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`, {compatibility: level})
  }

  async subjectVersionsForId(id: number): Promise<{subject: string; version: number}[]> {
    const pairs = await this.request<{subject: string; version: number}[]>('GET', `/schemas/ids/${id}/versions`, undefined, {allowNotFound: true})
    return (pairs ?? []).sort((a, b) => compareText(a.subject, b.subject) || a.version - b.version)
  }

  async versions(subject: string): Promise<number[]> {
    return (await this.request<number[]>('GET', `/subjects/${encodeURIComponent(subject)}/versions`, undefined, {
      notFound: `unknown subject '${subject}'`,
      subject,
    }))!
  }

  /** One REST call; maps transport failures to exit 3 and Confluent error codes to evt errors. */
  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: {allowNotFound?: boolean; notFound?: string; subject?: string} = {},
  ): Promise<T | undefined> {
    const url = `${this.config.url}${path}`
    const timeout = AbortSignal.timeout(TIMEOUT_MS)
    let response: HttpAnswer
    try {
      response = await httpCall(url, {
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {Accept: CONTENT_TYPE, ...(body === undefined ? {} : {'Content-Type': CONTENT_TYPE}), ...(this.authorization ? {Authorization: this.authorization} : {})},
        method,
        signal: this.signal ? AbortSignal.any([this.signal, timeout]) : timeout,
      })
    } catch (error) {
      if (this.signal?.aborted) throw new InterruptedError(`${method} ${path} to the schema registry interrupted`, {cause: error})
      const reason = timeout.aborted ? `no answer within ${TIMEOUT_MS / 1000} s` : error instanceof EvtError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message)
      throw new UnreachableError('REGISTRY_UNREACHABLE', `cannot reach the schema registry at ${this.config.url}: ${reason}`, {
        address: this.config.url,
        cause: error,
        hint: 'is the registry running and is the URL right? (--registry, EVT_REGISTRY_URL or evt.yaml)',
      })
    }

    const {text} = response
    const parsed = text ? safeJson(text) : undefined
    if (response.status >= 200 && response.status < 300) return parsed as T
    const {error_code: code, message = text} = (parsed ?? {}) as {error_code?: number; message?: string}
    if (response.status === 404) {
      if (options.allowNotFound) return undefined
      const available = code === 40401 || (options.subject && code === undefined) ? await this.listSubjects().catch(() => []) : []
      throw new NotFoundError(code === 40401 ? 'SUBJECT_NOT_FOUND' : 'SCHEMA_NOT_FOUND', options.notFound ?? `${method} ${path}: ${message}`, {available})
    }

    if (response.status === 401 || response.status === 403) {
      throw new UnreachableError('AUTH_FAILED', `authentication failed at the schema registry ${this.config.url} (HTTP ${response.status})`, {
        address: this.config.url,
        hint: 'check the registry username and password in evt.yaml',
      })
    }

    if (response.status === 409) throw new CheckFailedError('SCHEMA_INCOMPATIBLE', `the registry rejected the schema as incompatible: ${message}`)
    if (response.status === 422) throw new UsageError(`the registry rejected the request: ${message}`, {code: 'REGISTRY_REFUSED'})
    throw new EvtError('REGISTRY_ERROR', `schema registry ${method} ${path} failed: HTTP ${response.status} ${message}`, {data: {status: response.status}})
  }
}

function toRequestBody({references, schema, schemaType}: SchemaDefinition): object {
  // Confluent treats a missing schemaType as AVRO; some servers reject an explicit one for Avro.
  return {schema, ...(schemaType === 'AVRO' ? {} : {schemaType}), ...(references.length > 0 ? {references} : {})}
}

function toStored(body: SchemaBody): StoredSchema {
  return {id: body.id!, references: body.references ?? [], schema: body.schema, schemaType: body.schemaType ?? 'AVRO'}
}

function toLevel(text: string): CompatibilityLevel {
  const level = text.toUpperCase() as CompatibilityLevel
  return COMPATIBILITY_LEVELS.includes(level) ? level : 'NONE'
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return {message: text}
  }
}

/** A server's reason with the subject, version and level evt adds to its own, unless it names them already (evt's own server does). */
function labelled(message: string, subject: string, version: string | undefined, level: CompatibilityLevel): string {
  const named = message.startsWith(`${subject}:`) || message.startsWith(`${subject} `) ? message : `${subject}: ${version === undefined ? '' : `version ${version}: `}${message}`
  return named.includes(level) ? named : `${named} (${level})`
}
