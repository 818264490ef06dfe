import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {ExportLine} from '../../src/lib/topics/export-import.js'
import {runCli} from '../helpers/run-cli.js'

const parseLines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line))

describe('topic produce, export and import (through pipes)', () => {
  it('produces JSON lines encoded with a schema file, reports positions, and refuses a bad line with its number', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-produce-'))
    expect((await runCli(['topic', 'create', 'refunds', '--partitions', '3'], {cwd})).code).toBe(0)
    const schema = path.join(cwd, 'refund.avsc')
    writeFileSync(schema, JSON.stringify({fields: [{name: 'orderId', type: 'string'}, {name: 'amount', type: {logicalType: 'decimal', precision: 9, scale: 2, type: 'bytes'}}], name: 'Refund', type: 'record'}))
    const input = ['{"key":"1042","value":{"orderId":"1042","amount":"12.50"},"headers":{"ce_type":"Refund"}}', '{"key":"1043","value":{"orderId":"1043","amount":"3.10"},"partition":2}', '{"key":"1044","value":null}'].join('\n')
    const produced = await runCli(['topic', 'produce', 'refunds', '--schema', schema, '--json'], {cwd, input})
    expect(produced.stderr).toBe('')
    const positions = parseLines(produced.stdout)
    expect(positions).toHaveLength(3)
    expect(positions[1]).toMatchObject({partition: 2, topic: 'refunds'})

    const tail = parseLines((await runCli(['topic', 'tail', 'refunds', '--json'], {cwd})).stdout)
    const first = tail.find((r) => r.key === '1042')
    expect(first).toMatchObject({headers: {ce_type: 'Refund'}, schema: {subject: 'refunds-value', version: 1}, value: {amount: '12.50', orderId: '1042'}})
    expect(tail.find((r) => r.key === '1044').value).toBeNull()

    const bad = await runCli(['topic', 'produce', 'refunds'], {cwd, input: '{"key":"1","value":{"orderId":"1","amount":"1.00"}}\n{"key":"2","value":{"orderId":7}}\n'})
    expect(bad.code).toBe(2)
    // The first field that does not fit, with the type the schema expects there.
    expect(bad.stderr).toMatch(/^Error: line 2: the value does not fit schema \d+ of 'refunds-value': field 'orderId' is 7 \(a number\), expected string \(and 1 more\)$/m)

    const deep = await runCli(['topic', 'produce', 'refunds'], {cwd, input: `{"key":"3","value":${'['.repeat(5000)}${']'.repeat(5000)}}\n`})
    expect(deep.code).toBe(2)
    expect(deep.stderr).toBe('Error: line 1: the JSON nests deeper than 1000 levels\n')
  })

  it('checks a value against its JSON Schema before writing anything: names the field, the value and what the schema expects', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-produce-json-'))
    expect((await runCli(['topic', 'create', 'refunds'], {cwd})).code).toBe(0)
    const schema = path.join(cwd, 'refund.json')
    const line = {properties: {sku: {type: 'string'}}, required: ['sku'], type: 'object'}
    writeFileSync(schema, JSON.stringify({$schema: 'http://json-schema.org/draft-07/schema#', properties: {amount: {minimum: 0, type: 'number'}, lines: {items: line, type: 'array'}, refundId: {type: 'string'}}, required: ['refundId', 'amount'], title: 'Refund', type: 'object'}))
    const good = '{"key":"r1","value":{"refundId":"r1","amount":12.5,"lines":[{"sku":"A"}]}}'
    const cases: Array<[string, RegExp]> = [
      ['{"refundId":"r2","amount":"lots"}', /field 'amount' is "lots" \(a string\), expected number$/],
      ['{"refundId":"r2","amount":1,"lines":[{"sku":5}]}', /field 'lines\.0\.sku' is 5 \(a number\), expected string$/],
      ['{"refundId":"r2","amount":-1}', /field 'amount' is -1 \(a number\), which must be >= 0$/],
      ['{"amount":1,"lines":[{}]}', /field 'refundId' is missing \(and 1 more\)$/],
    ]
    for (const [value, problem] of cases) {
      const bad = await runCli(['topic', 'produce', 'refunds', '--schema', schema], {cwd, input: `${good}\n{"key":"r2","value":${value}}\n`})
      expect(bad.code, bad.stderr).toBe(2)
      expect(bad.stderr).toMatch(/^Error: line 2: the value does not fit schema \d+ of 'refunds-value': /)
      expect(bad.stderr.trim()).toMatch(problem)
    }

    // The whole input is checked before anything is written: the good first lines were not produced.
    const tail = await runCli(['topic', 'tail', 'refunds', '--json'], {cwd})
    expect(tail.stdout).toBe('')
    expect((await runCli(['topic', 'produce', 'refunds'], {cwd, input: `${good}\n`})).code).toBe(0)
    expect(parseLines((await runCli(['topic', 'tail', 'refunds', '--json'], {cwd})).stdout).map((record) => record.value)).toEqual([{amount: 12.5, lines: [{sku: 'A'}], refundId: 'r1'}])
  })

  it('keeps records exact: repeated and null headers, binary keys and header values, empty vs null keys and values', async () => {
    const source = mkdtempSync(path.join(tmpdir(), 'evt-exact-'))
    // Records produce cannot write (an empty value, headers interleaved by name) come in through an import.
    const handWritten = [
      {kind: 'topic', name: 'raw', partitions: 1},
      {headers: [['a', 'MQ=='], ['b', null], ['a', 'Mg=='], ['bin', '//4=']], key: '', kind: 'record', offset: 0, partition: 0, timestamp: Date.parse('2026-01-05T10:00:00Z'), topic: 'raw', value: ''},
      {headers: [], key: null, kind: 'record', offset: 1, partition: 0, timestamp: Date.parse('2026-01-05T10:00:01Z'), topic: 'raw', value: null},
      {headers: [['e', '']], key: '//4=', kind: 'record', offset: 2, partition: 0, timestamp: Date.parse('2026-01-05T10:00:02Z'), topic: 'raw', value: 'AP8='},
    ]
    writeFileSync(path.join(source, 'raw.jsonl'), handWritten.map((line) => JSON.stringify(line)).join('\n') + '\n')
    expect((await runCli(['topic', 'import', 'raw.jsonl'], {cwd: source})).code).toBe(0)

    expect((await runCli(['topic', 'create', 'notes', '--partitions', '2'], {cwd: source})).code).toBe(0)
    const input = [
      '{"key":{"base64":"//4="},"value":{"n":1},"partition":0,"timestamp":1767607200000,"headers":[["a","1"],["b",{"base64":"/w=="}],["a","2"],["n",null],["e",""]]}',
      '{"key":"//4=","value":{"n":2},"partition":0,"timestamp":1767607201000,"headers":{"a":["x","y"],"t":"//4="}}',
      '{"key":"","value":{"n":3},"partition":1,"timestamp":1767607202000}',
      '{"key":null,"value":null,"partition":1,"timestamp":1767607203000}',
    ].join('\n')
    const produced = await runCli(['topic', 'produce', 'notes'], {cwd: source, input})
    expect(produced).toMatchObject({code: 0, stderr: 'produced 4 records to notes\n'})

    const tail = await runCli(['topic', 'tail', 'notes', 'raw', '--json'], {cwd: source})
    expect(tail.code).toBe(0)
    const lines = parseLines(tail.stdout)
    const at = (topic: string, partition: number, offset: number) => lines.find((l) => l.topic === topic && l.partition === partition && l.offset === offset)
    expect(at('notes', 0, 0)).toMatchObject({headers: {a: ['1', '2'], b: {base64: '/w=='}, e: '', n: null}, key: {base64: '//4='}, value: {n: 1}})
    expect(at('notes', 0, 1)).toMatchObject({headers: {a: ['x', 'y'], t: '//4='}, key: '//4='})
    expect(at('notes', 1, 0)).toMatchObject({headers: {}, key: ''})
    expect(at('notes', 1, 1)).toMatchObject({key: null, value: null, valueEncoding: null})
    expect(at('raw', 0, 0)).toMatchObject({headers: {a: ['1', '2'], b: null, bin: {base64: '//4='}}, key: '', value: '', valueEncoding: 'utf8'})
    expect(at('raw', 0, 2)).toMatchObject({headers: {e: ''}, key: {base64: '//4='}, value: 'AP8=', valueEncoding: 'base64'})

    // A tail line fed back to produce gives the same key and header values (repeats grouped by name, as the map has them).
    expect((await runCli(['topic', 'create', 'echo', '--partitions', '1'], {cwd: source})).code).toBe(0)
    expect((await runCli(['topic', 'produce', 'echo'], {cwd: source, input: JSON.stringify(at('notes', 0, 0))})).code).toBe(0)

    const exported = await runCli(['topic', 'export', 'raw', 'notes', 'echo'], {cwd: source})
    expect(exported.code).toBe(0)
    type RecordLine = Extract<ExportLine, {kind: 'record'}>
    const records: RecordLine[] = parseLines(exported.stdout).filter((l: ExportLine) => l.kind === 'record')
    const record = (topic: string, partition: number, offset: number) => records.find((l) => l.topic === topic && l.partition === partition && l.offset === offset)
    expect(record('raw', 0, 0)).toMatchObject({headers: handWritten[1].headers, key: '', value: ''})
    expect(record('raw', 0, 1)).toMatchObject({headers: [], key: null, value: null})
    expect(record('notes', 0, 0)).toMatchObject({headers: [['a', 'MQ=='], ['b', '/w=='], ['a', 'Mg=='], ['n', null], ['e', '']], key: '//4='})
    expect(record('notes', 0, 1)).toMatchObject({headers: [['a', 'eA=='], ['a', 'eQ=='], ['t', 'Ly80PQ==']], key: 'Ly80PQ=='})
    expect(record('notes', 1, 0)).toMatchObject({headers: [], key: ''})
    expect(record('notes', 1, 1)).toMatchObject({headers: [], key: null, value: null})
    expect(record('echo', 0, 0)).toMatchObject({headers: [['a', 'MQ=='], ['a', 'Mg=='], ['b', '/w=='], ['n', null], ['e', '']], key: '//4=', value: record('notes', 0, 0)!.value})

    const file = path.join(source, 'slice.jsonl')
    writeFileSync(file, exported.stdout)
    const target = mkdtempSync(path.join(tmpdir(), 'evt-exact-import-'))
    expect((await runCli(['topic', 'import', file], {cwd: target})).code).toBe(0)
    const again = await runCli(['topic', 'export', 'raw', 'notes', 'echo'], {cwd: target})
    expect(again.code).toBe(0)
    expect(again.stdout).toBe(exported.stdout)
  })

  it('round-trips an export through import into a fresh embedded log, byte for byte', async () => {
    const source = mkdtempSync(path.join(tmpdir(), 'evt-export-'))
    expect((await runCli(['demo', '--orders', '60'], {cwd: source})).code).toBe(0)
    expect((await runCli(['topic', 'create', 'notes', '--partitions', '2'], {cwd: source})).code).toBe(0)
    await runCli(['topic', 'produce', 'notes'], {cwd: source, input: '{"key":"a","value":{"text":"plain json"},"partition":1,"timestamp":"2026-01-05T10:00:00Z"}\n'})

    const exported = await runCli(['topic', 'export', 'orders', 'notes'], {cwd: source})
    expect(exported.code).toBe(0)
    const file = path.join(source, 'slice.jsonl')
    writeFileSync(file, exported.stdout)

    const target = mkdtempSync(path.join(tmpdir(), 'evt-import-'))
    const imported = await runCli(['topic', 'import', file, '--json'], {cwd: target})
    expect(imported.stderr).toBe('')
    expect(JSON.parse(imported.stdout)).toMatchObject({topicsCreated: ['orders', 'notes']})

    const again = await runCli(['topic', 'export', 'orders', 'notes'], {cwd: target})
    const before: ExportLine[] = parseLines(exported.stdout)
    const after: ExportLine[] = parseLines(again.stdout)
    const schemaOf = (lines: ExportLine[]) => new Map(lines.flatMap((l) => (l.kind === 'schema' ? [[l.id, `${l.subject}/${l.version}/${l.schema}`] as const] : [])))
    const [schemasBefore, schemasAfter] = [schemaOf(before), schemaOf(after)]
    const records = (lines: ExportLine[], schemas: Map<number, string>) =>
      lines.flatMap((l) => {
        if (l.kind !== 'record') return []
        // The target registry assigns its own ids: compare the schema each id names, and every other byte.
        const value = l.value === null ? null : Buffer.from(l.value, 'base64')
        const schema = value && value[0] === 0 ? schemas.get(value.readUInt32BE(1)) : undefined
        return [{...l, schema, value: schema ? value!.subarray(5).toString('base64') : l.value}]
      })
    const recordsBefore = records(before, schemasBefore)
    expect(recordsBefore.length).toBeGreaterThan(150)
    expect(records(after, schemasAfter)).toEqual(recordsBefore)
    expect(recordsBefore.some((r) => r.topic === 'notes' && r.schema === undefined)).toBe(true)
  })
})
