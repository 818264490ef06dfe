import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {inject} from 'vitest'

import type {ClusterConfig} from '../../src/lib/config/types.js'
import {viewContract} from '../contract/view.contract.js'
import {postgresTarget} from '../contract/view-targets.js'

const embeddedCluster = (): ClusterConfig => ({kind: 'embedded', name: 'contract', path: path.join(mkdtempSync(path.join(tmpdir(), 'evt-contract-')), 'evt.db')})

// The same contract as SQLite's (test/contract/embedded.test.ts), with every view in a PostgreSQL table.
viewContract('embedded', embeddedCluster, postgresTarget(inject('postgres')))
