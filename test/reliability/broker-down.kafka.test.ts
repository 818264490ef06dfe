import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, inject, it} from 'vitest'

import {buildingFiles, closedPort, expectCleanFailure, startEvt, writeProject} from './kafka-faults.js'

const {registry} = inject('kafka')

/**
 * Design §5: a broker that is not there is exit 3, said in one line naming the address, within
 * seconds — not after kafkajs's default minute of retries. Port 1 refuses connections; the other
 * port was free a moment ago. From the client's side that is a broker that is not running.
 */
describe('broker not running before a command', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
  })

  it('topic tail, trace and rebuild view exit 3 within 5 s, naming the address', async () => {
    const addresses = ['127.0.0.1:1', `127.0.0.1:${await closedPort()}`]
    const projects = addresses.map((brokers) => {
      const cwd = writeProject(mkdtempSync(path.join(tmpdir(), 'evt-broker-down-')), {brokers, registry}, [
        'flows:',
        '  order: {topics: {orders: {id: key}}, ends: [OrderConfirmed]}',
        'views:',
        '  orders: {from: [orders], table: orders, key: key, columns: {status: $.status}}',
      ])
      dirs.push(cwd)
      return {brokers, cwd}
    })
    // One command at a time (both addresses at once), so the 5 s are not spent waiting for a CPU.
    const runs = []
    for (const args of [['topic', 'tail', 'orders', '--follow'], ['trace', 'order', '1042'], ['rebuild', 'view', 'orders']]) {
      const started = projects.map(({brokers, cwd}) => ({args, brokers, cwd, run: startEvt(args, {cwd})}))
      await Promise.all(started.map(({run}) => run.done))
      runs.push(...started)
    }

    for (const {args, brokers, cwd, run} of runs) {
      const result = await run.done
      const escaped = brokers.replaceAll('.', String.raw`\.`)
      expectCleanFailure(result, 3, new RegExp(`^Error: cannot reach Kafka at ${escaped}\\b`))
      expect(result.stderr).toMatch(/^Hint: is the broker running/m)
      expect(result.ms, `evt ${args.join(' ')} took ${result.ms} ms`).toBeLessThan(5000)
      expect(result.stdout).toBe('')
      // Nothing was created on the way: no view file, no build file.
      if (args[0] === 'rebuild') {
        const file = path.join(cwd, '.evt', 'views', 'orders.db')
        expect(existsSync(file)).toBe(false)
        expect(buildingFiles(file)).toEqual([])
      }
    }
  })
})
