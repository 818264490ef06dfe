import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'

const missing = (shown: string) => `no embedded log at ${shown} — run \`evt demo\` or set EVT_HOME`

/** Every file and directory under `dir`, relative to it, sorted. */
const tree = (dir: string): string[] => readdirSync(dir, {encoding: 'utf8', recursive: true}).sort()

/** Commands that only read the log: none of them may create it, its directory, or SQLite's -wal/-shm. */
const READ_ONLY: string[][] = [
  ['topic', 'list'],
  ['topic', 'tail', 'orders', '--from', 'beginning', '--limit', '5'],
  ['topic', 'tail', 'orders', '--follow'],
  ['topic', 'export', 'orders'],
  ['schema', 'list'],
  ['schema', 'show', 'orders-value'],
  ['schema', 'compat', 'orders-value'],
  ['schema', 'diff', 'orders-value'],
]

describe('evt without an embedded log (through pipes)', () => {
  const tempDir = useTempDir()

  it('read-only commands in an empty directory exit 2 with one line naming the missing log, and create nothing', async () => {
    const cwd = tempDir()
    const results = await Promise.all(READ_ONLY.map((args) => runCli(args, {cwd})))
    for (const [index, result] of results.entries()) {
      expect({args: READ_ONLY[index], code: result.code, stderr: result.stderr, stdout: result.stdout}).toEqual({
        args: READ_ONLY[index],
        code: 2,
        stderr: `Error: ${missing('./.evt/evt.db')}\n`,
        stdout: '',
      })
    }

    expect(tree(cwd)).toEqual([])
  })

  it('with --json, the error on stdout carries the code EMBEDDED_LOG_NOT_FOUND', async () => {
    const cwd = tempDir()
    const result = await runCli(['topic', 'list', '--json'], {cwd})
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout).error).toMatchObject({code: 'EMBEDDED_LOG_NOT_FOUND', exit: 2, message: missing('./.evt/evt.db')})
    expect(tree(cwd)).toEqual([])
  })

  it('trace, rebuild view, view diff and schema check with an evt.yaml but no log leave the project as it was', async () => {
    const cwd = tempDir()
    writeFileSync(
      path.join(cwd, 'evt.yaml'),
      ['flows:', '  order:', '    topics: {orders: {id: key}}', 'views:', '  orders:', '    from: [orders]', '    table: orders', '    columns: {status: $.status}', ''].join('\n'),
    )
    writeFileSync(path.join(cwd, 'order.avsc'), JSON.stringify({fields: [{name: 'id', type: 'string'}], name: 'Order', type: 'record'}))
    const before = tree(cwd)
    const commands = [
      ['trace', 'order', '1042'],
      ['trace', 'order', '--stalled'],
      ['rebuild', 'view', 'orders'],
      ['rebuild', 'view', '--all'],
      ['view', 'diff', 'orders', '--db', 'copy.db'],
      ['schema', 'check', 'orders-value', 'order.avsc'],
    ]
    const results = await Promise.all(commands.map((args) => runCli(args, {cwd})))
    for (const [index, result] of results.entries()) {
      expect({args: commands[index], code: result.code, stderr: result.stderr}).toEqual({args: commands[index], code: 2, stderr: `Error: ${missing('./.evt/evt.db')}\n`})
    }

    expect(tree(cwd)).toEqual(before)
  })

  it('names the EVT_HOME it looked in: relative under the working directory, absolute outside it', async () => {
    const cwd = tempDir()
    const outside = mkdtempSync(path.join(tmpdir(), 'evt-home-'))
    try {
      const under = await runCli(['topic', 'list'], {cwd, env: {EVT_HOME: 'state'}})
      expect({code: under.code, stderr: under.stderr}).toEqual({code: 2, stderr: `Error: ${missing('./state/evt.db')}\n`})
      const home = path.join(outside, 'home')
      const absolute = await runCli(['schema', 'list'], {cwd, env: {EVT_HOME: home}})
      expect({code: absolute.code, stderr: absolute.stderr}).toEqual({code: 2, stderr: `Error: ${missing(path.join(home, 'evt.db'))}\n`})
      expect(tree(cwd)).toEqual([])
      expect(tree(outside)).toEqual([])
    } finally {
      rmSync(outside, {force: true, recursive: true})
    }
  })

  it('evt demo creates the log; then topic list succeeds and reading leaves only the log behind', async () => {
    const cwd = tempDir()
    const demo = await runCli(['demo', '--orders', '20'], {cwd})
    expect(demo.code).toBe(0)
    const list = await runCli(['topic', 'list', '--json'], {cwd})
    expect(list).toMatchObject({code: 0, stderr: ''})
    expect(JSON.parse(list.stdout).map((t: {name: string}) => t.name)).toEqual(['orders', 'payments', 'shipments', 'stock'])
    // No -wal or -shm left behind by the reader: the last connection to close removes them. (The
    // demo's lock file stays: removing it would let two later demos lock two different files; so
    // does the parse of evt.yaml kept for the next run.)
    expect(tree(path.join(cwd, '.evt'))).toEqual(['evt.db', 'evt.db.demo-lock', 'evt.yaml.parsed'])
  })

  it('writing commands create the log as before: topic create in an empty directory', async () => {
    const cwd = tempDir()
    const created = await runCli(['topic', 'create', 'audit', '--partitions', '2'], {cwd})
    expect(created.code).toBe(0)
    expect(tree(cwd)).toEqual(['.evt', path.join('.evt', 'evt.db')])
    const list = await runCli(['topic', 'list', '--json'], {cwd})
    expect(JSON.parse(list.stdout)).toMatchObject([{name: 'audit', partitions: 2}])
  })
})
