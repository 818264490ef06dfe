import {readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {type Backend, openBackend} from '../../../src/lib/backend.js'
import {openEmbeddedDatabase} from '../../../src/lib/embedded/database.js'
import {NotFoundError} from '../../../src/lib/errors.js'
import {useTempDir} from '../../helpers/temp-dir.js'

const embedded = (file: string) => ({kind: 'embedded' as const, name: 'local', path: file})

describe('opening the embedded log', () => {
  const tempDir = useTempDir()

  it('without create, a missing log is EMBEDDED_LOG_NOT_FOUND and nothing is created', async () => {
    const dir = tempDir()
    const file = path.join(dir, '.evt', 'evt.db')
    const error = await openBackend(embedded(file)).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toMatchObject({code: 'EMBEDDED_LOG_NOT_FOUND', data: {path: file}})
    expect(readdirSync(dir)).toEqual([])
  })

  it('shows the path relative to the working directory under it, absolute outside it', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'home', 'evt.db')
    await expect(openEmbeddedDatabase(file, {cwd: dir})).rejects.toThrow('no embedded log at ./home/evt.db — run `evt demo` or set EVT_HOME')
    await expect(openEmbeddedDatabase(file, {cwd: path.join(dir, 'elsewhere')})).rejects.toThrow(`no embedded log at ${file} — run \`evt demo\` or set EVT_HOME`)
    await expect(openEmbeddedDatabase(file, {cwd: path.join(dir, 'homeward')})).rejects.toThrow(`no embedded log at ${file} —`)
    expect(readdirSync(dir)).toEqual([])
  })

  it('with create, makes the directory and the log; a reader then sees what the writer writes, while both are open', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'nested', 'evt.db')
    const opened: Backend[] = []
    try {
      const writer = await openBackend(embedded(file), {create: true})
      opened.push(writer)
      await writer.log.createTopic('orders', {partitions: 1})
      const reader = await openBackend(embedded(file))
      opened.push(reader)
      await writer.log.createTopic('payments', {partitions: 2})
      expect((await reader.log.listTopics()).map((topic) => topic.name)).toEqual(['orders', 'payments'])
    } finally {
      for (const backend of opened) await backend.close()
    }

    // The last connection to close checkpoints and removes the -wal and -shm files.
    expect(readdirSync(path.join(dir, 'nested'))).toEqual(['evt.db'])
    const again = await openBackend(embedded(file))
    try {
      expect((await again.log.listTopics()).map((topic) => topic.name)).toEqual(['orders', 'payments'])
    } finally {
      await again.close()
    }

    expect(readdirSync(path.join(dir, 'nested'))).toEqual(['evt.db'])
  })
})
