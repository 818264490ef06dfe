import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {openBackend} from '../../src/lib/backend.js'
import {HttpSchemaRegistry} from '../../src/lib/registry/http/http-registry.js'
import {startRegistryServer} from '../../src/lib/registry/server/registry-server.js'
import {schemaRegistryContract} from './schema-registry.contract.js'

/** evt's HTTP client against evt's own server: the embedded registry seen through the Confluent REST API. */
schemaRegistryContract('HttpSchemaRegistry → evt registry server (embedded)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'evt-registry-server-'))
  const embedded = await openBackend({kind: 'embedded', name: 'served', path: path.join(dir, 'evt.db')}, {create: true})
  const server = await startRegistryServer({port: 0, registry: embedded.registry})
  return {
    async close() {
      await server.close()
      await embedded.close()
      rmSync(dir, {force: true, recursive: true})
    },
    log: embedded.log,
    registry: new HttpSchemaRegistry({url: server.url}),
  }
})
