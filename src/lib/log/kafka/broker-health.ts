import {UnreachableError} from '../../errors.js'
import {errorChain, failedBroker} from './retry.js'

/**
 * Which brokers failed lately and which answered, so that an error names the brokers that are
 * actually down rather than the whole bootstrap list.
 */
export class BrokerHealth {
  private readonly down = new Map<string, string>()

  constructor(private readonly bootstrap: string[]) {}

  answered(broker: {host: string; port: number}): void {
    if (this.down.size > 0) this.down.delete(`${broker.host}:${broker.port}`)
  }

  failed(error: unknown): void {
    const broker = failedBroker(error)
    if (broker) this.down.set(broker, reason(error))
  }

  /** The brokers that failed and have not answered since; the bootstrap list when none is known. */
  downAddresses(): string[] {
    return this.down.size === 0 ? this.bootstrap : [...this.down.keys()]
  }

  /** The partition that had no leader answering for the whole timeout; `error` is its last failure (already told). */
  leaderUnreachable(topic: string, partition: number, timeoutMs: number, error: unknown): UnreachableError {
    const seconds = Math.round(timeoutMs / 100) / 10
    const down = this.down.size === 0 ? this.bootstrap.join(',') : [...this.down].map(([broker, why]) => `${broker} (${why})`).join(', ')
    return new UnreachableError('BROKER_UNREACHABLE', `no leader of ${topic}[${partition}] could be reached for ${seconds} s; not answering: ${down}`, {
      address: this.downAddresses().join(','),
      cause: error,
      hint: `the partition's replicas are down or unreachable; --timeout waits longer (last error: ${reason(error)})`,
    })
  }
}

function reason(error: unknown): string {
  const chain = errorChain(error)
  return chain.at(-1)?.message ?? String(error)
}
