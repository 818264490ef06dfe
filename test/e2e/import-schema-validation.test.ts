import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/**
 * `topic import` registers the export's schemas: each goes through the validation a registration
 * through `registry serve` gets, so a hand-edited or foreign export cannot store a schema no
 * client could use (which would block every later version of its subject).
 */
const valid = {fields: [{name: 'id', type: 'string'}], name: 'Good', type: 'record'}
const schemaLine = (subject: string, schema: string, extra: object = {}) =>
  JSON.stringify({id: 7, kind: 'schema', references: [], schema, schemaType: 'AVRO', subject, version: 1, ...extra})

describe('topic import validates the schemas it registers', () => {
  it.each([
    ['invalid Avro', schemaLine('bad-value', '{bad'), /not a valid AVRO schema/],
    ['an unknown type name', schemaLine('bad-value', JSON.stringify({fields: [{name: 'x', type: 'XML'}], name: 'Bad', type: 'record'})), /not a valid AVRO schema.*XML/],
    ['an unknown schema type', schemaLine('bad-value', '{}', {schemaType: 'XML'}), /unknown schema type "XML"/],
    [
      'a reference to a subject that does not exist',
      schemaLine('bad-value', JSON.stringify({fields: [{name: 'g', type: 'Missing'}], name: 'Bad', type: 'record'}), {references: [{name: 'Missing', subject: 'missing-value', version: 1}]}),
      /reference 'Missing' names subject 'missing-value' version 1, which is not registered/,
    ],
  ])('refuses %s with exit 2, naming the line, and stores none of it', async (_what, badLine, reason) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-validate-'))
    const file = path.join(cwd, 'export.jsonl')
    const lines = [
      JSON.stringify({kind: 'topic', name: 'imported', partitions: 1}),
      schemaLine('good-value', JSON.stringify(valid), {id: 3}),
      badLine,
      JSON.stringify({headers: [], key: null, kind: 'record', offset: 0, partition: 0, timestamp: 0, topic: 'imported', value: null}),
    ]
    writeFileSync(file, lines.join('\n') + '\n')

    const imported = await runCli(['topic', 'import', file], {cwd})
    expect(imported.code).toBe(2)
    expect(imported.stderr).toMatch(/line 3: schema for subject 'bad-value' refused: /)
    expect(imported.stderr).toMatch(reason)

    // The whole file is checked before anything is written: not even the good schema is stored.
    const subjects = JSON.parse((await runCli(['schema', 'list', '--json'], {cwd})).stdout)
    expect(subjects.map((s: {subject: string}) => s.subject)).toEqual([])
    // The subject can still be used: a valid first version registers.
    writeFileSync(path.join(cwd, 'bad-value.avsc'), JSON.stringify({...valid, name: 'Fine'}))
    expect((await runCli(['schema', 'register', 'bad-value', 'bad-value.avsc'], {cwd})).code).toBe(0)
  })
})
