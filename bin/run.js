#!/usr/bin/env -S node --max-semi-space-size=16
import module, {createRequire} from 'node:module'
import {arch, platform} from 'node:os'
import {pathToFileURL} from 'node:url'
import {formatWithOptions, inspect} from 'node:util'
import {setFlagsFromString} from 'node:v8'

// Node 22+ keeps the compiled code of every module on disk, so later runs start faster; Node 20
// has no such cache and starts as before. Enabled first: only modules loaded after it are cached.
module.enableCompileCache?.()

// `evt --version` needs nothing of oclif but the line it prints: answered before loading oclif,
// which takes longer than the rest of the run. With DEBUG set oclif answers, printing its debug lines.
if (process.argv[2] === '--version' && !process.env.DEBUG) {
  await printVersion()
} else {
  // Without DEBUG no debug channel prints, so there is nothing to redact.
  if (process.env.DEBUG) redactDebugOutput()
  // The young generation's size, the same on every Node.js: evt allocates many short-lived
  // objects per record. 32 MB was 20–50% faster while a read handed on whole stored batches (2048
  // records that outlived a smaller one); since reads hand on slices of 128, 16 MB costs 0–6%
  // (1M-event demo, 4 runs each: rebuild view orders 2.43 → 2.58 s, the join view 5.70 → 5.75 s, the
  // embedded tail within the noise, a Kafka tail up to 5%) and holds 35–60 MB less (peak RSS: tail
  // of the four topics 215 → 157 MB, rebuild view orders 180 → 150 MB, the join view 198 → 162 MB,
  // the flow index build 222 → 186 MB), which meets the tail's and the 10M rebuild's memory goals.
  // The shebang sets it at start-up (best); this covers `node bin/run.js`.
  setFlagsFromString('--max-semi-space-size=16')
  // A read's live set is small (~30 MB), but at evt's allocation rate V8 lets the old space grow up
  // to 4× before it collects: heap peaks of 120–150 MB. Growing by half at a time instead (1M-event
  // demo, 2 runs each, peak RSS): rebuild view orders 300 → 190 MB, the join view 315 → 228 MB, a
  // tail of the four topics 330 → 240 MB, audit 420 → 320 MB, the flow index build 500 → 295 MB;
  // time within the noise, the index build up to 5% slower. Set here, it applies from the next
  // collection on.
  setFlagsFromString('--heap-growing-percent=50')
  // The subpath, not '@oclif/core' (its index also loads semver and the rest of oclif), and
  // required: on Node 20 an ESM import of oclif's CommonJS costs more than require()-ing it.
  const {execute} = createRequire(import.meta.url)('@oclif/core/execute')
  await execute({dir: import.meta.url})
}

/** oclif's version line (its `config.userAgent`): name/version platform-arch node-version. */
async function printVersion() {
  const require = createRequire(import.meta.url)
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
 * through here first: those passwords, and the password part of any URL, become ***.
 */
function redactDebugOutput() {
  // The copy of `debug` that oclif itself loads, wherever the package manager put it.
  const debug = createRequire(createRequire(import.meta.url).resolve('@oclif/core'))('debug')
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
