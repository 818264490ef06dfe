import {randomUUID} from 'node:crypto'
import {mkdtempSync, renameSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {orderNarrowed, orderV1, orderWithNote, writeSchemas} from '../helpers/schema-cli.js'

const {brokers, registry} = inject('kafka')
const flags = ['--brokers', brokers, '--registry', registry]

// The same CLI scenarios as test/e2e/schema-cli.test.ts, against the real registry.
describe('evt schema against a real Confluent-API registry (Apicurio ccompat)', () => {
  it('registers idempotently, rejects an incompatible change with its reason and exit 1, accepts a compatible one', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-schema-'))
    const subject = `orders-${randomUUID().slice(0, 8)}-value`
    const schemas = writeSchemas(cwd, {[`${subject}.avsc`]: orderV1})
    const first = await runCli(['schema', 'register', '--dir', schemas, '--json', ...flags], {cwd})
    expect(first.code).toBe(0)
    const [registered] = JSON.parse(first.stdout)
    expect(registered).toMatchObject({registered: true, subject, version: 1})

    const again = await runCli(['schema', 'register', subject, path.join(schemas, `${subject}.avsc`), '--json', ...flags], {cwd})
    expect(JSON.parse(again.stdout)).toEqual([{...registered, registered: false}])

    writeSchemas(cwd, {[`${subject}.avsc`]: orderNarrowed})
    const rejected = await runCli(['schema', 'register', '--dir', schemas, ...flags], {cwd})
    expect(rejected.code).toBe(1)
    expect(rejected.stdout).toContain(`${subject} v1 → candidate: field 'total' changed long → int`)
    const check = await runCli(['schema', 'check', '--dir', schemas, '--format', 'github', ...flags], {cwd})
    expect(check.code).toBe(1)
    expect(check.stdout).toContain(`::error file=${path.join(schemas, `${subject}.avsc`)}`)

    writeSchemas(cwd, {[`${subject}.avsc`]: orderWithNote})
    const accepted = await runCli(['schema', 'register', '--dir', schemas, '--json', ...flags], {cwd})
    expect(accepted.code).toBe(0)
    expect(JSON.parse(accepted.stdout)).toEqual([expect.objectContaining({registered: true, subject, version: 2})])

    const list = await runCli(['schema', 'list', '--json', ...flags], {cwd})
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({latest: 2, schemaType: 'AVRO', subject, versions: [1, 2]}))
    const show = await runCli(['schema', 'show', subject, '--version', '1', ...flags], {cwd})
    expect(JSON.parse(show.stdout)).toEqual(orderV1)
  })

  it('gets and sets a subject\'s level without register changing it', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-schema-'))
    const subject = `levels-${randomUUID().slice(0, 8)}-value`
    const schemas = writeSchemas(cwd, {'x.avsc': orderV1})
    renameSync(path.join(schemas, 'x.avsc'), path.join(schemas, `${subject}.avsc`))
    expect((await runCli(['schema', 'register', '--dir', schemas, ...flags], {cwd})).code).toBe(0)
    // Apicurio reports the global level for a subject without its own rule (Confluent would say "none set").
    expect((await runCli(['schema', 'compat', subject, ...flags], {cwd})).stdout.trim()).toBe(`${subject}: BACKWARD`)
    expect((await runCli(['schema', 'compat', subject, 'FULL_TRANSITIVE', ...flags], {cwd})).stdout.trim()).toBe(`${subject}: FULL_TRANSITIVE`)
    writeSchemas(cwd, {[`${subject}.avsc`]: orderWithNote})
    expect((await runCli(['schema', 'register', '--dir', schemas, ...flags], {cwd})).code).toBe(0)
    expect((await runCli(['schema', 'compat', subject, ...flags], {cwd})).stdout.trim()).toBe(`${subject}: FULL_TRANSITIVE`)
  })

  it('treats an unknown subject as compatible, with a note', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-schema-'))
    const schemas = writeSchemas(cwd, {'fresh.avsc': orderV1})
    const result = await runCli(['schema', 'check', `fresh-${randomUUID().slice(0, 8)}-value`, path.join(schemas, 'fresh.avsc'), ...flags], {cwd})
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('no versions yet')
  })
})

describe('JSON Schema and Protobuf against the real registry', () => {
  it('registers and checks both formats, with reasons for an incompatible change', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-schema-'))
    const tag = randomUUID().slice(0, 8)
    const jsonSubject = `notes-${tag}-value`
    const protoSubject = `payments-${tag}-value`
    const schemas = writeSchemas(cwd, {
      [`${jsonSubject}.json`]: {$schema: 'http://json-schema.org/draft-07/schema#', properties: {n: {type: 'number'}}, type: 'object'},
      [`${protoSubject}.proto`]: 'syntax = "proto3";\npackage retail;\nmessage Payment {\n  string order_id = 1;\n  int32 amount_cents = 2;\n}\n',
    })
    const registered = await runCli(['schema', 'register', '--dir', schemas, '--json', ...flags], {cwd})
    expect(registered.code).toBe(0)
    expect(JSON.parse(registered.stdout).map((r: {registered: boolean}) => r.registered)).toEqual([true, true])
    const list = JSON.parse((await runCli(['schema', 'list', '--json', ...flags], {cwd})).stdout)
    expect(list.find((s: {subject: string}) => s.subject === jsonSubject)?.schemaType).toBe('JSON')
    expect(list.find((s: {subject: string}) => s.subject === protoSubject)?.schemaType).toBe('PROTOBUF')

    writeSchemas(cwd, {
      [`${jsonSubject}.json`]: {$schema: 'http://json-schema.org/draft-07/schema#', properties: {n: {type: 'integer'}}, type: 'object'},
      [`${protoSubject}.proto`]: 'syntax = "proto3";\npackage retail;\nmessage Payment {\n  string order_id = 1;\n  string amount_cents = 2;\n}\n',
    })
    const check = await runCli(['schema', 'check', '--dir', schemas, ...flags], {cwd})
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/notes-.*incompatible/)
    expect(check.stdout).toMatch(/payments-.*incompatible/)
  })
})
