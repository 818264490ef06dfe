import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'
import {requireFreshBuild} from './built-cli.js'

/**
 * Eight real evt processes register eight mutually incompatible versions of one subject into one
 * embedded evt.db at the same time. The registry checks and writes in one BEGIN IMMEDIATE
 * transaction, so exactly one is accepted; every other process sees it, exits 1 and says why.
 */
const PROCESSES = 8
const ROUNDS = 3

// Each version requires a field of its own with no default: a reader on any one of them cannot read
// records written with any other (BACKWARD, the default level), so no two can both be registered.
const version = (n: number) =>
  JSON.stringify({fields: [{name: `field${n}`, type: 'string'}], name: 'Contended', namespace: 'concurrency', type: 'record'})

describe('parallel schema register of incompatible versions on one evt.db', () => {
  const tempDir = useTempDir()
  beforeAll(requireFreshBuild)

  for (let round = 1; round <= ROUNDS; round++) {
    it(`accepts exactly one of ${PROCESSES} and rejects the rest with their reasons (round ${round})`, async () => {
      const cwd = tempDir()
      for (let n = 0; n < PROCESSES; n++) writeFileSync(path.join(cwd, `v${n}.avsc`), version(n))
      const results = await Promise.all(
        Array.from({length: PROCESSES}, (_, n) => runCli(['schema', 'register', 'contended-value', `v${n}.avsc`], {cwd})),
      )

      const winners = results.filter((result) => result.code === 0)
      const losers = results.filter((result) => result.code !== 0)
      expect(winners, JSON.stringify(results.map((r) => [r.code, r.stderr]))).toHaveLength(1)
      for (const loser of losers) {
        expect(loser.code).toBe(1)
        expect(loser.stderr).not.toMatch(/SQLITE_BUSY|database is locked/i)
        expect(loser.stdout + loser.stderr).toMatch(/field 'field\d' added without a default/)
      }

      const subjects = JSON.parse((await runCli(['schema', 'list', '--json'], {cwd})).stdout)
      expect(subjects).toMatchObject([{latest: 1, subject: 'contended-value'}])
    })
  }
})
