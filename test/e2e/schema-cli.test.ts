import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {orderNarrowed, orderV1, orderWithNote, writeSchemas} from '../helpers/schema-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'

describe('evt schema on the embedded registry (through pipes)', () => {
  const tempDir = useTempDir()

  it('registers idempotently, rejects an incompatible change with its reason and exit 1, accepts a compatible one', async () => {
    const cwd = tempDir()
    const schemas = writeSchemas(cwd, {'orders-value.avsc': orderV1})
    const first = await runCli(['schema', 'register', '--dir', schemas, '--json'], {cwd})
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual([{id: 1, registered: true, subject: 'orders-value', version: 1}])
    const again = await runCli(['schema', 'register', 'orders-value', path.join(schemas, 'orders-value.avsc'), '--json'], {cwd})
    expect(JSON.parse(again.stdout)).toEqual([{id: 1, registered: false, subject: 'orders-value', version: 1}])

    writeSchemas(cwd, {'orders-value.avsc': orderNarrowed})
    const rejected = await runCli(['schema', 'register', '--dir', schemas], {cwd})
    expect(rejected.code).toBe(1)
    expect(rejected.stdout).toContain(
      "orders-value v1 → candidate: field 'total' changed long → int: a reader on int cannot read long values written by v1 (BACKWARD)",
    )

    writeSchemas(cwd, {'orders-value.avsc': orderWithNote})
    const accepted = await runCli(['schema', 'register', '--dir', schemas, '--json'], {cwd})
    expect(JSON.parse(accepted.stdout)).toEqual([{id: 2, registered: true, subject: 'orders-value', version: 2}])
    expect((await runCli(['schema', 'compat', 'orders-value'], {cwd})).stdout.trim()).toBe('orders-value: BACKWARD')
  })

  it('checks a directory in CI: exit 1, every reason, GitHub annotations', async () => {
    const cwd = tempDir()
    const schemas = writeSchemas(cwd, {'a-value.avsc': orderV1, 'b-value.avsc': orderV1})
    expect((await runCli(['schema', 'register', '--dir', schemas], {cwd})).code).toBe(0)
    writeSchemas(cwd, {'a-value.avsc': orderNarrowed, 'b-value.avsc': {...orderV1, fields: [{name: 'orderId', type: 'string'}]}})
    expect((await runCli(['schema', 'compat', 'b-value', 'FORWARD'], {cwd})).code).toBe(0)

    const result = await runCli(['schema', 'check', '--dir', schemas, '--format', 'github'], {cwd})
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("::error file=" + path.join(schemas, 'a-value.avsc') + ',title=Incompatible schema a-value::a-value v1 → candidate: field \'total\' changed long → int')
    expect(result.stdout).toContain("b-value v1 → candidate: field 'total' removed: a reader on v1 requires it")
  })

  it('treats an unknown subject as compatible with a note, and refuses bad input with exit 2', async () => {
    const cwd = tempDir()
    const schemas = writeSchemas(cwd, {'new-value.avsc': orderV1, 'broken.avsc': '{\n  "type": "record",\n  oops\n}', 'notes.txt': 'x'})
    // A log with an empty registry: schema check only reads, and never creates a missing log.
    expect((await runCli(['topic', 'create', 'scratch'], {cwd})).code).toBe(0)
    const fresh = await runCli(['schema', 'check', 'new-value', path.join(schemas, 'new-value.avsc')], {cwd})
    expect(fresh.code).toBe(0)
    expect(fresh.stdout).toContain('no versions yet')

    const broken = await runCli(['schema', 'check', 'x-value', path.join(schemas, 'broken.avsc')], {cwd})
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain(`${path.join(schemas, 'broken.avsc')}:3: not valid JSON`)

    const level = await runCli(['schema', 'compat', 'new-value', 'SOMETIMES'], {cwd})
    expect(level.code).toBe(2)
    expect(level.stderr).toContain('NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE')

    const noType = await runCli(['schema', 'check', 'x', path.join(schemas, 'notes.txt')], {cwd})
    expect(noType.code).toBe(2)
    expect(noType.stderr).toContain('--type')
  })

  it('refuses what a registry refuses (a .proto type neither declared nor imported, an Avro type name that names nothing): check and register exit 2 naming the file, and nothing is stored', async () => {
    const cwd = tempDir()
    const schemas = writeSchemas(cwd, {
      'line-value.proto': 'syntax = "proto3";\nmessage Line {\n  Missing item = 1;\n}\n',
      'note-value.avsc': JSON.stringify({fields: [{name: 'text', type: 'strin'}], name: 'Note', type: 'record'}),
    })
    const expected = {
      'line-value.proto': /^Error: .*line-value\.proto: not a valid PROTOBUF schema: .*'Missing'/,
      'note-value.avsc': /^Error: .*note-value\.avsc: not a valid AVRO schema: undefined type name: strin/,
    }
    expect((await runCli(['topic', 'create', 'scratch'], {cwd})).code).toBe(0)
    for (const [file, message] of Object.entries(expected)) {
      for (const command of ['check', 'register']) {
        const refused = await runCli(['schema', command, file.replace(/\.\w+$/, ''), path.join(schemas, file)], {cwd})
        expect({code: refused.code, command, stderr: refused.stderr}).toEqual({code: 2, command, stderr: expect.stringMatching(message)})
      }
    }

    const subjects = await runCli(['schema', 'list', '--json'], {cwd})
    expect(JSON.parse(subjects.stdout)).toEqual([])
  })

  it('lists and shows subjects, as text and JSON', async () => {
    const cwd = tempDir()
    const schemas = writeSchemas(cwd, {'orders-value.avsc': orderV1})
    await runCli(['schema', 'register', '--dir', schemas], {cwd})
    const list = await runCli(['schema', 'list', '--json'], {cwd})
    expect(JSON.parse(list.stdout)).toEqual([{compatibility: 'BACKWARD', id: 1, latest: 1, schemaType: 'AVRO', subject: 'orders-value', versions: [1]}])
    const show = await runCli(['schema', 'show', 'orders-value'], {cwd})
    expect(JSON.parse(show.stdout)).toEqual(orderV1)
    const missing = await runCli(['schema', 'show', 'nope'], {cwd})
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('available: orders-value')
  })
})

describe('schema references across the files of a directory', () => {
  const tempDir = useTempDir()

  it('registers referenced files first and records the references (Avro named types, Protobuf imports, JSON $ref)', async () => {
    const cwd = tempDir()
    const money = {fields: [{name: 'cents', type: 'long'}, {name: 'currency', type: 'string'}], name: 'Money', namespace: 'retail', type: 'record'}
    const schemas = writeSchemas(cwd, {
      'a-orders-value.avsc': {fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'retail.Money'}], name: 'Order', namespace: 'retail', type: 'record'},
      'address.json': {properties: {city: {type: 'string'}}, type: 'object'},
      'customers-value.json': {properties: {home: {$ref: 'address.json'}}, type: 'object'},
      'money.proto': 'syntax = "proto3";\npackage retail;\nmessage Amount {\n  int64 cents = 1;\n}\n',
      'payments-value.proto': 'syntax = "proto3";\npackage retail;\nimport "money.proto";\nmessage Payment {\n  string order_id = 1;\n  retail.Amount amount = 2;\n}\n',
      'retail.Money.avsc': money,
    })
    const result = await runCli(['schema', 'register', '--dir', schemas, '--json'], {cwd})
    expect(result.stderr).toBe('')
    const order = JSON.parse(result.stdout).map((r: {subject: string}) => r.subject)
    expect(order.indexOf('retail.Money')).toBeLessThan(order.indexOf('a-orders-value'))
    expect(order.indexOf('money')).toBeLessThan(order.indexOf('payments-value'))
    expect(order.indexOf('address')).toBeLessThan(order.indexOf('customers-value'))

    const show = async (subject: string) => JSON.parse((await runCli(['schema', 'show', subject, '--json'], {cwd})).stdout)
    expect((await show('a-orders-value')).references).toEqual([{name: 'retail.Money', subject: 'retail.Money', version: 1}])
    expect((await show('payments-value')).references).toEqual([{name: 'money.proto', subject: 'money', version: 1}])
    expect((await show('customers-value')).references).toEqual([{name: 'address.json', subject: 'address', version: 1}])

    // Checking one file resolves its neighbour to the registered subject.
    const check = await runCli(['schema', 'check', 'a-orders-value', path.join(schemas, 'a-orders-value.avsc')], {cwd})
    expect(check.code).toBe(0)
  })
})
