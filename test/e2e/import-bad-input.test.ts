import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/**
 * Bad input to `topic import` is exit 2 with one line naming the line (or file) and the field,
 * a hint saying what to give, no SQL, and nothing imported: the whole file is checked first.
 */
const topic = JSON.stringify({kind: 'topic', name: 'imported', partitions: 2})
const record = (fields: object = {}) =>
  JSON.stringify({headers: [['h', 'MQ==']], key: 'azE=', kind: 'record', offset: 0, partition: 0, timestamp: 1_767_600_000_000, topic: 'imported', value: 'djE=', ...fields})
const withoutField = (name: string) => {
  const line = JSON.parse(record())
  delete line[name]
  return JSON.stringify(line)
}

const schema = {id: 1, kind: 'schema', references: [], schema: '"string"', schemaType: 'AVRO', subject: 's-value', version: 1}
const schemaWithout = (name: string) => JSON.stringify(Object.fromEntries(Object.entries(schema).filter(([key]) => key !== name)))

const cases: [what: string, line: string, message: RegExp][] = [
  ['a null line', 'null', /^Error: line 3: expected a JSON object, got null$/m],
  ['a list as a line', '[1,2]', /^Error: line 3: expected a JSON object, got a list$/m],
  ['a record without headers', withoutField('headers'), /^Error: line 3: field 'headers' is missing: give a list of \[name, base64 value or null\] pairs, \[\] for none$/m],
  ['a header that is not a pair', record({headers: [['h']]}), /^Error: line 3: header 1 is a list: give a \[name, base64 value or null\] pair$/m],
  ['a header value that is an object', record({headers: [['h', {a: 1}]]}), /^Error: line 3: header 1 is a list: give a \[name, base64 value or null\] pair$/m],
  ['a schema line without references', schemaWithout('references'), /^Error: line 3: schema for subject 's-value' refused: field 'references' is missing: give a list of \{name, subject, version\}, \[\] for none$/m],
  ['a schema line without an id', schemaWithout('id'), /^Error: line 3: schema for subject 's-value' refused: field 'id' is missing: give the schema id the records use$/m],
  ['an object as key', record({key: {id: 1}}), /^Error: line 3: field 'key' is an object: give base64 of the key bytes, or null$/m],
  ['an object as value', record({value: {orderId: '1'}}), /^Error: line 3: field 'value' is an object: give base64 of the value bytes, or null for a tombstone$/m],
  ['a value that is not base64', record({value: 'not base64!'}), /^Error: line 3: field 'value' is "not base64!": give base64/m],
  ['a string timestamp', record({timestamp: '2026-01-05T09:00:00Z'}), /^Error: line 3: field 'timestamp' is "2026-01-05T09:00:00Z": give milliseconds since the epoch as a whole number$/m],
  ['a fractional timestamp', record({timestamp: 1.5}), /^Error: line 3: field 'timestamp' is 1.5: give milliseconds/m],
  ['a string partition', record({partition: '1'}), /^Error: line 3: field 'partition' is "1": give a partition number \(0 or more\)$/m],
  ['a partition the topic lacks', record({partition: 2}), /^Error: line 3: field 'partition' is 2 but topic 'imported' has 2 partitions \(0-1\)$/m],
  ['a record of an undeclared topic', record({topic: 'elsewhere'}), /^Error: line 3: the record's topic 'elsewhere' is neither declared by an earlier topic line nor in the cluster$/m],
  ['a topic line without partitions', JSON.stringify({kind: 'topic', name: 'other'}), /^Error: line 3: field 'partitions' is missing: give the partition count \(1 or more\)$/m],
  ['an invalid topic name', JSON.stringify({kind: 'topic', name: 'a b', partitions: 1}), /^Error: line 3: invalid topic name 'a b'/m],
  ['an unknown kind', JSON.stringify({kind: 'offsets'}), /^Error: line 3: unknown kind "offsets"$/m],
  ['a truncated last line', record().slice(0, 40), /^Error: line 3: not JSON: /m],
]

async function importedTopics(cwd: string): Promise<string[]> {
  const listed = await runCli(['topic', 'list', '--json'], {cwd})
  // The log may not even exist: an import refused before opening it creates nothing.
  if (listed.code !== 0) return []
  return (JSON.parse(listed.stdout) as {name: string}[]).map((t) => t.name)
}

describe('topic import refuses bad input with exit 2, naming the line and the fix', () => {
  it.concurrent.each(cases)('%s', async (_what, badLine, message) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-bad-'))
    // A good record before the bad line: it must not be written either.
    writeFileSync(path.join(cwd, 'export.jsonl'), [topic, record(), badLine, record({offset: 1})].join('\n') + '\n')
    const imported = await runCli(['topic', 'import', 'export.jsonl'], {cwd})
    expect(imported.code).toBe(2)
    expect(imported.stderr).toMatch(message)
    expect(imported.stderr).toMatch(/^Hint: .+$/m)
    expect(imported.stderr.trim().split('\n')).toHaveLength(2)
    expect(imported.stderr).not.toMatch(/unexpected|constraint|SQL|NOT NULL|batches/i)
    expect(await importedTopics(cwd)).toEqual([])
  })

  it('a directory as the file is exit 2 naming it, with --json too', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-dir-'))
    mkdirSync(path.join(cwd, 'exports'))
    const plain = await runCli(['topic', 'import', 'exports'], {cwd})
    expect(plain.code).toBe(2)
    expect(plain.stderr).toBe('Error: cannot read exports: it is a directory\nHint: give the file evt topic export wrote\n')
    const json = await runCli(['topic', 'import', 'exports', '--json'], {cwd})
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({error: {code: 'FILE_NOT_FOUND', data: {file: 'exports'}, exit: 2}})
  })

  it('--json carries the line number in the error data', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'evt-import-bad-json-'))
    writeFileSync(path.join(cwd, 'export.jsonl'), [topic, record(), 'null'].join('\n'))
    const imported = await runCli(['topic', 'import', 'export.jsonl', '--json'], {cwd})
    expect(imported.code).toBe(2)
    expect(JSON.parse(imported.stdout)).toMatchObject({error: {code: 'INPUT_INVALID', data: {line: 3}, exit: 2}})
  })
})
