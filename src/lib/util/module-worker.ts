import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import type {Worker, WorkerOptions} from 'node:worker_threads'

// node:worker_threads is required when a worker starts: compiling it is start-up time otherwise (3 ms).
const require = createRequire(import.meta.url)

/**
 * A worker thread running `name` (a module beside `besideUrl`, without its extension), from dist/
 * or, under vitest and bin/dev.js, from src/: a worker does not inherit its parent's tsx loader, so
 * from TypeScript it registers tsx before importing the module.
 */
export function startModuleWorker(besideUrl: string, name: string, options: WorkerOptions): Worker {
  const {Worker} = require('node:worker_threads') as typeof import('node:worker_threads')
  const fromSource = besideUrl.endsWith('.ts')
  const entry = new URL(`${name}.${fromSource ? 'ts' : 'js'}`, besideUrl)
  if (!fromSource) return new Worker(entry, options)
  const tsx = pathToFileURL(createRequire(besideUrl).resolve('tsx/esm/api')).href
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(boot, {...options, eval: true})
}
