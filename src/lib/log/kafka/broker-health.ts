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

  /** The brokers that failed and have not answered since, with why; the bootstrap list when none is known. */
  describeDown(): string {
    if (this.down.size === 0) return this.bootstrap.join(',')
    return [...this.down].map(([broker, why]) => `${broker} (${why})`).join(', ')
  }

  leaderUnreachable(topic: string, partition: number, timeoutMs: number, error: unknown): UnreachableError {
    this.failed(error)
    const seconds = Math.round(timeoutMs / 100) / 10
    return new UnreachableError(`no leader of ${topic}[${partition}] could be reached for ${seconds} s; not answering: ${this.describeDown()}`, {
      address: [...this.down.keys()].join(',') || this.bootstrap.join(','),
      cause: error,
      hint: `the partition's replicas are down or unreachable; --timeout waits longer (last error: ${reason(error)})`,
    })
  }
}

function reason(error: unknown): string {
  const chain = errorChain(error)
  return chain.at(-1)?.message ?? String(error)
}
