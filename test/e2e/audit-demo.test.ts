import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

describe('evt audit on the demo (through pipes)', () => {
  it("passes every rule on the demo's log, which its owners wrote by the book", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-audit-demo-'))
    expect((await runCli(['demo', '--orders', '300', '--tombstone-rate', '0.05'], {cwd})).code).toBe(0)
    const result = await runCli(['audit', '--json'], {cwd})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const audit = JSON.parse(result.stdout)
    expect(audit.topics).toEqual(['orders', 'payments', 'shipments', 'stock'])
    expect(audit.rules.map((rule: {ok: boolean; rule: string}) => `${rule.rule}:${rule.ok}`)).toEqual(['single-writer:true', 'schema:true', 'key-partition:true', 'order:true', 'duplicates:true', 'tombstones:true'])
    expect(audit.records).toBeGreaterThan(1500)
  })
})
