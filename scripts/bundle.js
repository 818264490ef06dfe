#!/usr/bin/env node
// Compiles dist/cli/bundle.js and the commands (tsc's output) with what they import from dist/ and oclif into one
// CommonJS file, dist/evt.cjs, which bin/run.js loads with V8's code cache (bin/code-cache.cjs):
// one file compiled from a cache instead of ~150 modules resolved, read and compiled per run.
import {build} from 'esbuild'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const outfile = path.join(dist, 'evt.cjs')

// Left to require() at run time: native addons; packages that are ES modules only (ink, tsx: loaded
// through src/lib/util/import-esm.ts); react (ink's own copy must be the one evt renders with); and
// the other packages evt loads on demand (bundling avsc and jsonata measured within the noise).
// oclif and what it requires are bundled, all but its optional TypeScript support; `debug` is
// oclif's, exported for bin/run.js, which redacts passwords from what it prints. kafkajs is a
// bundle of its own (below).
const bundledPackages = /^(@oclif\/core(\/|$)|debug$)/
const fromPackage = (importer) => importer.includes(`${path.sep}node_modules${path.sep}`)
const keepExternal = {
  name: 'evt-externals',
  setup(build) {
    build.onResolve({filter: /^[^./]/}, ({importer, path: specifier}) => {
      if (fromPackage(importer)) return specifier === 'typescript' ? {external: true} : undefined
      if (/^kafkajs(\/|$)/.test(specifier)) return {namespace: 'kafkajs', path: specifier}
      return bundledPackages.test(specifier) ? undefined : {external: true}
    })
  },
}

// Each module of dist/ keeps its own import.meta.url (paths beside it: the where-worker, the ink
// views, evt's package root), as if it ran from its own file.
const ownUrl = {
  name: 'evt-import-meta-url',
  setup(build) {
    build.onLoad({filter: /\.js$/}, ({path: file}) => {
      if (!file.startsWith(dist + path.sep)) return undefined
      const relative = path.relative(dist, file).split(path.sep).join('/')
      const contents = readFileSync(file, 'utf8').replaceAll('import.meta.url', `__evtModuleUrl(${JSON.stringify(relative)})`)
      return {contents, loader: 'js'}
    })
  },
}

// kafkajs, as dist/kafkajs.cjs: resolving its ~150 files took 25 ms of every Kafka command, and in
// dist/evt.cjs its compiled code made the code cache every command loads a third larger. The modules
// of it evt imports are what the file exports, each by its specifier, loaded with a code cache of
// its own when evt first imports one (bin/code-cache.cjs).
const KAFKAJS_MODULES = ['kafkajs', 'kafkajs/src/protocol/encoder.js', 'kafkajs/src/protocol/recordBatch/record/v0/index.js', 'kafkajs/src/protocol/requests/index.js', 'kafkajs/src/protocol/error.js']
const kafkajsFile = path.join(dist, 'kafkajs.cjs')
const fromKafkajsBundle = {
  name: 'evt-kafkajs-bundle',
  setup(build) {
    build.onLoad({filter: /.*/, namespace: 'kafkajs'}, ({path: specifier}) => {
      if (!KAFKAJS_MODULES.includes(specifier)) return {errors: [{text: `${specifier}: add it to KAFKAJS_MODULES in scripts/bundle.js`}]}
      return {contents: `module.exports = __evtKafkajs(${JSON.stringify(specifier)})`, loader: 'js'}
    })
  },
}

// kafkajs's record encoder can be put behind evt's (kafka-headers.ts: exact header lists); run from
// src/, evt replaces it through require's cache instead.
const kafkajsRecordModule = path.join('kafkajs', 'src', 'protocol', 'recordBatch', 'record', 'v0', 'index.js')
const recordEncoderHook = {
  name: 'evt-record-encoder-hook',
  setup(build) {
    build.onLoad({filter: /index\.js$/}, ({path: file}) => {
      if (!file.endsWith(kafkajsRecordModule)) return undefined
      const hook = 'const kafkajsRecord = module.exports\nlet encodeRecord = kafkajsRecord\nmodule.exports = (fields) => encodeRecord(fields)\nmodule.exports.useEncoder = (wrap) => { encodeRecord = wrap(kafkajsRecord) }\n'
      return {contents: `${readFileSync(file, 'utf8')}\n${hook}`, loader: 'js', resolveDir: path.dirname(file)}
    })
  },
}

// oclif sorts its commands by id with localeCompare, whose first call in a process loads ICU's
// collation data: 11–15 ms of every command's start-up. evt's command ids are lowercase words and
// colons, which code-unit order sorts the same way; evt compares text that way too
// (src/lib/util/text-order.ts), so a run never loads the collation data.
const oclifPluginModule = path.join('@oclif', 'core', 'lib', 'config', 'plugin.js')
const oclifCommandSort = '.sort((a, b) => a.id.localeCompare(b.id))'
const oclifCommandSortHook = {
  name: 'evt-oclif-command-sort',
  setup(build) {
    build.onLoad({filter: /plugin\.js$/}, ({path: file}) => {
      if (!file.endsWith(oclifPluginModule)) return undefined
      const source = readFileSync(file, 'utf8')
      if (source.split(oclifCommandSort).length !== 2) return {errors: [{text: `${file}: its command sort changed; update oclifCommandSort in scripts/bundle.js`}]}
      return {contents: source.replace(oclifCommandSort, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))'), loader: 'js', resolveDir: path.dirname(file)}
    })
  },
}

// Every command by its oclif id (its path under dist/commands, `:`-separated), as oclif's "explicit"
// discovery reads them (package.json `oclif.commands`). Each is required on first use, so a run
// initializes only its own command's modules, as it would unbundled; oclif lists the commands from
// oclif.manifest.json.
const commandFiles = readdirSync(path.join(dist, 'commands'), {recursive: true}).filter((file) => file.endsWith('.js')).sort()
const entry = [
  "module.exports = {...require('./cli/bundle.js'), COMMANDS: {}, debug: require('debug')}",
  ...commandFiles.map((file) => {
    const id = file.slice(0, -'.js'.length).split(path.sep).join(':')
    const specifier = `./commands/${file.split(path.sep).join('/')}`
    return `Object.defineProperty(module.exports.COMMANDS, ${JSON.stringify(id)}, {enumerable: true, get: () => require(${JSON.stringify(specifier)}).default})`
  }),
].join('\n')

for (const file of [outfile, kafkajsFile]) rmSync(`${file}.v8cache`, {force: true})
await build({
  bundle: true,
  format: 'cjs',
  logLevel: 'warning',
  outfile: kafkajsFile,
  platform: 'node',
  plugins: [recordEncoderHook],
  stdin: {
    contents: KAFKAJS_MODULES.map((specifier) => `Object.defineProperty(exports, ${JSON.stringify(specifier)}, {enumerable: true, get: () => require(${JSON.stringify(specifier)})})`).join('\n'),
    loader: 'js',
    resolveDir: root,
    sourcefile: 'kafkajs-entry.js',
  },
  target: 'node20',
})
await build({
  banner: {
    js: [
      'const __evtModuleUrl = (file) => require("node:url").pathToFileURL(require("node:path").join(__dirname, file)).href;',
      'const __evtKafkajs = (specifier) => require("../bin/code-cache.cjs").requireCodeCached(require("node:path").join(__dirname, "kafkajs.cjs")).exports[specifier];',
    ].join('\n'),
  },
  bundle: true,
  format: 'cjs',
  logLevel: 'warning',
  outfile,
  platform: 'node',
  plugins: [keepExternal, fromKafkajsBundle, oclifCommandSortHook, ownUrl],
  stdin: {contents: entry, loader: 'js', resolveDir: dist, sourcefile: 'evt-entry.js'},
  // Code restored from V8's cache has no import() on Node.js 20: every import() of a CommonJS
  // package becomes a require(), and ES modules go through importEsm.
  supported: {'dynamic-import': false},
  target: 'node20',
})
for (const file of [outfile, kafkajsFile]) {
  writeFileSync(file, asciiOnly(readFileSync(file, 'utf8')))
  console.log(`${path.relative(root, file)}: ${Math.round(readFileSync(file).length / 1024)} KB`)
}

/**
 * The bundle as ASCII: Node reads an ASCII file into a one-byte string, but 13 other characters
 * made the 1.4 MB of dist/evt.cjs a two-byte string and its read 10–13 ms instead of 5, every run.
 * esbuild escapes them in strings, not in the comments it keeps, template literals (whose raw text
 * an escape would change) or regular expressions. Each becomes a \u escape, which means the same in
 * a comment, a regular expression and a template literal's cooked text; a template literal whose
 * raw text is read on the same line is refused (the build fails, naming it).
 */
function asciiOnly(code) {
  return code.replaceAll(/[^\0-\x7f]/g, (character, at) => {
    const line = code.slice(code.lastIndexOf('\n', at) + 1, code.indexOf('\n', at))
    if (/String\.raw|\.raw\b/.test(line)) throw new Error(`a raw template literal holds ${JSON.stringify(character)}: ${line.trim()}`)
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}
