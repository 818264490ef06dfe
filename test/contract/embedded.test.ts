import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {openBackend} from '../../src/lib/backend.js'
import type {ClusterConfig} from '../../src/lib/config/types.js'
import {auditContract} from './audit.contract.js'
import {eventLogContract} from './event-log.contract.js'
import {schemaRegistryContract} from './schema-registry.contract.js'
import {tailContract} from './tail.contract.js'
import {viewContract} from './view.contract.js'

const embeddedCluster = (): ClusterConfig => ({kind: 'embedded', name: 'contract', path: path.join(mkdtempSync(path.join(tmpdir(), 'evt-contract-')), 'evt.db')})
const openEmbedded = () => openBackend(embeddedCluster(), {create: true})

eventLogContract('embedded', openEmbedded)
schemaRegistryContract('embedded', openEmbedded)
tailContract('embedded', openEmbedded)
viewContract('embedded', embeddedCluster)
auditContract('embedded', embeddedCluster)
