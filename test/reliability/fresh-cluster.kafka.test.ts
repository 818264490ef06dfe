import {randomUUID} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {restartBroker} from './kafka-faults.js'

/*
 * Fresh and busy clusters: a broker that has just started (its first topics have leaders in the
 * metadata before the broker hosts them), and other clients creating and deleting topics while
 * evt lists them. Neither is an error a user should ever see.
 */
const cluster = inject('kafka')
const kafkaFlags = ['--brokers', cluster.brokers, '--registry', cluster.registry]

describe('a fresh broker', () => {
  it('takes the demo right after it started, 10 times out of 10', async () => {
    const failures: string[] = []
    for (let run = 0; run < 10; run++) {
      await restartBroker(cluster)
      const cwd = mkdtempSync(path.join(tmpdir(), 'evt-fresh-demo-'))
      const demo = await runCli(['demo', '--orders', '30', ...kafkaFlags], {cwd})
      if (demo.code !== 0) failures.push(`run ${run}: exit ${demo.code}: ${demo.stderr}`)
      else expect(demo.stderr).not.toMatch(/Error/)
    }

    expect(failures).toEqual([])
  }, 600_000)
})

describe('a busy cluster', () => {
  /** Another team's client: creates and deletes topics until stopped. */
  async function churnTopics(isRunning: () => boolean): Promise<number> {
    const {Kafka, logLevel} = ((await import('kafkajs')) as unknown as {default: typeof import('kafkajs')}).default
    const kafka = new Kafka({brokers: [cluster.brokers], logLevel: logLevel.NOTHING})
    let churned = 0
    while (isRunning()) {
      // kafkajs's admin fails for good once a topic it looked at is deleted: a new one per round.
      const admin = kafka.admin()
      try {
        await admin.connect()
        const names = Array.from({length: 4}, () => `churn-${randomUUID().slice(0, 8)}`)
        await admin.createTopics({topics: names.map((topic) => ({numPartitions: 3, topic})), waitForLeaders: false})
        await admin.deleteTopics({timeout: 5000, topics: names})
        churned += names.length
      } catch {
        // The churn is the background, not the test: a failed round is simply tried again.
      } finally {
        await admin.disconnect().catch(() => {})
      }
    }

    return churned
  }

  it('lists topics while another client creates and deletes topics', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-busy-'))
    let churning = true
    const churn = churnTopics(() => churning)
    const failures: string[] = []
    try {
      for (let run = 0; run < 15; run++) {
        const list = await runCli(['topic', 'list', '--json', ...kafkaFlags], {cwd})
        if (list.code !== 0) failures.push(`exit ${list.code}: ${list.stderr}${list.stdout}`)
        else expect(Array.isArray(JSON.parse(list.stdout))).toBe(true)
      }
    } finally {
      churning = false
    }

    expect(await churn).toBeGreaterThan(0)
    expect(failures).toEqual([])
  }, 180_000)
})
