import {CheckFailedError, NotFoundError, UsageError} from '../../errors.js'
import {checkCompatibility} from '../../schema/compatibility.js'
import {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  type CompatibilityResult,
  SCHEMA_TYPES,
  type SchemaDefinition,
  type SchemaReference,
  type SchemaRegistry,
  type SchemaType,
  type StoredSchema,
  type SubjectVersion,
} from '../schema-registry.js'
import {RestError, restErrors} from './rest-error.js'
import {validateSchema} from '../validate-schema.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT'

export interface RestRequest {
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown
  query: URLSearchParams
}

/** A JSON value to send, or `raw` text sent as it is (the schema-only endpoints). */
export type RestAnswer = {json: unknown} | {raw: string}

type Handler = (params: string[], request: RestRequest) => Promise<RestAnswer>

interface Route {
  methods: Partial<Record<HttpMethod, Handler>>
  /** Literal segments, and '*' for a path parameter. */
  segments: string[]
}

export interface RouteMatch {
  handler: Handler
  params: string[]
}

/** The types Confluent's server lists, in its order. */
const SERVED_TYPES = ['JSON', 'PROTOBUF', 'AVRO']
const MAX_VERSION = 2 ** 31 - 1

/**
 * The Confluent Schema Registry REST API over any SchemaRegistry: routes, request validation and
 * the answers' shapes. `match` finds the handler (404 unknown path, 405 wrong method) before the
 * server reads a body; handlers throw RestError for every answer that is not a success.
 */
export function registryRoutes(registry: SchemaRegistry): {match(method: string, segments: string[]): RouteMatch} {
  // Registrations run one at a time: a check and the write that follows it see the same versions.
  let writes: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const result = writes.then(work)
    writes = result.catch(() => {})
    return result
  }

  const routes: Route[] = [
    {methods: {GET: async () => json({})}, segments: []},
    {
      methods: {
        async GET(_, {query}) {
          const prefix = query.get('subjectPrefix') ?? ''
          return json((await registry.listSubjects()).filter((subject) => subject.startsWith(prefix)))
        },
      },
      segments: ['subjects'],
    },
    {
      methods: {
        // Lookup: which version of the subject holds this schema?
        async POST([subject], {body}) {
          await versionsOf(registry, subject)
          const found = await registry.lookup(subject, schemaRequest(body))
          if (!found) throw restErrors.schemaNotFound()
          return json(subjectVersionBody(found))
        },
      },
      segments: ['subjects', '*'],
    },
    {
      methods: {
        GET: async ([subject]) => json(await versionsOf(registry, subject)),
        POST: async ([subject], {body}) => json({id: await oneAtATime(() => register(registry, subject, schemaRequest(body)))}),
      },
      segments: ['subjects', '*', 'versions'],
    },
    {
      methods: {GET: async ([subject, version]) => json(subjectVersionBody(await subjectVersion(registry, subject, version)))},
      segments: ['subjects', '*', 'versions', '*'],
    },
    {
      methods: {GET: async ([subject, version]) => ({raw: (await subjectVersion(registry, subject, version)).schema})},
      segments: ['subjects', '*', 'versions', '*', 'schema'],
    },
    {methods: {GET: async () => json(SERVED_TYPES)}, segments: ['schemas', 'types']},
    {methods: {GET: async ([id]) => json(schemaBody(await schemaById(registry, id)))}, segments: ['schemas', 'ids', '*']},
    {methods: {GET: async ([id]) => ({raw: (await schemaById(registry, id)).schema})}, segments: ['schemas', 'ids', '*', 'schema']},
    {methods: {GET: async ([id]) => json(await versionsOfId(registry, id))}, segments: ['schemas', 'ids', '*', 'versions']},
    {
      methods: {GET: async ([id]) => json([...new Set((await versionsOfId(registry, id)).map((pair) => pair.subject))])},
      segments: ['schemas', 'ids', '*', 'subjects'],
    },
    {
      methods: {
        GET: async () => json({compatibilityLevel: await registry.getCompatibility()}),
        PUT: async (_, {body}) => json(await setLevel(registry, body)),
      },
      segments: ['config'],
    },
    {
      methods: {
        GET: async ([subject], {query}) => json({compatibilityLevel: await subjectLevel(registry, subject, query.get('defaultToGlobal')?.toLowerCase() === 'true')}),
        PUT: async ([subject], {body}) => json(await setLevel(registry, body, validSubject(subject))),
      },
      segments: ['config', '*'],
    },
    {
      methods: {POST: async ([subject], request) => json(await compatibility(registry, subject, undefined, request))},
      segments: ['compatibility', 'subjects', '*', 'versions'],
    },
    {
      methods: {POST: async ([subject, version], request) => json(await compatibility(registry, subject, version, request))},
      segments: ['compatibility', 'subjects', '*', 'versions', '*'],
    },
  ]

  return {
    match(method, segments) {
      for (const route of routes) {
        if (route.segments.length !== segments.length) continue
        if (!route.segments.every((segment, i) => segment === '*' || segment === segments[i])) continue
        const handler = route.methods[method as HttpMethod]
        if (!handler) throw restErrors.methodNotAllowed(Object.keys(route.methods))
        return {handler, params: segments.filter((_, i) => route.segments[i] === '*')}
      }

      throw restErrors.notFound()
    },
  }
}

function json(value: unknown): RestAnswer {
  return {json: value}
}

/** Confluent leaves schemaType out for Avro and references out when there are none. */
function schemaBody(schema: StoredSchema): object {
  return {
    ...(schema.schemaType === 'AVRO' ? {} : {schemaType: schema.schemaType}),
    ...(schema.references.length > 0 ? {references: schema.references} : {}),
    schema: schema.schema,
  }
}

function subjectVersionBody(found: SubjectVersion): object {
  return {subject: found.subject, version: found.version, id: found.id, ...schemaBody(found)}
}

async function versionsOf(registry: SchemaRegistry, subject: string): Promise<number[]> {
  try {
    return await registry.versions(subject)
  } catch (error) {
    if (error instanceof NotFoundError) throw restErrors.subjectNotFound(subject)
    throw error
  }
}

/** A version id as Confluent reads it: 1 … 2^31-1, or "latest" (also written -1). */
function parseVersion(text: string): 'latest' | number {
  const trimmed = text.trim()
  if (trimmed.toLowerCase() === 'latest') return 'latest'
  const version = /^[+-]?\d{1,10}$/.test(trimmed) ? Number(trimmed) : Number.NaN
  if (version === -1) return 'latest'
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw restErrors.invalidVersion(text)
  return version
}

async function subjectVersion(registry: SchemaRegistry, subject: string, versionText: string): Promise<SubjectVersion> {
  const wanted = parseVersion(versionText)
  const versions = await versionsOf(registry, subject)
  const version = wanted === 'latest' ? versions.at(-1)! : wanted
  if (!versions.includes(version)) throw restErrors.versionNotFound(version)
  return registry.getVersion(subject, version)
}

/** Schema ids are path integers: anything else is no route at all (Confluent answers 404 too). */
function parseId(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(id) || id > MAX_VERSION) throw restErrors.notFound()
  return id
}

async function schemaById(registry: SchemaRegistry, idText: string): Promise<StoredSchema> {
  const id = parseId(idText)
  try {
    return await registry.getSchema(id)
  } catch (error) {
    if (error instanceof NotFoundError) throw restErrors.schemaNotFound(id)
    throw error
  }
}

async function versionsOfId(registry: SchemaRegistry, idText: string): Promise<{subject: string; version: number}[]> {
  const {id} = await schemaById(registry, idText)
  return registry.subjectVersionsForId(id)
}

/** Subject names as Confluent accepts them: not empty, no control characters. */
function validSubject(subject: string): string {
  // eslint-disable-next-line no-control-regex
  if (subject.trim() === '' || /[\u0000-\u001F\u007F]/.test(subject)) throw restErrors.invalidSubject(subject)
  return subject
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The body of register, lookup and compatibility: {schema, schemaType?, references?}; other fields are ignored. */
function schemaRequest(body: unknown): SchemaDefinition {
  if (body === undefined) throw restErrors.missingBody()
  if (!isObject(body)) throw restErrors.badRequest('expected a JSON object like {"schema": "..."}')
  const {references = [], schema, schemaType} = body
  if (schema === undefined || schema === null) throw restErrors.invalidSchema('Empty schema')
  if (typeof schema !== 'string') throw restErrors.badRequest("'schema' must be a string holding the schema text")
  const type = schemaType === undefined || schemaType === null ? 'AVRO' : String(schemaType).toUpperCase()
  if (!SCHEMA_TYPES.includes(type as SchemaType)) throw restErrors.invalidSchema(`Invalid schema type ${String(schemaType)}: use AVRO, JSON or PROTOBUF`)
  return {references: schemaReferences(references ?? []), schema, schemaType: type as SchemaType}
}

function schemaReferences(value: unknown): SchemaReference[] {
  const valid = (reference: unknown): reference is SchemaReference =>
    isObject(reference) &&
    typeof reference.name === 'string' &&
    typeof reference.subject === 'string' &&
    Number.isInteger(reference.version) &&
    (reference.version as number) >= 1
  if (!Array.isArray(value) || !value.every((reference) => valid(reference))) {
    throw restErrors.badRequest("'references' must be a list of {name, subject, version} with a version ≥ 1")
  }

  return value.map(({name, subject, version}) => ({name, subject, version}))
}

/** The domain's errors while checking or registering a schema, as Confluent's codes. */
function asRestError(error: unknown, subject: string): unknown {
  if (error instanceof UsageError) return restErrors.invalidSchema(error.message)
  if (error instanceof CheckFailedError) return restErrors.incompatible(subject, [error.message])
  return error
}

async function register(registry: SchemaRegistry, subject: string, definition: SchemaDefinition): Promise<number> {
  validSubject(subject)
  try {
    await validateSchema(definition, registry)
    // Like Confluent: a schema the subject already holds gets its id back without a check.
    const existing = await registry.lookup(subject, definition)
    if (existing) return existing.id
    const check = await registry.checkCompatibility(subject, definition)
    if (!check.compatible) throw restErrors.incompatible(subject, check.messages)
    return (await registry.register(subject, definition)).id
  } catch (error) {
    throw asRestError(error, subject)
  }
}

/**
 * POST /compatibility/subjects/{s}/versions[/{v}] as Confluent answers it: with a version, the
 * candidate is checked against that one version ("latest" of a subject without versions is
 * compatible); without, against the versions the subject's level names (as register does). With
 * ?verbose=true an invalid schema is an incompatible answer carrying the parse error.
 */
async function compatibility(
  registry: SchemaRegistry,
  subject: string,
  versionText: string | undefined,
  {body, query}: RestRequest,
): Promise<{is_compatible: boolean; messages?: string[]}> {
  const verbose = query.get('verbose')?.toLowerCase() === 'true'
  const wanted = versionText === undefined ? undefined : parseVersion(versionText)
  let target: number | undefined
  if (wanted !== undefined) {
    const versions = await registry.versions(subject).catch((error): number[] => {
      if (error instanceof NotFoundError) return []
      throw error
    })
    target = wanted === 'latest' ? versions.at(-1) : wanted
    if (target !== undefined && !versions.includes(target)) throw restErrors.versionNotFound(target)
  }

  const candidate = schemaRequest(body)
  let result: CompatibilityResult
  try {
    await validateSchema(candidate, registry)
    if (wanted !== undefined && target === undefined) return verbose ? {is_compatible: true, messages: []} : {is_compatible: true}
    result =
      target === undefined
        ? await registry.checkCompatibility(subject, candidate)
        : await checkCompatibility({candidate, level: await registry.getCompatibility(subject), registry: onlyVersion(registry, subject, target), subject})
  } catch (error) {
    const mapped = asRestError(error, subject)
    if (verbose && mapped instanceof RestError && mapped.errorCode === 42201) return {is_compatible: false, messages: [mapped.message]}
    throw mapped
  }

  return verbose ? {is_compatible: result.compatible, messages: result.messages} : {is_compatible: result.compatible}
}

/** The registry as seen by a check against one version: the subject appears to hold only that version. */
function onlyVersion(registry: SchemaRegistry, subject: string, version: number): SchemaRegistry {
  return new Proxy(registry, {
    get(target, property) {
      if (property === 'versions') return async (name: string) => (name === subject ? [version] : target.versions(name))
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * GET /config/{subject}: the subject's own level; with ?defaultToGlobal=true the level in force.
 * Confluent answers 40408 for a subject without a level of its own, and clients rely on it
 * (@kafkajs/confluent-schema-registry takes it to mean "first registration"). The SchemaRegistry
 * seam only gives the level in force, so a subject whose level equals the global one counts as
 * having none; the answer differs from Confluent's only when a subject was explicitly set to the
 * global level.
 */
async function subjectLevel(registry: SchemaRegistry, subject: string, defaultToGlobal: boolean): Promise<CompatibilityLevel> {
  const level = await registry.getCompatibility(subject)
  if (!defaultToGlobal && level === (await registry.getCompatibility())) throw restErrors.subjectLevelNotConfigured(subject)
  return level
}

async function setLevel(registry: SchemaRegistry, body: unknown, subject?: string): Promise<{compatibility: CompatibilityLevel}> {
  if (body === undefined) throw restErrors.missingBody()
  if (!isObject(body)) throw restErrors.badRequest('expected a JSON object like {"compatibility": "BACKWARD"}')
  const level = typeof body.compatibility === 'string' ? (body.compatibility.toUpperCase() as CompatibilityLevel) : undefined
  if (!level || !COMPATIBILITY_LEVELS.includes(level)) throw restErrors.invalidCompatibility()
  await registry.setCompatibility(level, subject)
  return {compatibility: level}
}
