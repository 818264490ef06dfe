import {afterAll, beforeAll} from 'vitest'

import {type Backend, openBackend} from '../../src/lib/backend.js'
import type {ClusterConfig} from '../../src/lib/config/types.js'

/**
 * The cluster a CLI contract suite runs against, opened once for the suite: its backend (to write
 * and read the log directly) and the `clusters:` entry of an evt.yaml that names it.
 */
export function useClusterUnderTest(cluster: () => ClusterConfig): {backend: Backend; yaml: string} {
  const under = {} as {backend: Backend; yaml: string}
  beforeAll(async () => {
    const config = cluster()
    under.backend = await openBackend(config, {create: true})
    under.yaml = JSON.stringify(config.kind === 'embedded' ? {embedded: config.path} : {brokers: config.brokers, registry: config.registry?.url})
  })
  afterAll(async () => {
    await under.backend?.close()
  })
  return under
}
