import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {resolveConfig} from '../../src/lib/config/resolve.js'
import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * Configuration that would make evt hang or crash is exit 2, promptly, naming the problem: a huge
 * evt.yaml parses in linear time, a self-referencing alias and a billion-laughs file are refused,
 * and an EVT_HOME no directory can be made in is named at once.
 */
/** A flow whose `owners` map has `count` keys: one map that large is where key checks add up. */
function largeMapYaml(count: number): string {
  const lines = ['flows:', '  order:', '    topics: {orders: {id: key}}', '    owners:']
  for (let i = 0; i < count; i++) lines.push(`      topic-${i}: service-${i}`)
  return `${lines.join('\n')}\n`
}

function parseMs(dir: string, count: number): number {
  const file = path.join(dir, `evt-${count}.yaml`)
  writeFileSync(file, largeMapYaml(count))
  const started = performance.now()
  const config = resolveConfig({cwd: dir, env: {}, overrides: {config: file}})
  const elapsed = performance.now() - started
  expect(Object.keys(config.flows.order.owners)).toHaveLength(count)
  return elapsed
}

const evt = (dir: string, args: string[], env: Record<string, string> = {}) => runCli(args, {cwd: dir, env: {EVT_HOME: path.join(dir, 'home'), ...env}})

describe('hostile configuration', () => {
  const tempDir = useTempDir()
  beforeAll(() => requireFreshBuild())

  it('a large evt.yaml parses in linear time: a map of 40,000 keys in well under 8 s', () => {
    const dir = tempDir()
    parseMs(dir, 2000) // warm up the parser's code paths
    // Checking each key against all before it took 23 s here on a loaded 2-core machine (1.4 s now).
    expect(parseMs(dir, 40_000)).toBeLessThan(8000)
  })

  it('duplicate keys are still refused, naming the key and its line', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'evt.yaml'), 'views:\n  a: {from: x, table: t, columns: {c: $.c}}\n  a: {from: x, table: u, columns: {c: $.c}}\n')
    const result = await evt(dir, ['topic', 'list'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/duplicate key 'a' at line 3, column 3/)
  })

  it('a self-referencing alias is exit 2 CONFIG_INVALID naming the alias', async () => {
    const dir = tempDir()
    writeFileSync(path.join(dir, 'evt.yaml'), 'a: &a [*a]\n')
    const result = await evt(dir, ['topic', 'list', '--json'])
    expect(result.code).toBe(2)
    const {error} = JSON.parse(result.stdout)
    expect(error).toMatchObject({code: 'CONFIG_INVALID', exit: 2})
    expect(error.message).toMatch(/alias \*a at line 1, column 8 refers to the node that contains it/)
  })

  it('a billion-laughs evt.yaml is exit 2 at once, not memory exhaustion', async () => {
    const dir = tempDir()
    const levels = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    for (let i = 1; i < 10; i++) levels.push(`l${i}: &l${i} [${Array.from({length: 9}, () => `*l${i - 1}`).join(', ')}]`)
    writeFileSync(path.join(dir, 'evt.yaml'), `${levels.join('\n')}\n`)
    const started = Date.now()
    const result = await evt(dir, ['topic', 'list'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^Error: .*evt\.yaml: not valid YAML: .*more than 100 aliases expanded/m)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it.skipIf(!existsSync('/proc/self'))('EVT_HOME where no directory can be made (/proc/x) is exit 2 naming it, promptly', async () => {
    const dir = tempDir()
    const started = Date.now()
    const result = await evt(dir, ['topic', 'create', 'orders'], {EVT_HOME: '/proc/evt-x/home'})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^Error: cannot write to \/proc\/evt-x\/home: ENOENT/m)
    expect(result.stderr).toMatch(/^Hint: set EVT_HOME to a writable directory/m)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
