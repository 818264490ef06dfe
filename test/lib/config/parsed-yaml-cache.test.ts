import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseWithCache} from '../../../src/lib/config/parsed-yaml-cache.js'
import {resolveConfig} from '../../../src/lib/config/resolve.js'
import {useTempDir} from '../../helpers/temp-dir.js'

const yaml = `
clusters:
  staging:
    brokers: [kafka-1:9092]
    registry: { url: http://registry:8081, password: '\${REGISTRY_PASSWORD}' }
default: staging
views:
  orders: { from: [orders], table: orders, key: key, columns: { status: $.status } }
`

describe('evt.yaml parsed once per text', () => {
  const tempDir = useTempDir()

  const project = ({home = true} = {}) => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'evt.yaml'), yaml)
    if (home) mkdirSync(path.join(dir, '.evt'))
    return dir
  }

  const resolve = (dir: string, env: NodeJS.ProcessEnv = {REGISTRY_PASSWORD: 's3cret'}) => resolveConfig({cwd: dir, env, overrides: {}})

  it('keeps the parse in .evt/ and reads the same configuration from it on the next run', () => {
    const dir = project()
    const first = resolve(dir)
    expect(readdirSync(path.join(dir, '.evt'))).toEqual(['evt.yaml.parsed'])
    // evt.yaml may hold a password: its parse is readable by the owner only.
    expect(statSync(path.join(dir, '.evt', 'evt.yaml.parsed')).mode & 0o777).toBe(0o600)
    expect(resolve(dir)).toEqual(first)
    expect(first.views.orders.columns.status).toMatchObject({path: '$.status'})
  })

  it('uses a kept parse of the same text instead of parsing it again', () => {
    const dir = project()
    const text = readFileSync(path.join(dir, 'evt.yaml'), 'utf8')
    parseWithCache(path.join(dir, '.evt'), text, () => ({clusters: {kept: {embedded: 'kept.db'}}, default: 'kept'}))
    expect(resolve(dir).cluster).toMatchObject({kind: 'embedded', name: 'kept', path: path.join(dir, 'kept.db')})
  })

  it('reads an edit of evt.yaml, even one that keeps its size', () => {
    const dir = project()
    resolve(dir)
    writeFileSync(path.join(dir, 'evt.yaml'), yaml.replace('$.status', '$.statux'))
    expect(resolve(dir).views.orders.columns.status).toMatchObject({path: '$.statux'})
  })

  it('resolves ${VAR} references on every run, not once', () => {
    const dir = project()
    expect(resolve(dir, {REGISTRY_PASSWORD: 'one'}).cluster).toMatchObject({registry: {password: 'one'}})
    expect(resolve(dir, {REGISTRY_PASSWORD: 'two'}).cluster).toMatchObject({registry: {password: 'two'}})
  })

  it('parses again over an entry it cannot read, and replaces it', () => {
    const dir = project()
    const entry = path.join(dir, '.evt', 'evt.yaml.parsed')
    writeFileSync(entry, 'not what evt writes')
    const config = resolve(dir)
    expect(config.cluster).toMatchObject({brokers: ['kafka-1:9092'], name: 'staging'})
    expect(readFileSync(entry, 'utf8')).not.toBe('not what evt writes')
    expect(resolve(dir)).toEqual(config)
  })

  it('never creates .evt/ in a project to keep it, and keeps it in EVT_HOME when set', () => {
    const dir = project({home: false})
    resolve(dir)
    expect(existsSync(path.join(dir, '.evt'))).toBe(false)

    const home = path.join(dir, 'elsewhere')
    mkdirSync(home)
    resolve(dir, {EVT_HOME: home, REGISTRY_PASSWORD: 'x'})
    expect(readdirSync(home)).toEqual(['evt.yaml.parsed'])
  })

  it('does not keep a file that is not valid YAML, and reports it on every run', () => {
    const dir = project()
    writeFileSync(path.join(dir, 'evt.yaml'), 'clusters: [unclosed')
    for (let run = 0; run < 2; run++) expect(() => resolve(dir)).toThrow(/not valid YAML/)
    expect(readdirSync(path.join(dir, '.evt'))).toEqual([])
  })
})
