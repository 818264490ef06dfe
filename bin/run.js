#!/usr/bin/env -S node --max-semi-space-size=64
import {createRequire} from 'node:module'
import {formatWithOptions, inspect} from 'node:util'
import {setFlagsFromString} from 'node:v8'

import {execute} from '@oclif/core'

redactDebugOutput()

// A larger young generation: evt allocates many short-lived buffers per record, and with V8's
// default semi-space the scavenger takes a fifth of a bulk write. The shebang sets it at start-up
// (best); this covers `node bin/run.js`, where it still helps.
setFlagsFromString('--max-semi-space-size=64')

await execute({dir: import.meta.url})

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
