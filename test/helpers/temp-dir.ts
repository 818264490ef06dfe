import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach} from 'vitest'

/** A fresh temporary directory per test, removed afterwards. */
export function useTempDir(): () => string {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, {force: true, recursive: true})
    dir = undefined
  })
  return () => {
    dir ??= mkdtempSync(path.join(tmpdir(), 'evt-test-'))
    return dir
  }
}
