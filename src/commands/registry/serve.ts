import * as Flags from '@oclif/core/flags'

import {EvtCommand} from '../../cli/base-command.js'
import {prose} from '../../cli/prose.js'
import type {JsonLine} from '../../cli/results.js'
import {UsageError} from '../../lib/errors.js'
import type {RequestLogEntry} from '../../lib/registry/server/registry-server.js'

export default class RegistryServe extends EvtCommand<typeof RegistryServe> {
  static description = prose`Serves the schema registry of the embedded cluster over HTTP with the
Confluent Schema Registry REST API, so Kafka clients and serializers
(schema.registry.url), tools, and evt itself (--registry) can register and
fetch schemas in it. Prints the URL it listens on to stdout and runs until
Ctrl-C. It listens on 127.0.0.1 unless --host says otherwise; any other address
needs --auth (HTTP Basic, as clients' basic.auth.user.info sends it). It answers
only requests addressed to it (Host) and none from web pages (Origin), and a
write needs a JSON Content-Type.`

  static examples = [
    '<%= config.bin %> registry serve',
    '<%= config.bin %> registry serve --port 0 --verbose',
    '<%= config.bin %> registry serve --host 0.0.0.0 --port 8085 --auth "evt:$REGISTRY_PASSWORD" --cluster local',
  ]

  static flags = {
    auth: Flags.string({
      description: 'require HTTP Basic credentials USER:PASSWORD (needed for any --host but loopback); put the password in a variable, not in your history',
      env: 'EVT_REGISTRY_AUTH',
      helpValue: 'USER:PASSWORD',
    }),
    host: Flags.string({default: '127.0.0.1', description: 'the address to listen on (0.0.0.0: every interface)'}),
    port: Flags.integer({default: 8081, description: 'the port to listen on; 0 picks a free one', max: 65_535, min: 0}),
    verbose: Flags.boolean({char: 'v', default: false, description: 'log each request to stderr'}),
  }

  static summary = 'Serve the embedded schema registry over the Confluent REST API.'
  static writesLog = true

  async run(): Promise<void> {
    const config = this.loadConfig()
    if (config.cluster.kind !== 'embedded') {
      throw new UsageError(`cluster '${config.cluster.name}' is a Kafka cluster: evt registry serve serves the registry of an embedded cluster`, {
        hint: 'choose an embedded cluster with --cluster, or drop --brokers / EVT_BROKERS',
      })
    }

    const {registry} = await this.openBackend(config)
    const {startRegistryServer} = await import('../../lib/registry/server/registry-server.js')
    const server = await startRegistryServer({
      auth: this.flags.auth === undefined ? undefined : parseAuth(this.flags.auth),
      host: this.flags.host,
      onRequest: this.flags.verbose ? (entry) => this.note(formatRequest(entry)) : undefined,
      port: this.flags.port,
      registry,
    })
    // Printed at once (not when it stops): scripts wait for this line to know where to connect.
    if (this.jsonEnabled()) this.logJson({url: server.url} satisfies JsonLine['registry:serve'])
    else this.log(server.url)
    this.note(`serving the schema registry of '${config.cluster.name}' (${config.cluster.path}); Ctrl-C stops`)
    if (server.urls.length > 1 || server.urls[0] !== server.url) {
      this.warn(`listening on every interface (${server.host}): other machines can reach it with the --auth credentials at ${server.urls.join(', ')}`)
    }

    await new Promise((resolve) => (this.signal.aborted ? resolve(undefined) : this.signal.addEventListener('abort', resolve, {once: true})))
    await server.close()
    this.exitIfInterrupted()
  }
}

/** USER:PASSWORD, split at the first colon (a password may hold colons); the value itself is never quoted back. */
function parseAuth(auth: string): {password: string; username: string} {
  const colon = auth.indexOf(':')
  if (colon <= 0 || colon === auth.length - 1) {
    throw new UsageError('--auth (or EVT_REGISTRY_AUTH) must be USER:PASSWORD, both non-empty', {hint: 'e.g. --auth "evt:$REGISTRY_PASSWORD"'})
  }

  return {password: auth.slice(colon + 1), username: auth.slice(0, colon)}
}

function formatRequest({durationMs, errorCode, method, path, status}: RequestLogEntry): string {
  return `${method} ${path} ${status}${errorCode === undefined || errorCode === status ? '' : ` (${errorCode})`} ${durationMs}ms`
}
