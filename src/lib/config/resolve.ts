import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

import {ConfigError, UsageError} from '../errors.js'
import {parseDuration} from '../read/start-position.js'
import {type ColumnLocator, parseColumnLocator, parseIdLocator} from './locator.js'
import {parseWithCache} from './parsed-yaml-cache.js'
import {isPemText, normalizePem} from './pem.js'
import {withoutCredentials} from './redact.js'
import type {
  AuditConfig,
  ClusterConfig,
  ColumnType,
  ConfigOverrides,
  EvtConfig,
  FlowConfig,
  KafkaCluster,
  RegistryConfig,
  SslConfig,
  ViewConfig,
} from './types.js'
import {ConfigNode} from './validate.js'

// The yaml package is loaded only when there is an evt.yaml to read: it is a good part of start-up.
const require = createRequire(import.meta.url)

export const CONFIG_FILE_NAME = 'evt.yaml'
export const DEFAULT_CLUSTER_NAME = 'local'

interface ResolveOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  overrides: ConfigOverrides
}

interface FileConfig {
  audit: AuditConfig
  clusters: Record<string, ClusterConfig>
  defaultCluster?: string
  flows: Record<string, FlowConfig>
  views: Record<string, ViewConfig>
}

/** Walks up from `cwd` to the filesystem root looking for evt.yaml. */
export function findConfigFile(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, CONFIG_FILE_NAME)
    if (existsSync(candidate)) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}

/**
 * Resolves the configuration: flags > environment > evt.yaml > embedded default (design §3).
 * Choosing a cluster is one decision per layer: `--brokers` or `--cluster` on the command line,
 * else `EVT_BROKERS` or `EVT_CLUSTER`, else the file's `default`, else the embedded log.
 */
export function resolveConfig({cwd, env, overrides}: ResolveOptions): EvtConfig {
  const file = overrides.config ? path.resolve(cwd, overrides.config) : findConfigFile(cwd)
  if (overrides.config && !existsSync(file!)) {
    throw new ConfigError(`config file ${file} does not exist`, {code: 'FILE_NOT_FOUND', file, hint: 'check the --config path'})
  }

  const baseDir = file ? path.dirname(file) : path.resolve(cwd)
  const home = env.EVT_HOME ? path.resolve(cwd, env.EVT_HOME) : path.join(baseDir, '.evt')
  const parsed = file ? readConfigFile(file, home, env) : undefined
  const defaultEmbedded: ClusterConfig = {kind: 'embedded', name: DEFAULT_CLUSTER_NAME, path: path.join(home, 'evt.db')}
  const clusters = parsed?.clusters ?? {}

  const named = (name: string, source: string): ClusterConfig => {
    const found = clusters[name]
    if (found) return found
    if (name === DEFAULT_CLUSTER_NAME && !file) return defaultEmbedded
    const known = Object.keys(clusters)
    throw new ConfigError(`unknown cluster '${name}' (from ${source})`, {code: 'CLUSTER_NOT_FOUND', file,
      hint: known.length > 0 ? `known clusters: ${known.join(', ')}` : `define it under 'clusters:' in ${file ?? CONFIG_FILE_NAME}`,
    })
  }

  const adHoc = (brokers: string): KafkaCluster => ({
    brokers: parseBrokers(brokers),
    kind: 'kafka',
    name: 'brokers',
  })

  // Two answers to "which cluster" in one layer: refuse rather than silently prefer one.
  if (overrides.brokers && overrides.cluster) {
    throw new UsageError(`--cluster ${overrides.cluster} conflicts with --brokers ${withoutCredentials(overrides.brokers)}: each selects a cluster`, {hint: 'give one of them'})
  }

  if (!overrides.brokers && !overrides.cluster && env.EVT_BROKERS && env.EVT_CLUSTER) {
    throw new UsageError(`EVT_CLUSTER=${env.EVT_CLUSTER} conflicts with EVT_BROKERS=${withoutCredentials(env.EVT_BROKERS)}: each selects a cluster`, {
      hint: 'unset one of them, or choose on the command line with --cluster or --brokers',
    })
  }

  let cluster: ClusterConfig
  if (overrides.brokers) cluster = adHoc(overrides.brokers)
  else if (overrides.cluster) cluster = named(overrides.cluster, '--cluster')
  else if (env.EVT_BROKERS) cluster = adHoc(env.EVT_BROKERS)
  else if (env.EVT_CLUSTER) cluster = named(env.EVT_CLUSTER, 'EVT_CLUSTER')
  else if (parsed?.defaultCluster) cluster = named(parsed.defaultCluster, `'default' in ${file}`)
  else cluster = defaultEmbedded

  // EVT_HOME moves the embedded log even when evt.yaml names a path for it.
  if (cluster.kind === 'embedded' && env.EVT_HOME) cluster = {...cluster, path: path.join(home, 'evt.db')}

  const registryUrl = overrides.registry ?? env.EVT_REGISTRY_URL
  if (registryUrl) {
    if (cluster.kind !== 'kafka') {
      throw new ConfigError(`a schema registry URL (${withoutCredentials(registryUrl)}) was given for the embedded cluster '${cluster.name}'`, {
        hint: 'also give --brokers (or EVT_BROKERS), or select a Kafka cluster with --cluster',
      })
    }

    cluster = {...cluster, registry: {...cluster.registry, ...registryAt(registryUrl)}}
  }

  const timeout = overrides.timeout ?? env.EVT_TIMEOUT
  if (timeout !== undefined && cluster.kind === 'kafka') cluster = {...cluster, timeoutMs: parseTimeout(timeout, overrides.timeout === undefined ? 'EVT_TIMEOUT' : '--timeout')}

  return {audit: parsed?.audit ?? {ignore: []}, cluster, file, flows: parsed?.flows ?? {}, home, views: parsed?.views ?? {}}
}

function readConfigFile(file: string, home: string, env: NodeJS.ProcessEnv): FileConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {cause: error, file})
  }

  const data = parseWithCache(home, text, () => parseConfigYaml(text, file))
  const root = new ConfigNode(data ?? {}, file, '', env)
  root.requireMap('a map with clusters, default, flows, views and audit')
  for (const [key, node] of root.entries('settings')) {
    if (!['audit', 'clusters', 'default', 'flows', 'views'].includes(key)) node.reject('no such setting (known: audit, clusters, default, flows, views)')
  }

  const baseDir = path.dirname(file)
  const clusters = Object.fromEntries(root.child('clusters').entries('clusters').map(([name, node]) => [name, readCluster(name, node, baseDir)]))
  const defaultCluster = root.child('default').optionalString('the name of a cluster under clusters')
  if (defaultCluster && !clusters[defaultCluster]) {
    root.child('default').reject(`one of the clusters defined in the file (${Object.keys(clusters).join(', ') || 'none'})`)
  }

  const flows = Object.fromEntries(root.child('flows').entries('flows').map(([name, node]) => [name, readFlow(node)]))
  const views = Object.fromEntries(root.child('views').entries('views').map(([name, node]) => [name, readView(node, name)]))
  const auditNode = root.child('audit')
  if (auditNode.present) {
    auditNode.requireMap('{ ignore: [RULE or RULE:TOPIC, ...] }')
    for (const [key, node] of auditNode.entries('settings')) if (key !== 'ignore') node.reject('no such setting (known: ignore)')
  }

  return {audit: {ignore: auditNode.child('ignore').stringList('rule names, or RULE:TOPIC')}, clusters, defaultCluster, flows, views}
}

/** Aliases one evt.yaml may expand in total: real files use a few; a billion-laughs file, millions. */
const MAX_ALIAS_COUNT = 100

/**
 * Parses evt.yaml in time linear in its size. The yaml package checks each map key against all
 * keys before it (16k views: seconds; 200k: many minutes), so that check is off and done here
 * with a Set per map. An alias inside the node it names (`a: &a [*a]`) is refused: its value
 * would be a cycle that no check or message can print.
 */
function parseConfigYaml(text: string, file: string): unknown {
  const {isScalar, LineCounter, parseDocument, visit} = require('yaml') as typeof import('yaml')
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, uniqueKeys: false})
  const invalid = (message: string, cause?: unknown) => new ConfigError(`${file}: not valid YAML: ${message}`, {cause, file})
  const at = (offset: number | undefined) => {
    const {col, line} = lineCounter.linePos(offset ?? 0)
    return `at line ${line}, column ${col}`
  }

  if (doc.errors.length > 0) throw invalid(doc.errors[0].message.split('\n')[0], doc.errors[0])
  visit(doc, {
    Alias(_key, alias, ancestors) {
      const target = alias.resolve(doc)
      if (target && ancestors.includes(target)) throw invalid(`alias *${alias.source} ${at(alias.range?.[0])} refers to the node that contains it (a cycle)`)
    },
    Map(_key, map) {
      const seen = new Set<unknown>()
      for (const {key} of map.items) {
        const value = isScalar(key) ? key.value : key
        if (seen.has(value)) throw invalid(`duplicate key '${String(value)}' ${at(isScalar(key) ? key.range?.[0] : undefined)}: map keys must be unique`)
        seen.add(value)
      }
    },
  })
  try {
    return doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
  } catch (error) {
    // The yaml package's resource-exhaustion guard: more alias expansions than any real file needs.
    throw invalid(`${(error as Error).message} (more than ${MAX_ALIAS_COUNT} aliases expanded)`, error)
  }
}

function readCluster(name: string, node: ConfigNode, baseDir: string): ClusterConfig {
  node.requireMap('a cluster: { embedded: PATH } or { brokers: [HOST:PORT], registry: URL }')
  const embedded = node.child('embedded')
  if (embedded.present) {
    return {kind: 'embedded', name, path: path.resolve(baseDir, embedded.string('a path to the SQLite file'))}
  }

  const brokersNode = node.child('brokers')
  if (!brokersNode.present) node.reject("either 'embedded: PATH' or 'brokers: [HOST:PORT, ...]'")
  const brokers = brokersNode.stringList('HOST:PORT').map((broker, index) => {
    if (!/^[^\s:]+:\d+$/.test(broker)) brokersNode.items('HOST:PORT')[index]?.reject('HOST:PORT')
    return broker
  })
  return {
    brokers,
    kind: 'kafka',
    name,
    registry: readRegistry(node.child('registry')),
    sasl: readSasl(node.child('sasl')),
    timeoutMs: readTimeout(node.child('timeout')),
    ssl: readSsl(node.child('ssl'), baseDir),
  }
}

function readRegistry(node: ConfigNode): RegistryConfig | undefined {
  if (!node.present) return undefined
  if (typeof node.value === 'string') return registryAt(node.string(), node)
  const password = node.child('password').optionalString()
  const {url, ...fromUrl} = registryAt(node.child('url').string('an http(s) URL'), node.child('url'))
  const username = node.child('username').optionalString()
  return {password: password ?? fromUrl.password, url, username: username ?? fromUrl.username}
}

/**
 * A registry at a URL. Credentials written into it (`http://user:pass@host`, which fetch refuses)
 * become the Basic auth ones, so the URL evt uses and prints carries none.
 */
function registryAt(text: string, node?: ConfigNode): RegistryConfig {
  const url = parseUrl(text, node)
  const match = /^(https?:\/\/)([^/]*)@(.*)$/.exec(url)
  if (!match) return {url}
  const [, scheme, userinfo, rest] = match
  const colon = userinfo.includes(':') ? userinfo.indexOf(':') : userinfo.length
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part)
    } catch {
      return part
    }
  }

  return {password: decode(userinfo.slice(colon + 1)), url: `${scheme}${rest}`, username: decode(userinfo.slice(0, colon))}
}

function readSasl(node: ConfigNode): KafkaCluster['sasl'] {
  if (!node.present) return undefined
  return {
    mechanism: node.child('mechanism').oneOf(['plain', 'scram-sha-256', 'scram-sha-512'] as const),
    password: node.child('password').string(),
    username: node.child('username').string(),
  }
}

/**
 * `ssl: true` (the system's CAs) or `ssl: {ca, cert, key, rejectUnauthorized}`. Each of ca, cert
 * and key is a PEM file path (relative to evt.yaml's directory) or, e.g. from `"${VAR}"`, the PEM
 * text itself; the files are read when evt connects (src/lib/log/kafka/kafka-client.ts).
 */
function readSsl(node: ConfigNode, baseDir: string): KafkaCluster['ssl'] {
  if (!node.present) return undefined
  if (typeof node.value === 'boolean') return node.boolean()
  node.requireMap('true, or a map with ca, cert, key (PEM file paths or PEM text) and rejectUnauthorized')
  const known = ['ca', 'cert', 'key', 'rejectUnauthorized']
  for (const [key, child] of node.entries('ssl settings')) {
    // Not child.reject(): that quotes the value, and a misnamed setting may hold a private key.
    if (!known.includes(key)) throw new ConfigError(`${child.file}: ${child.path}: no such setting (known: ${known.join(', ')})`, {file: child.file, path: child.path})
  }

  const pem = (key: 'ca' | 'cert' | 'key') => {
    const value = node.child(key).optionalString('a path to a PEM file, or PEM text')
    if (value === undefined) return undefined
    return isPemText(value) ? normalizePem(value) : path.resolve(baseDir, value)
  }

  const ssl: SslConfig = {ca: pem('ca'), cert: pem('cert'), key: pem('key')}
  // A client certificate is only usable with its key, and the reverse.
  if (ssl.cert !== undefined && ssl.key === undefined) node.child('key').reject('the private key of ssl.cert (a PEM file path or PEM text)')
  if (ssl.key !== undefined && ssl.cert === undefined) node.child('cert').reject('the client certificate of ssl.key (a PEM file path or PEM text)')
  const reject = node.child('rejectUnauthorized')
  if (reject.present) ssl.rejectUnauthorized = reject.boolean()
  return ssl
}

function readFlow(node: ConfigNode): FlowConfig {
  node.requireMap('a flow: { topics: {TOPIC: {id: key | header:NAME | $.path}}, owners, ends }')
  const topicsNode = node.child('topics')
  const topics = Object.fromEntries(
    topicsNode.entries('topics').map(([topic, spec]) => {
      return [topic, {id: spec.child('id').parsed('key, header:NAME or a value path like $.orderId', parseIdLocator)}]
    }),
  )
  if (Object.keys(topics).length === 0) topicsNode.reject('at least one topic')
  const owners = Object.fromEntries(node.child('owners').entries('topic: service').map(([topic, owner]) => [topic, owner.string()]))
  return {ends: node.child('ends').stringList('event type names'), owners, topics}
}

/** A view; its table is named after it unless `table:` says otherwise. */
function readView(node: ConfigNode, name: string): ViewConfig {
  node.requireMap('a view: { from: [TOPIC], table, key, columns }')
  const from = node.child('from')
  if (from.present && typeof from.value === 'object' && !Array.isArray(from.value)) return readJoinView(node, name)
  const moduleNode = node.child('module')
  const {columns, columnTypes} = readColumns(node.child('columns'))
  if (!moduleNode.present && Object.keys(columns).length === 0) node.child('columns').reject('a map of column: $.path (or a module)')
  if (node.child('deletes').present) node.child('deletes').reject("nothing here: 'deletes' belongs to a join view (from: a map of topics)")
  return {
    columns,
    columnTypes,
    from: from.stringList('topic names'),
    key: node.child('key').present ? node.child('key').parsed('key, header:NAME or a value path like $.orderId', parseIdLocator) : parseIdLocator('key'),
    module: moduleNode.optionalString(),
    table: node.child('table').optionalString('a table name') ?? name,
    target: node.child('target').optionalString('a SQLite path or a postgres:// URL'),
  }
}

/** `from: {TOPIC: {key, columns}}`: each topic updates its own columns of rows keyed by the same id. */
function readJoinView(node: ConfigNode, name: string): ViewConfig {
  for (const setting of ['columns', 'module']) if (node.child(setting).present) node.child(setting).reject(`nothing here: a join view's columns are given per topic under 'from'`)
  const join = Object.fromEntries(
    node
      .child('from')
      .entries('topic: { key, columns }')
      .map(([topic, source]) => {
        source.requireMap('{ key: key | header:NAME | $.path, columns: { column: $.path } }')
        const {columns, columnTypes} = readColumns(source.child('columns'))
        if (Object.keys(columns).length === 0) source.child('columns').reject('a map of column: $.path')
        const key = source.child('key').present ? source.child('key').parsed('key, header:NAME or a value path like $.orderId', parseIdLocator) : parseIdLocator('key')
        return [topic, {columns, columnTypes, key}]
      }),
  )
  const deletes = node.child('deletes').optionalString('a topic of from')
  if (deletes !== undefined && !(deletes in join)) node.child('deletes').reject(`one of the topics of from (${Object.keys(join).join(', ')})`)
  return {
    columns: {},
    columnTypes: {},
    deletes,
    from: Object.keys(join),
    join,
    key: parseIdLocator('key'),
    keyColumn: node.child('key').optionalString('the name of the row key column, like orderId'),
    table: node.child('table').optionalString('a table name') ?? name,
    target: node.child('target').optionalString('a SQLite path or a postgres:// URL'),
  }
}

/** `column: LOCATOR`, or `column: {path: LOCATOR, type: text|integer|real|blob}` to fix its SQL type. */
function readColumns(node: ConfigNode): {columns: Record<string, ColumnLocator>; columnTypes: Record<string, ColumnType>} {
  const columns: Record<string, ColumnLocator> = {}
  const columnTypes: Record<string, ColumnType> = {}
  for (const [name, spec] of node.entries('column: $.path')) {
    if (spec.present && typeof spec.value === 'object' && !Array.isArray(spec.value)) {
      spec.requireMap('{ path: $.path, type: text | integer | real | blob }')
      for (const [key, inner] of spec.entries('settings')) if (key !== 'path' && key !== 'type') inner.reject('no such setting (known: path, type)')
      columns[name] = spec.child('path').parsed('a value path like $.status', parseColumnLocator)
      if (spec.child('type').present) columnTypes[name] = spec.child('type').oneOf(COLUMN_TYPES)
    } else {
      columns[name] = spec.parsed('a value path like $.status', parseColumnLocator)
    }
  }

  return {columns, columnTypes}
}

const COLUMN_TYPES = ['text', 'integer', 'real', 'blob', 'decimal', 'timestamp', 'date'] as const

function parseBrokers(text: string): string[] {
  const brokers = text.split(',').map((broker) => broker.trim()).filter(Boolean)
  const bad = brokers.find((broker) => !/^[^\s:]+:\d+$/.test(broker))
  if (brokers.length === 0 || bad !== undefined) {
    throw new ConfigError(`invalid broker address '${bad ?? text}'`, {hint: 'brokers are HOST:PORT, comma-separated, e.g. 127.0.0.1:9092'})
  }

  return brokers
}

function parseUrl(text: string, node?: ConfigNode): string {
  if (!/^https?:\/\/[^\s/]+/.test(text)) {
    if (node) node.reject('an http(s) URL')
    throw new ConfigError(`invalid schema registry URL '${withoutCredentials(text)}'`, {hint: 'give an http(s) URL, e.g. http://127.0.0.1:8081'})
  }

  return text.replace(/\/+$/, '')
}

/** A timeout as a duration (`30s`, `2m`, `500ms`); a bare number is seconds. */
function timeoutMs(text: string): number | undefined {
  const ms = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : parseDuration(text)
  return ms !== undefined && ms > 0 ? ms : undefined
}

function parseTimeout(text: string, source: string): number {
  const ms = timeoutMs(text)
  if (ms === undefined) throw new ConfigError(`invalid ${source} '${text}'`, {hint: 'give a duration such as 30s, 2m or 500ms'})
  return ms
}

function readTimeout(node: ConfigNode): number | undefined {
  if (!node.present) return undefined
  const text = typeof node.value === 'number' ? String(node.value) : node.string('a duration such as 30s')
  return timeoutMs(text) ?? node.reject('a duration such as 30s, 2m or 500ms')
}
