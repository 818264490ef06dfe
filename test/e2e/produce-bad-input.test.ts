import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/**
 * Bad input to `topic produce` and `topic create` is exit 2 with one line naming the line and
 * field and a hint saying what to write instead — never exit 70 ("unexpected error"), never a
 * value silently made up from it (headers "abc" as headers 0, 1, 2; an object as "[object Object]").
 */
const headersWithNames = (count: number) => Object.fromEntries(Array.from({length: count}, (_, i) => [`h${i}`, '']))

interface BadCase {
  code?: string
  data: Record<string, unknown>
  hint: RegExp
  lines: string[]
  message: RegExp
  name: string
}

const record = (fields: Record<string, unknown>) => JSON.stringify({value: {ok: true}, ...fields})

const CASES: BadCase[] = [
  {data: {field: 'headers'}, hint: /"headers": \{"name": "value"\}/, lines: [record({headers: 'abc'})], message: /^line 1: "headers" is an object of name → value .* not "abc"$/, name: 'headers as text'},
  {data: {field: 'headers', header: 'a'}, hint: /as text/, lines: [record({headers: {a: {nested: 1}}})], message: /^line 1: header 'a' is text, null or \{"base64": "..."\}, not \{"nested":1\}$/, name: 'an object as a header value'},
  {data: {field: 'headers', header: 'a'}, hint: /as text/, lines: [record({headers: [['a', {nested: 1}]]})], message: /^line 1: header 'a' is text, null or/, name: 'an object as a header value in a pair'},
  {data: {field: 'headers', header: 'a'}, hint: /quote it: "a": "1.5"/, lines: [record({headers: {a: 1.5}})], message: /^line 1: header 'a' is the number 1.5/, name: 'a fraction as a header value'},
  {data: {field: 'headers', header: 'id'}, hint: /quote it/, lines: ['{"value":1,"headers":{"id":12345678901234567890}}'], message: /^line 1: header 'id' is the number 12345678901234567000/, name: 'an integer past 2^53 as a header value'},
  {data: {field: 'headers', header: 'a'}, hint: /at least one value/, lines: [record({headers: {a: []}})], message: /^line 1: header 'a' has an empty list of values$/, name: 'an empty list of values'},
  {data: {field: 'headers'}, hint: /^write \[\["name", "value"\], \.\.\.\]/, lines: [record({headers: [['a']]})], message: /^line 1: a header in a list is a \[name, value\] pair, not \["a"\]$/, name: 'a pair without a value'},
  {data: {field: 'headers', header: '\uD800'}, hint: /base64/, lines: ['{"value":1,"headers":{"a":"\\ud800"}}'.replace('"a"', '"\\ud800"')], message: /^line 1: header name '.' has a lone UTF-16 surrogate/, name: 'a lone surrogate in a name'},
  {data: {field: 'headers', header: 'a'}, hint: /base64/, lines: ['{"value":1,"headers":{"a":"x\\udc00"}}'], message: /^line 1: header 'a' has a lone UTF-16 surrogate/, name: 'a lone surrogate in a value'},
  {data: {field: 'headers'}, hint: /fewer headers/, lines: [record({}), record({headers: headersWithNames(65_536)})], message: /^line 2: more than 65535 headers; a record holds at most 65535$/, name: '65536 headers'},
  {data: {field: 'headers'}, hint: /shorten the name/, lines: [record({headers: {['n'.repeat(65_536)]: 'v'}})], message: /^line 1: header name 'n{40}…' is 65536 bytes of UTF-8; a name holds at most 65535$/, name: 'a 65536-byte name'},
  {data: {field: 'headers'}, hint: /shorten the name/, lines: [record({headers: {['é'.repeat(32_768)]: 'v'}})], message: /is 65536 bytes of UTF-8/, name: 'a name of 32768 two-byte characters'},
  {data: {field: 'partition', line: 1}, hint: /^write "partition": 1 \(a number, without quotes\)$/, lines: [record({partition: '1'})], message: /^line 1: "partition" is a whole number ≥ 0, not "1"$/, name: 'partition as text'},
  {data: {field: 'partition', line: 1}, hint: /"partition": 0/, lines: [record({partition: 1.5})], message: /^line 1: "partition" is a whole number ≥ 0, not 1.5$/, name: 'a fractional partition'},
  {data: {field: 'partition', line: 1}, hint: /"partition": 0/, lines: [record({partition: -1})], message: /not -1$/, name: 'a negative partition'},
  {code: 'PARTITION_NOT_FOUND', data: {field: 'partition', line: 3, partitions: 2}, hint: /leave "partition" out/, lines: [record({partition: 1}), '', record({partition: 2})], message: /^line 3: topic 't' has no partition 2 \(it has 2: 0-1\)$/, name: 'a partition the topic does not have'},
  {data: {field: 'timestamp', line: 1}, hint: /whole milliseconds since 1970/, lines: [record({timestamp: -5})], message: /^line 1: cannot use -5 as "timestamp"$/, name: 'a negative timestamp'},
  {data: {field: 'timestamp', line: 1}, hint: /whole milliseconds/, lines: [record({timestamp: 1e300})], message: /cannot use 1e\+300 as "timestamp"/, name: 'a timestamp past 2^53'},
  {data: {field: 'timestamp', line: 1}, hint: /date text/, lines: [record({timestamp: 'yesterday'})], message: /cannot use "yesterday" as "timestamp"/, name: 'a timestamp that is no date'},
]

describe('bad input to topic produce and topic create', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-bad-input-'))
    expect(await runCli(['topic', 'create', 't', '--partitions', '2'], {cwd})).toMatchObject({code: 0})
  })
  afterAll(() => rmSync(cwd, {force: true, recursive: true}))

  it('answers each bad line with exit 2, its line and field, and a hint; writes nothing of the batch', async () => {
    const results = await Promise.all(CASES.map((each) => runCli(['topic', 'produce', 't', '--json'], {cwd, input: each.lines.join('\n')})))
    for (const [index, each] of CASES.entries()) {
      const result = results[index]
      const {error} = JSON.parse(result.stdout)
      expect({case: each.name, code: result.code, error}).toMatchObject({
        case: each.name,
        code: 2,
        error: {code: each.code ?? 'INPUT_INVALID', data: {line: expect.any(Number), ...each.data}, exit: 2, hint: expect.stringMatching(each.hint), message: expect.stringMatching(each.message)},
      })
    }

    const topics = JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)
    expect(topics).toMatchObject([{name: 't', records: 0}])
  })

  it('prints one Error line and one Hint line without --json', async () => {
    const result = await runCli(['topic', 'produce', 't'], {cwd, input: record({partition: '1'})})
    expect(result).toEqual({code: 2, stderr: 'Error: line 1: "partition" is a whole number ≥ 0, not "1"\nHint: write "partition": 1 (a number, without quotes)\n', stdout: ''})
  })

  it('keeps null header values null, in a map, in a repeated name and in a pair, and takes the largest legal headers', async () => {
    const longName = 'n'.repeat(65_535)
    const input = [
      record({headers: {a: null, b: [null, 'x', null]}, partition: 0}),
      record({headers: [['c', null], ['d', 'y']], partition: 0}),
      record({headers: {[longName]: null, ...headersWithNames(65_534)}, partition: 0}),
    ].join('\n')
    expect(await runCli(['topic', 'produce', 't'], {cwd, input})).toMatchObject({code: 0})
    const tailed = (await runCli(['topic', 'tail', 't', '--partition', '0', '--json'], {cwd})).stdout.trim().split('\n').map((line) => JSON.parse(line))
    expect(tailed.map((line) => line.headers).slice(0, 2)).toEqual([{a: null, b: [null, 'x', null]}, {c: null, d: 'y'}])
    expect(Object.keys(tailed[2].headers)).toHaveLength(65_535)
    expect(tailed[2].headers[longName]).toBeNull()
  })

  it('refuses more partitions than the embedded log takes, at once and holding no lock', async () => {
    const started = Date.now()
    const tooMany = await runCli(['topic', 'create', 'huge', '--partitions', '6000000', '--json'], {cwd})
    expect(Date.now() - started).toBeLessThan(5000)
    expect({code: tooMany.code, ...JSON.parse(tooMany.stdout)}).toEqual({
      code: 2,
      error: {code: 'INPUT_INVALID', data: {max: 10_000, partitions: 6_000_000}, exit: 2, hint: 'give --partitions 10000 or fewer', message: '6000000 partitions is more than the embedded log takes (at most 10000)'},
    })
    expect(await runCli(['topic', 'create', 'widest', '--partitions', '10000'], {cwd})).toMatchObject({code: 0})
    const topics = JSON.parse((await runCli(['topic', 'list', '--json'], {cwd})).stdout)
    expect(topics.map((topic: {name: string; partitions: number}) => [topic.name, topic.partitions])).toEqual([['t', 2], ['widest', 10_000]])
  })
})
