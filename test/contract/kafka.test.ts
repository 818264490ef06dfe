import {inject} from 'vitest'

import {openBackend} from '../../src/lib/backend.js'
import type {ClusterConfig} from '../../src/lib/config/types.js'
import {auditContract} from './audit.contract.js'
import {eventLogContract} from './event-log.contract.js'
import {schemaRegistryContract} from './schema-registry.contract.js'
import {tailContract} from './tail.contract.js'
import {viewContract} from './view.contract.js'

const {brokers, registry} = inject('kafka')
const kafkaCluster = (): ClusterConfig => ({brokers: [brokers], kind: 'kafka', name: 'contract', registry: {url: registry}})
const openKafka = () => openBackend(kafkaCluster())

eventLogContract('kafka', openKafka)
schemaRegistryContract('kafka', openKafka)
tailContract('kafka', openKafka)
viewContract('kafka', kafkaCluster)
auditContract('kafka', kafkaCluster)
