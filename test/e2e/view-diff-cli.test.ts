import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/* `evt view diff` for people: the view's own file by default, and a long difference cut to size with the counts kept. */
describe('evt view diff (through pipes)', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-view-diff-'))
    expect((await runCli(['demo', '--orders', '60'], {cwd})).code).toBe(0)
  })

  it('compares the view\'s own file without --db, and says how to build one when there is none', async () => {
    const none = await runCli(['view', 'diff', 'orders'], {cwd})
    expect(none.code).toBe(2)
    expect(none.stderr).toBe(`Error: view 'orders' has no build at ${path.join(cwd, '.evt/views/orders.db')} to compare\nHint: run evt rebuild view orders, or give the copy with --db PATH\n`)

    expect((await runCli(['rebuild', 'view', 'orders'], {cwd})).code).toBe(0)
    const same = await runCli(['view', 'diff', 'orders'], {cwd})
    expect(same.code, same.stderr).toBe(0)
    expect(same.stdout).toMatch(/^\S+orders\.db matches view orders: \d+ rows, as the log says/)
  })

  it('lists at most --limit rows after the complete counts, and only the counts with --summary', async () => {
    expect((await runCli(['rebuild', 'view', 'orders', '--db', 'copy.db'], {cwd})).code).toBe(0)
    const db = new Database(path.join(cwd, 'copy.db'))
    const deleted = db.prepare("DELETE FROM orders WHERE key IN (SELECT key FROM orders ORDER BY key LIMIT 5)").run().changes
    db.close()
    expect(deleted).toBe(5)

    const all = await runCli(['view', 'diff', 'orders', '--db', 'copy.db'], {cwd})
    expect(all.code).toBe(1)
    const counts = 'differs from view orders: 5 missing, 0 extra, 0 changed'
    expect(all.stdout.split('\n')[0]).toContain(counts)
    // In a pipe every row is listed.
    expect(all.stdout.match(/^- missing /gm)).toHaveLength(5)

    const limited = await runCli(['view', 'diff', 'orders', '--db', 'copy.db', '--limit', '2'], {cwd})
    expect(limited.code).toBe(1)
    const lines = limited.stdout.trimEnd().split('\n')
    expect(lines[0]).toContain(counts)
    expect(lines.slice(1)).toEqual([...all.stdout.trimEnd().split('\n').slice(1, 3), '… and 3 more rows (--limit N lists more, --json all)'])

    const summary = await runCli(['view', 'diff', 'orders', '--db', 'copy.db', '--summary'], {cwd})
    expect(summary.code).toBe(1)
    expect(summary.stdout.trimEnd().split('\n')).toEqual([all.stdout.split('\n')[0]])

    const json = JSON.parse((await runCli(['view', 'diff', 'orders', '--db', 'copy.db', '--limit', '1', '--json'], {cwd})).stdout)
    expect(json.missing).toHaveLength(5)
  })
})
