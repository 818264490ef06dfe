import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {EvtError} from '../errors.js'

/** evt's own package root (this file is lib/util/native-module in src/ and in dist/). */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/**
 * A native module that does not load means that this installation does not fit this machine: it
 * was built for another Node.js (Node was upgraded after `npm install`), or its binary is missing
 * (install scripts skipped, node_modules copied from another platform). Said as such, with the
 * command that repairs it, instead of blaming the file that was being opened.
 */
export function installBroken(module: string, error: unknown): EvtError {
  const reason = error instanceof Error ? error.message : String(error)
  const versions = /NODE_MODULE_VERSION (\d+)\.[^]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(reason)
  const what = versions
    ? `was built for another Node.js (module version ${versions[1]}; Node.js ${process.version} needs ${versions[2]})`
    : `cannot be loaded: ${reason.split('\n', 1)[0]}`
  return new EvtError('INSTALL_BROKEN', `evt's native module ${module} ${what}`, {
    cause: error,
    data: {module, node: process.version},
    hint: `rebuild it for this Node.js: cd ${PACKAGE_ROOT} && npm rebuild ${module}`,
  })
}

/** Imports a native module, a failure to load it reported by installBroken. */
export async function importNative<T>(module: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    throw installBroken(module, error)
  }
}
