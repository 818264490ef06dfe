import Database from 'better-sqlite3'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {openEmbeddedDatabase} from '../../src/lib/embedded/database.js'
import {EVT_APPLICATION_ID} from '../../src/lib/util/sqlite-file.js'
import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * evt never writes to a SQLite file another application made, found where its log should be: it
 * checks `PRAGMA application_id` (and, for logs from before evt stamped it, evt's tables) before
 * writing anything. Logs of earlier evt versions still open; new logs carry the id.
 */
const evt = (home: string, ...args: string[]) => runCli(args, {cwd: path.dirname(home), env: {EVT_HOME: home}})
const applicationIdOf = (file: string) => readFileSync(file).readInt32BE(68)

function foreignDatabase(file: string, setup: string): void {
  mkdirSync(path.dirname(file), {recursive: true})
  const db = new Database(file)
  db.exec(setup)
  db.close()
}

describe('foreign files where the embedded log should be', () => {
  const tempDir = useTempDir()
  beforeAll(() => requireFreshBuild())

  const foreign = [
    {name: 'an application\'s database', setup: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')", why: /it has tables evt did not create \(notes\)/},
    {name: 'a database with another application_id', setup: 'PRAGMA application_id = 1234; CREATE TABLE topics (name TEXT)', why: /its application_id is 1234/},
  ]
  for (const {name, setup, why} of foreign) {
    it(`${name} is exit 2 NOT_EVT_FILE naming it, byte for byte untouched`, async () => {
      const home = path.join(tempDir(), 'home')
      const file = path.join(home, 'evt.db')
      foreignDatabase(file, setup)
      const before = readFileSync(file)
      for (const args of [['topic', 'list'], ['topic', 'create', 'orders'], ['schema', 'list']]) {
        const result = await evt(home, ...args, '--json')
        expect(result.code, `${args.join(' ')}: ${result.stdout}`).toBe(2)
        const {error} = JSON.parse(result.stdout)
        expect(error.code).toBe('NOT_EVT_FILE')
        expect(error.message).toContain(`${file} is a SQLite database that evt did not create`)
        expect(error.message).toMatch(why)
      }

      expect(readFileSync(file).equals(before)).toBe(true)
      expect(readdirSync(home)).toEqual(['evt.db'])
    })
  }

  it('a file that is not SQLite at all is exit 2 NOT_EVT_FILE, untouched', async () => {
    const home = path.join(tempDir(), 'home')
    mkdirSync(home)
    writeFileSync(path.join(home, 'evt.db'), 'not a database\n')
    const result = await evt(home, 'topic', 'create', 'orders')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^Error: .*evt\.db is not a SQLite database$/m)
    expect(readFileSync(path.join(home, 'evt.db'), 'utf8')).toBe('not a database\n')
  })

  it('a new log carries evt\'s application_id; a log of an earlier evt (no id, evt\'s tables) opens and is stamped', async () => {
    const home = path.join(tempDir(), 'home')
    const file = path.join(home, 'evt.db')
    expect((await evt(home, 'topic', 'create', 'orders')).code).toBe(0)
    expect(applicationIdOf(file)).toBe(EVT_APPLICATION_ID)

    // As an evt from before the stamp left it.
    const db = new Database(file)
    db.pragma('application_id = 0')
    db.close()
    expect(applicationIdOf(file)).toBe(0)
    const listed = await evt(home, 'topic', 'list', '--json')
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('orders')
    expect(applicationIdOf(file)).toBe(EVT_APPLICATION_ID)
  })

  it('an empty file, as a killed first open may leave, is claimed', async () => {
    const home = path.join(tempDir(), 'home')
    mkdirSync(home)
    writeFileSync(path.join(home, 'evt.db'), '')
    const db = await openEmbeddedDatabase(path.join(home, 'evt.db'))
    db.close()
    expect(applicationIdOf(path.join(home, 'evt.db'))).toBe(EVT_APPLICATION_ID)
  })
})

describe('foreign files where a view should be', () => {
  const tempDir = useTempDir()
  beforeAll(() => requireFreshBuild())

  it("a view file carries evt's application_id; a --db of another application's (even with a _evt_view table) is exit 2, untouched", async () => {
    const cwd = tempDir()
    expect((await runCli(['demo', '--orders', '20'], {cwd})).code).toBe(0)
    expect((await runCli(['rebuild', 'view', 'orders', '--db', 'orders.db'], {cwd})).code).toBe(0)
    expect(applicationIdOf(path.join(cwd, 'orders.db'))).toBe(EVT_APPLICATION_ID)

    const file = path.join(cwd, 'theirs.db')
    foreignDatabase(file, "PRAGMA application_id = 1234; CREATE TABLE _evt_view (name TEXT); INSERT INTO _evt_view VALUES ('not evt')")
    const before = readFileSync(file)
    const result = await runCli(['rebuild', 'view', 'orders', '--db', file, '--json'], {cwd})
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout).error).toMatchObject({code: 'NOT_EVT_FILE', message: expect.stringContaining('application_id 1234')})
    expect(readFileSync(file).equals(before)).toBe(true)
  })
})
