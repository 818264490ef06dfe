import {Flags} from '@oclif/core'

import {EvtCommand} from '../cli/base-command.js'
import {prose} from '../cli/prose.js'
import type {JsonResult} from '../cli/results.js'
import {compressionFlag, positiveIntFlag} from '../cli/flags.js'
import {writeDemoConfig} from '../lib/demo/demo-config.js'
import {demoLockFile} from '../lib/demo/demo-lock.js'
import {runLiveDemo} from '../lib/demo/live-demo.js'
import {type DemoReport, seedDemo} from '../lib/demo/seed-demo.js'
import {UsageError} from '../lib/errors.js'
import {parseTime} from '../lib/read/start-position.js'
import {formatDemoSummary, liveDemoIntro, nextStepsAfterDemo} from '../ui/demo-summary.js'

/** A decimal number from the command line (`0.05`, `.2`, `3`) up to `max`; zero only when `zero` allows it. */
const decimalFlag = (name: string, expected: string, options: {helpValue: string; max: number; zero: boolean}) =>
  Flags.custom<number>({
    helpValue: options.helpValue,
    async parse(input) {
      const value = Number(input)
      if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(input) || value > options.max || (value === 0 && !options.zero)) throw new UsageError(`cannot read --${name} '${input}': expected ${expected}`)
      return value
    },
  })

/** A share from 0 to 1, e.g. 0.05. */
const tombstoneRateFlag = decimalFlag('tombstone-rate', 'a number from 0 to 1, e.g. 0.05', {helpValue: 'RATE', max: 1, zero: true})
/** Orders per second for --live. */
const liveRateFlag = decimalFlag('rate', 'orders per second, more than 0 and at most 1000, e.g. 2 or 0.2', {helpValue: 'N', max: 1000, zero: false})

export default class Demo extends EvtCommand<typeof Demo> {
  static description = prose`Registers one Avro schema per retail event type (TopicRecordNameStrategy) and writes a
deterministic flow of orders, payments, stock and shipments into the current cluster: most orders
complete, about 5% stall (the payment never arrives), about 7% are rejected, about 1% carry a
duplicated event and a few are deleted later with a tombstone (--tombstone-rate sets how many).
The same --seed gives a byte-identical log. Writes evt.yaml (cluster, the 'order' flow, the 'orders'
view) when none exists.
A demo that was interrupted or killed is completed by running it again with the same flags;
topics that hold anything else are left as they are. Two demos on one cluster never write at once:
the second exits 2 (DEMO_RUNNING).`


  static examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --orders 250000 --seed 7',
    '<%= config.bin %> demo --orders 150000 --tombstone-rate 0.05',
    '<%= config.bin %> demo --brokers 127.0.0.1:9092 --registry http://127.0.0.1:8080/apis/ccompat/v7',
    '<%= config.bin %> demo --live --rate 2',
  ]

  static flags = {
    compression: compressionFlag(),
    live: Flags.boolean({
      default: false,
      description: 'keep placing orders now, until Ctrl-C: each flow plays in about a minute, some stall, and simulated services (billing, audit lagging 45 s, fulfilment) commit consumer offsets',
    }),
    orders: positiveIntFlag({default: 500, description: 'how many orders to generate'}),
    rate: liveRateFlag({default: 1, description: 'with --live: orders placed per second (e.g. 0.2 for one every 5 s)'}),
    seed: Flags.integer({default: 42, description: 'seed of the generator: same seed, same log'}),
    start: Flags.string({
      default: '2026-01-05T09:00:00Z',
      description: 'when the first order is placed (ISO-8601 or now); the default keeps the log reproducible',
    }),
    'tombstone-rate': tombstoneRateFlag({
      description: 'about this share of the orders records are tombstones: any order may be deleted, days after its last event (default: about 0.5% of the completed orders are deleted)',
    }),
  }

  static summary = 'Seed the current cluster with a deterministic retail demo.'
  static writesLog = true

  async run(): Promise<JsonResult['demo'] | undefined> {
    const config = this.loadConfig()
    if (this.flags.live) {
      await this.runLive(config)
      return
    }

    const start = parseTime(this.flags.start)
    if (start === undefined) throw new UsageError(`cannot read --start '${this.flags.start}': expected ISO-8601 or now`)
    const {log, registry} = await this.openBackend(config)
    const began = performance.now()
    const result = await seedDemo({compression: this.flags.compression, lockFile: demoLockFile(config.cluster), log, orders: this.flags.orders, registry, seed: this.flags.seed, signal: this.signal, start, tombstoneRate: this.flags['tombstone-rate']})
    if (this.signal.aborted) this.note(`demo interrupted after ${result.events} events: the topics hold a partial demo: run evt demo again with the same flags to complete it`)
    this.exitIfInterrupted()
    const seconds = (performance.now() - began) / 1000
    const written = writeDemoConfig(config.cluster, process.cwd(), config.file)

    const output: DemoReport = {...result, cluster: config.cluster.name, config: written, seconds}
    if (!this.jsonEnabled()) {
      if (result.completed) this.note(`completed an interrupted demo: ${result.completed.present} records were already there`)
      this.log(formatDemoSummary(output))
      this.note(nextStepsAfterDemo())
    }

    return output
  }

  /** `--live`: orders happening now until Ctrl-C; each placed order is one line (a JSON line with --json). */
  private async runLive(config: ReturnType<Demo['loadConfig']>): Promise<void> {
    const {rate} = this.flags
    const {log, registry} = await this.openBackend(config)
    const written = writeDemoConfig(config.cluster, process.cwd(), config.file)
    const json = this.jsonEnabled()
    if (!json) this.note(liveDemoIntro(config.cluster.name, rate, written))
    const result = await runLiveDemo({
      lockFile: demoLockFile(config.cluster),
      log,
      onOrder: (orderId) => (json ? this.logJson({order: orderId, placedAt: new Date().toISOString()}) : this.log(`placed order ${orderId}`)),
      rate,
      registry,
      seed: this.flags.seed,
      signal: this.signal,
    })
    if (!json) this.note(`live demo stopped: ${result.orders} orders, ${result.events} events written`)
    this.exitIfInterrupted()
  }
}
