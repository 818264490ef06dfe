'use strict'
// CommonJS, beside bin/run.js: it runs before anything of evt's is loaded, and an ES module's
// imports of the built-in modules it uses would cost more than the rest of it.
const {readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync} = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const {setFlagsFromString} = require('node:v8')
const {Script} = require('node:vm')

/** The files loaded so far, by real path, each with its code not yet saved. */
const loaded = new Map()

/**
 * Loads one CommonJS file (evt's bundle, dist/evt.cjs, or kafkajs's, dist/kafkajs.cjs) as require() does, but compiled from V8's
 * code cache kept beside it in `<file>.v8cache`: Node.js 20 keeps no compiled code of its own, and
 * compiling evt and oclif is most of a short command's start-up.
 *
 * V8 compiles a function when it is first called, so the cache holds what the runs that wrote it
 * ran. A run of a command the cache does not hold yet rewrites it with that command's code added:
 * it is written once per command, and again after a rebuild, an upgrade of Node.js, or when V8
 * rejects it. It is written aside and renamed into place; where it cannot be written (a read-only
 * installation) evt runs uncached. The file is put in require's cache, so that a later require()
 * of it (oclif's, for the commands) returns the same exports.
 *
 * Loading a file again returns what the first load returned.
 *
 * @param {string} file
 * @returns {{exports: any, fromCache: boolean, save(command: string): void}} `fromCache`: whether
 *   V8 took the kept code; `save` keeps the code compiled so far for later runs, unless the cache
 *   already holds `command`'s.
 */
function requireCodeCached(file) {
  const real = realpathSync(file)
  if (loaded.has(real)) return loaded.get(real).handle
  const cacheFile = `${real}.v8cache`
  const {mtimeMs, size} = statSync(real)
  // V8 checks its own version and flags, and the source's length only: the rest is checked here.
  const identity = `${size}:${mtimeMs}:${process.version}:${process.arch}`
  const kept = readKept(cacheFile, identity)
  const script = underDefaultFlags(() => new Script(Module.wrap(readFileSync(real, 'utf8')), {cachedData: kept?.data, filename: real}))
  const module = new Module(real)
  module.filename = real
  const require = Module.createRequire(real)
  require.cache[real] = module
  try {
    script.runInThisContext().call(module.exports, module.exports, require, module, real, path.dirname(real))
  } catch (error) {
    delete require.cache[real]
    throw error
  }

  module.loaded = true
  const usable = kept && !script.cachedDataRejected ? kept : undefined
  const entry = {
    handle: {
      exports: module.exports,
      fromCache: usable !== undefined,
      save(command) {
        entry.saved = true
        if (usable?.commands.includes(command)) return
        const header = JSON.stringify({commands: [...(usable?.commands ?? []), command], identity})
        writeAside(cacheFile, Buffer.concat([Buffer.from(`${header}\n`), underDefaultFlags(() => script.createCachedData())]))
      },
    },
    saved: false,
  }
  loaded.set(real, entry)
  return entry.handle
}

let heapGrowingPercent = 0

/**
 * Sets V8's --heap-growing-percent (0: V8's default) for the rest of the run. V8 marks the code it
 * caches with the flags set, and rejects it under others: files are compiled, and their code cached,
 * under the defaults, whenever they load.
 */
function setHeapGrowingPercent(percent) {
  heapGrowingPercent = percent
  setFlagsFromString(`--heap-growing-percent=${percent}`)
  loadBuiltinsUnderDefaultFlags()
}

/** The built-in modules required so far: each is loaded under V8's default flags the first time. */
const builtinsRequired = new Set()
let builtinsHooked = false

/**
 * Node.js keeps its built-in modules compiled, for V8's default flags: under others it compiles
 * them from source. So a built-in module first required after the heap flag is set (crypto, tls,
 * http, readline: a trace on Kafka loads 45) is loaded under the defaults too: tls 10.8 → 3.2 ms,
 * the six a Kafka trace needs 19.6 → 5.9 ms.
 */
function loadBuiltinsUnderDefaultFlags() {
  if (builtinsHooked || heapGrowingPercent === 0) return
  builtinsHooked = true
  const load = Module._load
  Module._load = function (request, ...rest) {
    if (builtinsRequired.has(request) || !Module.isBuiltin(request)) return load.call(this, request, ...rest)
    builtinsRequired.add(request)
    return underDefaultFlags(() => load.call(this, request, ...rest))
  }
}

function underDefaultFlags(compile) {
  if (heapGrowingPercent === 0) return compile()
  setFlagsFromString('--heap-growing-percent=0')
  try {
    return compile()
  } finally {
    setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`)
  }
}

/** Saves the code of every file loaded since the last call (`save` of each), for `command`. */
function saveCodeCaches(command) {
  for (const {handle, saved} of loaded.values()) if (!saved) handle.save(command)
}

/** The kept cache: a line of JSON (the commands it holds, the identity of the file it is for), then V8's data. */
function readKept(cacheFile, identity) {
  let bytes
  try {
    bytes = readFileSync(cacheFile)
  } catch {
    return undefined
  }

  const end = bytes.indexOf(0x0a)
  if (end < 0) return undefined
  try {
    const header = JSON.parse(bytes.subarray(0, end).toString())
    if (header.identity !== identity || !Array.isArray(header.commands)) return undefined
    return {commands: header.commands.map(String), data: bytes.subarray(end + 1)}
  } catch {
    return undefined
  }
}

function writeAside(file, bytes) {
  const aside = `${file}.${process.pid}`
  try {
    writeFileSync(aside, bytes)
    renameSync(aside, file)
  } catch {
    // Read-only or full: the next run compiles, as this one would have without a cache.
    rmSync(aside, {force: true})
  }
}

module.exports = {requireCodeCached, saveCodeCaches, setHeapGrowingPercent}
