import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {resolveConfig} from '../../../src/lib/config/resolve.js'
import {ConfigError} from '../../../src/lib/errors.js'
import {useTempDir} from '../../helpers/temp-dir.js'

const yaml = `
clusters:
  local: { embedded: data/evt.db }
  staging: { brokers: [kafka-1:9092, kafka-2:9092], registry: http://registry:8081 }
default: staging
flows:
  order:
    topics:
      orders: { id: key }
      payments: { id: $.orderId }
    ends: [OrderConfirmed]
views:
  orders: { from: [orders], table: orders, key: key, columns: { status: $.status } }
`

describe('resolveConfig', () => {
  const tempDir = useTempDir()

  const setup = (text?: string) => {
    const dir = tempDir()
    if (text !== undefined) writeFileSync(path.join(dir, 'evt.yaml'), text)
    const nested = path.join(dir, 'services', 'orders')
    mkdirSync(nested, {recursive: true})
    return {dir, nested}
  }

  it('defaults to the embedded log in ./.evt when there is no evt.yaml and no environment', () => {
    const {dir} = setup()
    const config = resolveConfig({cwd: dir, env: {}, overrides: {}})
    expect(config.cluster).toEqual({kind: 'embedded', name: 'local', path: path.join(dir, '.evt', 'evt.db')})
    expect(config.file).toBeUndefined()
  })

  it('finds evt.yaml upward from the working directory and uses its default cluster, flows and views', () => {
    const {dir, nested} = setup(yaml)
    const config = resolveConfig({cwd: nested, env: {}, overrides: {}})
    expect(config.file).toBe(path.join(dir, 'evt.yaml'))
    expect(config.cluster).toMatchObject({brokers: ['kafka-1:9092', 'kafka-2:9092'], kind: 'kafka', name: 'staging', registry: {url: 'http://registry:8081'}})
    expect(config.flows.order.topics.payments.id).toEqual({kind: 'path', path: '$.orderId', text: '$.orderId', wildcard: false})
    expect(config.flows.order.topics.orders.id).toEqual({kind: 'key', text: 'key'})
    expect(config.views.orders.columns).toEqual({status: {kind: 'path', path: '$.status', text: '$.status', wildcard: false}})
  })

  it('lets the environment override the file, and flags override the environment', () => {
    const {dir} = setup(yaml)
    const fromEnv = resolveConfig({cwd: dir, env: {EVT_CLUSTER: 'local'}, overrides: {}})
    expect(fromEnv.cluster).toEqual({kind: 'embedded', name: 'local', path: path.join(dir, 'data', 'evt.db')})

    const fromFlag = resolveConfig({cwd: dir, env: {EVT_CLUSTER: 'local'}, overrides: {cluster: 'staging'}})
    expect(fromFlag.cluster.name).toBe('staging')

    const brokersBeatCluster = resolveConfig({cwd: dir, env: {EVT_BROKERS: '127.0.0.1:9092'}, overrides: {}})
    expect(brokersBeatCluster.cluster).toMatchObject({brokers: ['127.0.0.1:9092'], kind: 'kafka'})

    const flagClusterBeatsEnvBrokers = resolveConfig({cwd: dir, env: {EVT_BROKERS: '127.0.0.1:9092'}, overrides: {cluster: 'local'}})
    expect(flagClusterBeatsEnvBrokers.cluster.kind).toBe('embedded')
  })

  it('takes the registry URL from flag, then environment, then the cluster', () => {
    const {dir} = setup(yaml)
    const env = {EVT_REGISTRY_URL: 'http://env-registry:8081/'}
    expect(resolveConfig({cwd: dir, env, overrides: {}}).cluster).toMatchObject({registry: {url: 'http://env-registry:8081'}})
    expect(resolveConfig({cwd: dir, env, overrides: {registry: 'http://flag:1'}}).cluster).toMatchObject({registry: {url: 'http://flag:1'}})
  })

  it('moves the embedded log with EVT_HOME, even when evt.yaml names a path', () => {
    const {dir} = setup(yaml)
    const config = resolveConfig({cwd: dir, env: {EVT_CLUSTER: 'local', EVT_HOME: 'elsewhere'}, overrides: {}})
    expect(config.cluster).toMatchObject({kind: 'embedded', path: path.join(dir, 'elsewhere', 'evt.db')})
    expect(config.home).toBe(path.join(dir, 'elsewhere'))
  })

  it('expands ${VAR} from the environment for secrets', () => {
    const {dir} = setup(`clusters:\n  prod:\n    brokers: [b:9093]\n    sasl: { mechanism: scram-sha-512, username: evt, password: "\${EVT_TEST_SECRET}" }\ndefault: prod\n`)
    expect(resolveConfig({cwd: dir, env: {EVT_TEST_SECRET: 's3cret'}, overrides: {}}).cluster).toMatchObject({sasl: {password: 's3cret'}})
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {}})).toThrow(/clusters\.prod\.sasl\.password: expected environment variable EVT_TEST_SECRET to be set/)
  })

  it.each([
    ['clusters:\n  staging: { brokers: [kafka-1] }\n', 'clusters.staging.brokers[0]', 'HOST:PORT'],
    ['clusters:\n  staging: { registry: http://r:1 }\n', 'clusters.staging', "either 'embedded: PATH' or 'brokers"],
    ['clusters:\n  local: { embedded: a.db }\ndefault: nope\n', 'default', 'one of the clusters defined in the file (local)'],
    ['clusters: [1, 2]\n', 'clusters', 'a map of clusters'],
    ['colours: true\n', 'colours', 'no such setting'],
    ['views:\n  orders: { from: [orders], table: [t], key: key, columns: { a: $.a } }\n', 'views.orders.table', 'a table name'],
    ['views:\n  s: { from: { orders: { columns: { a: $.a } } }, deletes: payments }\n', 'views.s.deletes', 'one of the topics of from (orders)'],
    ['views:\n  v: { from: [o], columns: { total: { path: $.total, type: money } } }\n', 'views.v.columns.total.type', 'one of text, integer, real, blob, decimal, timestamp, date'],
    ['views:\n  v: { from: [o], columns: { total: { path: $.total, kind: real } } }\n', 'views.v.columns.total.kind', 'no such setting (known: path, type)'],
    ['views:\n  s: { from: { orders: { columns: { a: $.a } } }, columns: { b: $.b } }\n', 'views.s.columns', "a join view's columns are given per topic"],
  ])('rejects %j naming the path and what was expected', (text, where, expected) => {
    const {dir} = setup(text)
    let error: unknown
    try {
      resolveConfig({cwd: dir, env: {}, overrides: {}})
    } catch (caught) {
      error = caught
    }

    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toContain(path.join(dir, 'evt.yaml'))
    expect(message).toContain(`${where}: expected`)
    expect(message).toContain(expected)
  })

  // Locators are parsed when evt.yaml is read: a bad one fails there, not at the first record.
  it.each([
    ['flows:\n  order:\n    topics:\n      orders: { id: value.orderId }\n', "flows.order.topics.orders.id: 'value.orderId' is not key, header:NAME or a value path like $.orderId"],
    ['flows:\n  order:\n    topics:\n      orders: { id: "$.items[" }\n', "flows.order.topics.orders.id: invalid value path '$.items[' at character 8"],
    ['flows:\n  order:\n    topics:\n      orders: { id: "header:" }\n', "flows.order.topics.orders.id: 'header:' names no header"],
    ['views:\n  v: { from: [a], table: t, key: $.id, columns: { at: $time } }\n', "views.v.columns.at: '$time' is not a value path"],
    ['views:\n  v: { from: [a], table: t, key: "$.a.", columns: { a: $.a } }\n', "views.v.key: invalid value path '$.a.' at character 4"],
  ])('rejects the locator in %j naming the path and the problem', (text, expected) => {
    const {dir} = setup(text)
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {}})).toThrow(`${path.join(dir, 'evt.yaml')}: ${expected}`)
  })

  it('reports YAML syntax errors with the file name', () => {
    const {dir} = setup('clusters: {\n  broken')
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {}})).toThrow(/evt\.yaml: not valid YAML/)
  })

  it('rejects an unknown cluster, a bad broker list and a registry for the embedded log', () => {
    const {dir} = setup(yaml)
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {cluster: 'prod'}})).toThrow(/unknown cluster 'prod' \(from --cluster\)/)
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {brokers: 'nohost'}})).toThrow(/invalid broker address 'nohost'/)
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {cluster: 'local', registry: 'http://r:1'}})).toThrow(
      /schema registry URL .* embedded cluster/,
    )
    expect(() => resolveConfig({cwd: dir, env: {}, overrides: {config: 'missing.yaml'}})).toThrow(/missing\.yaml does not exist/)
  })
})
