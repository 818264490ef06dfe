import {inject} from 'vitest'

import {openBackend} from '../../src/lib/backend.js'
import {eventLogContract} from './event-log.contract.js'
import {schemaRegistryContract} from './schema-registry.contract.js'
import {tailContract} from './tail.contract.js'
import {viewContract} from './view.contract.js'

const {brokers, registry} = inject('kafka')
const kafkaCluster = () => ({brokers: [brokers], kind: 'kafka', name: 'contract', registry: {url: registry}}) as const
const openKafka = () => openBackend(kafkaCluster())

eventLogContract('kafka', openKafka)
schemaRegistryContract('kafka', openKafka)
tailContract('kafka', openKafka)
viewContract('kafka', kafkaCluster)
