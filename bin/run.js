#!/usr/bin/env node
import {createRequire} from 'node:module'

// Built-in modules are required, not imported: an ES module's import of each costs a facade.
const require = createRequire(import.meta.url)
const module = require('node:module')

// Node 22+ keeps the compiled code of every module on disk, so later runs start faster; Node 20
// has no such cache and starts as before. Enabled first: only modules loaded after it are cached.
module.enableCompileCache?.()

// `evt --version` needs nothing of oclif but the line it prints: answered before loading oclif,
// which takes longer than the rest of the run. With DEBUG set oclif answers, printing its debug lines.
if (process.argv[2] === '--version' && !process.env.DEBUG) {
  await printVersion()
} else {
  // evt and oclif as one file compiled from V8's code cache (scripts/bundle.js, bin/code-cache.cjs).
  // kafkajs is a second such file (dist/kafkajs.cjs), loaded by the first when a command needs it.
  const {requireCodeCached, saveCodeCaches, setHeapGrowingPercent} = require('./code-cache.cjs')
  const evt = requireCodeCached(require.resolve('../dist/evt.cjs')).exports
  evt.lendImport((specifier) => import(specifier))
  // Without DEBUG no debug channel prints, so there is nothing to redact.
  if (process.env.DEBUG) redactDebugOutput(evt.debug)
  settleAfterStartUp({saveCodeCaches, setHeapGrowingPercent}, () => evt.ranCommand())
  await evt.execute({dir: import.meta.url})
}

/**
 * Grows the heap by half at a time from now on, and keeps the compiled code for the next runs: at
 * exit, or 200 ms into the run (later if the command has not started by then), whichever comes
 * first. Not later: a long run's collections drop the compiled code of functions it stopped calling
 * (a cache kept at the end of a flow index build was 436 KB instead of 760, and the runs after it
 * took 20 ms longer).
 *
 * The heap: a read's live set is small (~30 MB), but at evt's allocation rate V8 lets the old space
 * grow up to 4× before it collects: heap peaks of 120–150 MB. Growing by half at a time instead
 * (1M-event demo, 2 runs each, peak RSS): rebuild view orders 300 → 190 MB, the join view 315 →
 * 228 MB, a tail of the four topics 330 → 240 MB, audit 420 → 320 MB, the flow index build 500 →
 * 295 MB; time within the noise, the index build up to 5% slower. Set only now, with oclif loaded:
 * any V8 flag set makes Node compile each built-in module loaded after it from source (its own
 * cache of them is for its default flags), 4 → 14 ms for oclif's nine. For the same reason the
 * shebang sets no flag: it set --max-semi-space-size=16, 10 ms per run, which is Node.js 20's
 * default already (a new space of 32 MB). Set 200 ms later instead, it would spare the built-in
 * modules a command loads itself (`topic tail --limit 1` 125 → 117 ms), but a tail of the 1M-event
 * demo then peaked at up to 205 MB instead of 173.
 */
function settleAfterStartUp({saveCodeCaches, setHeapGrowingPercent}, ranCommand) {
  setHeapGrowingPercent(50)
  // Each file's code once: what is loaded by then 200 ms in, a file loaded later at exit.
  const save = () => saveCodeCaches(ranCommand() ?? '')

  process.once('exit', save)
  const saveSoon = () => setTimeout(() => (ranCommand() === undefined ? saveSoon() : save()), 200).unref()
  saveSoon()
}

/** oclif's version line (its `config.userAgent`): name/version platform-arch node-version. */
async function printVersion() {
  const {arch, platform} = require('node:os')
  const {pathToFileURL} = require('node:url')
  const {name, version} = require('../package.json')
  // oclif reports WSL as a platform of its own; ask the same module it asks.
  const {isWsl} = await import(pathToFileURL(createRequire(require.resolve('@oclif/core')).resolve('wsl-utils')).href)
  const cpu = arch() === 'ia32' ? 'x86' : arch()
  process.stdout.write(`${name}/${version || '0.0.0'} ${isWsl ? 'wsl' : platform()}-${cpu} node-${process.version}\n`)
}

/**
 * With DEBUG=* the `debug` channels (oclif's among them) print the argv and the environment's
 * settings, so a password in `--registry http://user:PASS@host`, `--auth user:PASS`,
 * EVT_REGISTRY_URL or EVT_REGISTRY_AUTH would reach stderr. Every line those channels write passes
 * through here first: those passwords, and the password part of any URL, become ***. `debug` is
 * the copy oclif uses, bundled with it in dist/evt.cjs.
 */
function redactDebugOutput(debug) {
  const {formatWithOptions, inspect} = require('node:util')
  const secrets = new Set()
  const addUrlPasswords = (text) => {
    for (const [, password] of text.matchAll(/[a-z][\w+.-]*:\/\/[^/\s@:]*:([^/\s@]+)@/gi)) secrets.add(password).add(safeDecode(password))
  }

  const addAuth = (auth) => secrets.add(auth).add(auth.slice(auth.indexOf(':') + 1))
  const argv = process.argv.slice(2)
  for (const [index, token] of argv.entries()) {
    addUrlPasswords(token)
    if (token.startsWith('--auth=')) addAuth(token.slice('--auth='.length))
    else if (token === '--auth' && index + 1 < argv.length) addAuth(argv[index + 1])
  }

  addUrlPasswords(process.env.EVT_REGISTRY_URL ?? '')
  if (process.env.EVT_REGISTRY_AUTH) addAuth(process.env.EVT_REGISTRY_AUTH)
  // Each secret as printed raw, inside an inspected string ('…' escapes) and inside JSON; longest first.
  const forms = [...secrets]
    .filter((secret) => secret.length > 0)
    .flatMap((secret) => [secret, inspect(secret).slice(1, -1), JSON.stringify(secret).slice(1, -1)])
    .sort((a, b) => b.length - a.length)
  const redact = (text) => forms.reduce((line, form) => line.split(form).join('***'), text).replaceAll(/([a-z][\w+.-]*:\/\/[^/\s@:'"]*:)[^/\s@'"]+@/gi, '$1***@')
  const write = debug.log
  // One formatted string goes on to debug's own writer, which prints a lone string as it is.
  debug.log = function (...args) {
    return write.call(this, redact(formatWithOptions(debug.inspectOpts ?? {}, ...args)))
  }
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
