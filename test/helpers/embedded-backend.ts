import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach} from 'vitest'

import {type Backend, openBackend} from '../../src/lib/backend.js'

/** Opens a fresh embedded backend in a temp dir per call; everything is closed and removed after each test. */
export function useEmbeddedBackend(): () => Promise<Backend> {
  const opened: {backend: Backend; dir: string}[] = []
  afterEach(async () => {
    for (const {backend, dir} of opened.splice(0)) {
      await backend.close()
      rmSync(dir, {force: true, recursive: true})
    }
  })
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evt-backend-'))
    const backend = await openBackend({kind: 'embedded', name: 'test', path: path.join(dir, 'evt.db')}, {create: true})
    opened.push({backend, dir})
    return backend
  }
}
