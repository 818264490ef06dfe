import {inject} from 'vitest'

import {openBackend} from '../../src/lib/backend.js'
import {eventLogContract} from './event-log.contract.js'
import {schemaRegistryContract} from './schema-registry.contract.js'
import {tailContract} from './tail.contract.js'

const {brokers, registry} = inject('kafka')
const openKafka = () => openBackend({brokers: [brokers], kind: 'kafka', name: 'contract', registry: {url: registry}})

eventLogContract('kafka', openKafka)
schemaRegistryContract('kafka', openKafka)
tailContract('kafka', openKafka)
