import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

const loader = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/code-cache.cjs')

/**
 * Each load runs in a process of its own, as evt's runs do: V8 takes a cache only in a process
 * other than the one that compiled the code, and with the same flags.
 */
function load(file: string, command: string): {fromCache: boolean; header?: {commands: string[]}; value: unknown} {
  const script = `
    const {requireCodeCached} = require(${JSON.stringify(loader)})
    const loaded = requireCodeCached(${JSON.stringify(file)})
    const again = require(${JSON.stringify(file)})
    loaded.save(${JSON.stringify(command)})
    console.log(JSON.stringify({fromCache: loaded.fromCache, same: again === loaded.exports, value: loaded.exports.answer()}))`
  const result = JSON.parse(execFileSync(process.execPath, ['-e', script], {encoding: 'utf8'})) as {fromCache: boolean; same: boolean; value: unknown}
  expect(result.same).toBe(true)
  return {fromCache: result.fromCache, header: readHeader(`${file}.v8cache`), value: result.value}
}

function readHeader(cacheFile: string): {commands: string[]} | undefined {
  if (!existsSync(cacheFile) || !statSync(cacheFile).isFile()) return undefined
  const bytes = readFileSync(cacheFile)
  return JSON.parse(bytes.subarray(0, bytes.indexOf(0x0a)).toString()) as {commands: string[]}
}

describe('bin/code-cache.cjs: a CommonJS file compiled from a V8 code cache kept beside it', () => {
  let dir: string
  let file: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'evt-code-cache-'))
    file = path.join(dir, 'bundle.cjs')
    writeFileSync(file, 'let calls = 0\nexports.answer = () => [42, ++calls]\n')
  })
  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  it('compiles without a cache, keeps one, and the next run takes it', () => {
    const first = load(file, 'schema:check')
    expect(first).toEqual({fromCache: false, header: {commands: ['schema:check'], identity: expect.any(String)}, value: [42, 1]})
    const second = load(file, 'schema:check')
    expect(second.fromCache).toBe(true)
    expect(second.value).toEqual([42, 1])
  })

  it('adds each command it does not hold yet, and only those', () => {
    load(file, 'schema:check')
    const cacheFile = `${file}.v8cache`
    const kept = readFileSync(cacheFile)
    expect(load(file, 'schema:check').fromCache).toBe(true)
    expect(readFileSync(cacheFile).equals(kept)).toBe(true)
    expect(load(file, 'trace').header?.commands).toEqual(['schema:check', 'trace'])
    expect(load(file, 'trace').fromCache).toBe(true)
  })

  it('never runs the code of another version of the file', () => {
    load(file, 'trace')
    // The same length, other code: V8 itself compares only the length.
    writeFileSync(file, 'let calls = 0\nexports.answer = () => [43, ++calls]\n')
    const changed = load(file, 'trace')
    expect(changed.fromCache).toBe(false)
    expect(changed.value).toEqual([43, 1])
    expect(load(file, 'trace').fromCache).toBe(true)
  })

  it('parses over a cache that is not one', () => {
    writeFileSync(`${file}.v8cache`, 'garbage\nmore garbage')
    expect(load(file, 'trace')).toMatchObject({fromCache: false, header: {commands: ['trace']}, value: [42, 1]})
    writeFileSync(`${file}.v8cache`, '{"commands":["trace"],"identity":"nope"}\n')
    expect(load(file, 'trace').fromCache).toBe(false)
    expect(load(file, 'trace').fromCache).toBe(true)
  })

  it('runs uncached where the cache cannot be written, and leaves nothing behind', () => {
    // A directory where the cache would go: renaming a file over it fails, even for root.
    mkdirSync(`${file}.v8cache`)
    expect(load(file, 'trace')).toMatchObject({fromCache: false, value: [42, 1]})
    expect(readdirSync(dir).sort()).toEqual(['bundle.cjs', 'bundle.cjs.v8cache'])
  })

  it('keeps the code of every file loaded, and takes it for one loaded after the heap flag is set', () => {
    // As evt loads dist/kafkajs.cjs: after bin/run.js set --heap-growing-percent, which V8 counts
    // among the flags a cache must have been made under.
    const second = path.join(dir, 'kafkajs.cjs')
    writeFileSync(second, 'exports.answer = () => 7\n')
    const script = `
      const {requireCodeCached, saveCodeCaches, setHeapGrowingPercent} = require(${JSON.stringify(loader)})
      const first = requireCodeCached(${JSON.stringify(file)})
      setHeapGrowingPercent(50)
      const later = requireCodeCached(${JSON.stringify(second)})
      const again = requireCodeCached(${JSON.stringify(second)})
      saveCodeCaches('trace')
      console.log(JSON.stringify({first: first.fromCache, later: later.fromCache, same: again === later, values: [first.exports.answer(), later.exports.answer()]}))`
    const run = () => JSON.parse(execFileSync(process.execPath, ['-e', script], {encoding: 'utf8'})) as unknown
    expect(run()).toEqual({first: false, later: false, same: true, values: [[42, 1], 7]})
    expect([readHeader(`${file}.v8cache`)?.commands, readHeader(`${second}.v8cache`)?.commands]).toEqual([['trace'], ['trace']])
    expect(run()).toEqual({first: true, later: true, same: true, values: [[42, 1], 7]})
  })

  it("loads a built-in module required after the heap flag is set from Node.js's compiled copy, as before the flag", () => {
    // Node.js counts which of its modules it compiled from its own cache (its code-cache test asks the same).
    const usage = (setFlag: string) => {
      const script = `
        const {internalBinding} = require('internal/test/binding')
        ${setFlag}
        require('node:tls')
        const {compiledWithCache, compiledWithoutCache} = internalBinding('builtins').getCacheUsage()
        const tls = (names) => [...names].filter((name) => name.includes('tls')).sort()
        console.log(JSON.stringify({cached: tls(compiledWithCache), compiled: tls(compiledWithoutCache)}))`
      return JSON.parse(execFileSync(process.execPath, ['--expose-internals', '--no-warnings', '-e', script], {encoding: 'utf8'})) as {cached: string[]; compiled: string[]}
    }

    // The flag set by hand: Node compiles tls and its parts from source.
    const bare = usage(`require('node:v8').setFlagsFromString('--heap-growing-percent=50')`)
    expect(bare.cached).toEqual([])
    expect(bare.compiled).toContain('tls')
    // Set through the loader: the same modules come from the cache.
    const loaded = usage(`require(${JSON.stringify(loader)}).setHeapGrowingPercent(50)`)
    expect(loaded).toEqual({cached: bare.compiled, compiled: []})
  })

  it('passes on an error thrown while the file runs, and keeps no half-run module', () => {
    writeFileSync(file, 'globalThis.runs = (globalThis.runs ?? 0) + 1\nthrow new Error("bad bundle " + globalThis.runs)\n')
    const script = `
      const {requireCodeCached} = require(${JSON.stringify(loader)})
      const errors = []
      try { requireCodeCached(${JSON.stringify(file)}) } catch (error) { errors.push(error.message) }
      try { require(${JSON.stringify(file)}) } catch (error) { errors.push(error.message) }
      console.log(JSON.stringify(errors))`
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], {encoding: 'utf8'}))).toEqual(['bad bundle 1', 'bad bundle 2'])
  })
})
