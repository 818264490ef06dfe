import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {ConfigError, EvtError} from '../errors.js'

/**
 * Which evt.yaml files may run the view modules they name. evt.yaml is found by searching upward
 * from the working directory, so without this, running evt inside a cloned repository would run
 * that repository's code. As direnv does, `evt trust` records a hash of evt.yaml and of each module
 * it names; a module runs only while both hashes still match.
 */

export interface TrustResult {
  /** The evt.yaml that was trusted. */
  file: string
  /** The module files it names, now trusted with it. */
  modules: string[]
}

interface TrustedConfig {
  modules: Record<string, string>
  sha256: string
}

interface TrustStore {
  configs: Record<string, TrustedConfig>
  version: 1
}

/** $XDG_CONFIG_HOME/evt/trusted.json, else ~/.config/evt/trusted.json: the user's, not the project's. */
export function trustStoreFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config')
  return path.join(configHome, 'evt', 'trusted.json')
}

/** Trusts an evt.yaml and every view module it names (paths relative to the file): what `evt trust` does. */
export function trustProject(config: {file: string; views: Record<string, {module?: string}>}, store?: string): TrustResult {
  const directory = path.dirname(config.file)
  const modules = Object.values(config.views).flatMap((view) => (view.module === undefined ? [] : [path.resolve(directory, view.module)]))
  return trustConfig({configFile: config.file, modules, store})
}

/** Records `configFile` and the module files it names as trusted, replacing what was recorded for it. */
export function trustConfig(options: {configFile: string; modules: string[]; store?: string}): TrustResult {
  const configFile = path.resolve(options.configFile)
  const modules = [...new Set(options.modules.map((file) => path.resolve(file)))].sort()
  const store = options.store ?? trustStoreFile()
  const trusted = readStore(store)
  // Entries of projects that are gone (deleted clones, temporary directories) are dropped as it goes.
  for (const file of Object.keys(trusted.configs)) if (!existsSync(file)) delete trusted.configs[file]
  trusted.configs[configFile] = {modules: Object.fromEntries(modules.map((file) => [file, hashFile(file)])), sha256: hashFile(configFile)}
  writeStore(store, trusted)
  return {file: configFile, modules}
}

/**
 * Throws UNTRUSTED_CONFIG unless `moduleFile` may run: `configFile` was trusted, and neither it nor
 * the module changed since.
 */
export function requireTrustedModule(options: {configFile: string; moduleFile: string; store?: string}): void {
  const configFile = path.resolve(options.configFile)
  const moduleFile = path.resolve(options.moduleFile)
  const recorded = readStore(options.store ?? trustStoreFile()).configs[configFile]
  const unchanged = recorded !== undefined && recorded.sha256 === hashFile(configFile) && recorded.modules[moduleFile] === hashFile(moduleFile)
  if (unchanged) return
  const directory = path.dirname(configFile)
  const state = recorded === undefined ? 'is not trusted' : 'changed since it was trusted'
  throw new EvtError('UNTRUSTED_CONFIG', `${configFile} names code to run (${path.relative(directory, moduleFile)}) and ${state}`, {
    data: {file: configFile, module: moduleFile},
    hint: `run \`evt trust\` in ${directory} after reading ${path.basename(configFile)} and ${path.relative(directory, moduleFile)}`,
  })
}

function hashFile(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex')
  } catch (error) {
    throw new EvtError('FILE_NOT_FOUND', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {cause: error, data: {file}})
  }
}

function readStore(store: string): TrustStore {
  let text: string
  try {
    text = readFileSync(store, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {configs: {}, version: 1}
    throw new ConfigError(`cannot read ${store}: ${(error as Error).message}`, {cause: error, file: store})
  }

  try {
    const parsed = JSON.parse(text) as Partial<TrustStore>
    if (parsed.version === 1 && typeof parsed.configs === 'object' && parsed.configs !== null) return parsed as TrustStore
  } catch {
    // Reported below with the fix.
  }

  throw new ConfigError(`${store} is not a list of trusted evt.yaml files`, {file: store, hint: `delete it and run \`evt trust\` again where you trust evt.yaml`})
}

/** Written to a PID-named file and renamed, so a crash or a concurrent `evt trust` never leaves half a file. */
function writeStore(store: string, trusted: TrustStore): void {
  mkdirSync(path.dirname(store), {mode: 0o700, recursive: true})
  const building = `${store}.${process.pid}.tmp`
  writeFileSync(building, `${JSON.stringify(trusted, null, 2)}\n`, {mode: 0o600})
  renameSync(building, store)
}
