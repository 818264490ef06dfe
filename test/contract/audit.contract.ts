import {randomUUID} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import avro from 'avsc'
import {describe, expect, it} from 'vitest'

import {encodeWire} from '../../src/lib/codec/wire-format.js'
import type {ClusterConfig} from '../../src/lib/config/types.js'
import type {OutgoingRecord, ProducedRecord} from '../../src/lib/log/event-log.js'
import {runCli} from '../helpers/run-cli.js'
import {useClusterUnderTest} from '../helpers/cluster-under-test.js'
import {useTempDir} from '../helpers/temp-dir.js'

const T0 = Date.parse('2026-06-01T08:00:00Z')
const ORDER = avro.Type.forSchema({fields: [{name: 'orderId', type: 'string'}, {name: 'status', type: 'string'}], name: 'Order', type: 'record'})

/**
 * `evt audit`, run as a user runs it, over three fresh topics written by their owners; then each
 * planted violation — a second writer, an unknown schema id, a key on two partitions, a timestamp
 * going back, a repeated ce_id, a keyless tombstone — is found with its exact position.
 */
export function auditContract(name: string, cluster: () => ClusterConfig): void {
  describe(`evt audit: ${name}`, () => {
    const tempDir = useTempDir()
    const under = useClusterUnderTest(cluster)

    const position = (produced: ProducedRecord) => `${produced.topic}[${produced.partition}]@${produced.offset}`

    it('passes a log written by its owners, and finds each planted violation with its position', async () => {
      const suffix = randomUUID().slice(0, 8)
      const [orders, payments, stock] = [`orders${suffix}`, `payments${suffix}`, `stock${suffix}`]
      for (const topic of [orders, payments, stock]) await under.backend.log.createTopic(topic, {partitions: 3, retainForever: true})
      const {id} = await under.backend.registry.register(`${orders}-value`, {references: [], schema: JSON.stringify(ORDER.schema()), schemaType: 'AVRO'})
      const owners: Record<string, string> = {[orders]: 'orders-service', [payments]: 'payment-service', [stock]: 'stock-service'}
      let seq = 0
      const event = (topic: string, key: null | string, timestamp: number, overrides: Partial<OutgoingRecord> & {source?: string; type?: string} = {}): OutgoingRecord => ({
        headers: [
          ['ce_id', Buffer.from(`e${seq++}`)],
          ['ce_source', Buffer.from(overrides.source ?? owners[topic])],
          ['ce_type', Buffer.from(overrides.type ?? `${topic}-event`)],
        ],
        key: key === null ? null : Buffer.from(key),
        timestamp,
        topic,
        value: encodeWire(id, ORDER.toBuffer({orderId: key ?? 'none', status: 'PLACED'})),
        ...overrides,
      })
      const clean: OutgoingRecord[] = []
      for (let i = 0; i < 90; i++) clean.push(event([orders, payments, stock][i % 3], `k${i % 20}`, T0 + i * 1000))
      await under.backend.log.produce(clean)

      const dir = tempDir()
      writeFileSync(path.join(dir, 'evt.yaml'), [`clusters: {under-test: ${under.yaml}}`, 'default: under-test', 'flows:', '  order:', `    topics: {${orders}: {id: key}}`, `    owners: {${orders}: orders-service}`].join('\n'))
      const audit = (...args: string[]) => runCli(['audit', orders, payments, stock, ...args], {cwd: dir})
      const passed = await audit()
      expect(passed.stderr).toBe('')
      expect(passed.stdout).toBe('audit: all 6 rules hold over 90 records of 3 topics\n')
      expect(passed.code).toBe(0)

      const later = T0 + 200_000
      const [secondWriter] = await under.backend.log.produce([event(orders, 'k0', later, {source: 'rogue-service'})])
      const [unknownId] = await under.backend.log.produce([event(payments, 'k1', later + 1, {value: encodeWire(987_654, Buffer.from('x'))})])
      const stockK2Partition = (await under.backend.log.produce([event(stock, 'k2', later + 2)]))[0].partition
      const [splitKey] = await under.backend.log.produce([event(stock, 'k2', later + 3, {partition: (stockK2Partition + 1) % 3})])
      const [wentBack] = await under.backend.log.produce([event(payments, 'k3', T0 - 3_600_000)])
      const repeated = {...event(orders, 'k4', later + 4), headers: [...clean.find((record) => record.topic === orders)!.headers!]}
      const [duplicate] = await under.backend.log.produce([repeated])
      const [keylessTombstone] = await under.backend.log.produce([event(stock, null, later + 5, {value: null})])

      const failed = await audit('--json')
      expect(failed.code).toBe(1)
      const result = JSON.parse(failed.stdout) as {rules: {ok: boolean; rule: string; violations: {count: number; evidence: string[]; message: string; topic: string}[]}[]}
      const findings = Object.fromEntries(result.rules.map(({rule, violations}) => [rule, violations]))
      expect(findings['single-writer']).toEqual([
        {count: 1, evidence: [position(secondWriter)], message: expect.stringMatching(/^owned by orders-service in evt\.yaml, also written by rogue-service: orders-service \(\d+ records, first \S+\), rogue-service \(1 record, first \S+\)$/), rule: 'single-writer', topic: orders},
      ])
      expect(findings.schema).toEqual([{count: 1, evidence: [position(unknownId)], message: '1 value with a schema id the registry does not know (987654)', rule: 'schema', topic: payments}])
      expect(findings['key-partition']).toEqual([{count: 1, evidence: [position(splitKey)], message: '1 key on more than one partition (e.g. "k2"): their records have no order', rule: 'key-partition', topic: stock}])
      expect(findings.order).toEqual([{count: 1, evidence: [position(wentBack)], message: expect.stringMatching(/^1 record with a timestamp before an earlier record of its partition by more than 5\.0s \(at most /), rule: 'order', topic: payments}])
      expect(findings.duplicates).toEqual([{count: 1, evidence: [position(duplicate)], message: '1 record repeating the ce_id of an earlier one', rule: 'duplicates', topic: orders}])
      expect(findings.tombstones).toEqual([{count: 1, evidence: [position(keylessTombstone)], message: '1 tombstone without a key: they delete nothing', rule: 'tombstones', topic: stock}])

      // In a pipe: one line per violation, then the verdict; --rule checks only that rule.
      const text = await audit()
      expect(text.stdout.trim().split('\n')).toHaveLength(7)
      expect(text.stdout).toContain(`FAIL duplicates ${orders}: 1 record repeating the ce_id of an earlier one (first at ${position(duplicate)})`)
      expect(text.stdout).toMatch(/audit: 6 of 6 rules broken over 97 records of 3 topics: single-writer, schema, key-partition, order, duplicates, tombstones\n$/)
      const one = await audit('--rule', 'order')
      expect(one.stdout).toMatch(/^FAIL order /)
      expect(one.stdout.trim().split('\n')).toHaveLength(2)

      // audit.ignore in evt.yaml leaves a rule out, or one rule on one topic.
      writeFileSync(path.join(dir, 'evt.yaml'), `clusters: {under-test: ${under.yaml}}\ndefault: under-test\naudit: {ignore: [single-writer, schema, order, duplicates, 'key-partition:${stock}', 'tombstones:${stock}']}\n`)
      const ignored = await audit()
      expect(ignored.stdout).toBe('audit: all 2 rules hold over 97 records of 3 topics\n')
      expect(ignored.code).toBe(0)
    })

    it('reports versions of a subject used on one topic that may not follow each other under its level', async () => {
      const topic = `evolved${randomUUID().slice(0, 8)}`
      await under.backend.log.createTopic(topic, {partitions: 1, retainForever: true})
      const subject = `${topic}-value`
      const v1 = avro.Type.forSchema({fields: [{name: 'orderId', type: 'string'}], name: 'Order', type: 'record'})
      // A new required field without a default: a reader on v2 cannot read v1's records (not BACKWARD).
      const v2 = avro.Type.forSchema({fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'double'}], name: 'Order', type: 'record'})
      // The same schemas under another topic's subject first (its name begins with this topic's):
      // the registry gives them one id each, and only this topic's subject is audited here.
      for (const other of [`${topic}-archive-value`, subject]) {
        await under.backend.registry.setCompatibility('NONE', other)
        for (const version of [v1, v2]) await under.backend.registry.register(other, {references: [], schema: JSON.stringify(version.schema()), schemaType: 'AVRO'})
        await under.backend.registry.setCompatibility('BACKWARD', other)
      }

      const first = await under.backend.registry.getVersion(subject, 1)
      const second = await under.backend.registry.getVersion(subject, 2)
      const [, later] = await under.backend.log.produce([
        {key: Buffer.from('a'), timestamp: T0, topic, value: encodeWire(first.id, v1.toBuffer({orderId: 'a'}))},
        {key: Buffer.from('a'), timestamp: T0 + 1, topic, value: encodeWire(second.id, v2.toBuffer({orderId: 'a', total: 1.5}))},
      ])
      const dir = tempDir()
      writeFileSync(path.join(dir, 'evt.yaml'), `clusters: {under-test: ${under.yaml}}\ndefault: under-test\n`)
      const result = await runCli(['audit', topic, '--rule', 'schema', '--json'], {cwd: dir})
      expect(result.code).toBe(1)
      const [{violations}] = JSON.parse(result.stdout).rules
      expect(violations).toEqual([
        {count: 1, evidence: [position(later)], message: expect.stringMatching(new RegExp(`^1 value written with ${subject} v2, which may not follow v1 \\(also used here\\): .*total.*\\(BACKWARD\\)$`)), rule: 'schema', topic},
      ])
    })

    it('reports tombstones on a topic that does not compact where the backend has a cleanup policy (Kafka), not on the embedded log', async () => {
      const topic = `deleted${randomUUID().slice(0, 8)}`
      await under.backend.log.createTopic(topic, {partitions: 1, retainForever: true})
      await under.backend.log.produce([{headers: [['ce_source', Buffer.from('svc')]], key: Buffer.from('k'), timestamp: T0, topic, value: Buffer.from('{"a":1}')}])
      const [tombstone] = await under.backend.log.produce([{headers: [['ce_source', Buffer.from('svc')]], key: Buffer.from('k'), timestamp: T0 + 1, topic, value: null}])
      const dir = tempDir()
      writeFileSync(path.join(dir, 'evt.yaml'), `clusters: {under-test: ${under.yaml}}\ndefault: under-test\n`)
      const result = await runCli(['audit', topic, '--rule', 'tombstones', '--json'], {cwd: dir})
      const [{violations}] = JSON.parse(result.stdout).rules
      if (cluster().kind === 'kafka') {
        expect(result.code).toBe(1)
        expect(violations).toEqual([{count: 1, evidence: [position(tombstone)], message: '1 tombstone on a topic whose cleanup.policy does not compact: the records they delete stay', rule: 'tombstones', topic}])
      } else {
        expect(result.code).toBe(0)
        expect(violations).toEqual([])
      }
    })

    it('refuses an unknown rule or topic with exit 2, and says which exist', async () => {
      const dir = tempDir()
      writeFileSync(path.join(dir, 'evt.yaml'), `clusters: {under-test: ${under.yaml}}\ndefault: under-test\n`)
      const rule = await runCli(['audit', '--rule', 'single-writers'], {cwd: dir})
      expect(rule.code).toBe(2)
      expect(rule.stderr).toMatch(/^Error: unknown audit rule 'single-writers'\nHint: rules: single-writer, schema, key-partition, order, duplicates, tombstones\n$/)
      const topic = await runCli(['audit', `nope${randomUUID().slice(0, 6)}`], {cwd: dir})
      expect(topic.code).toBe(2)
      expect(topic.stderr).toMatch(/unknown topic 'nope\w+'/)
      const skew = await runCli(['audit', '--skew', 'soon'], {cwd: dir})
      expect(skew.code).toBe(2)
      expect(skew.stderr).toMatch(/cannot read --skew 'soon'/)
    })
  })
}
