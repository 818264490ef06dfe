import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {EXIT_CODES, toCliFailure} from '../../src/cli/error-map.js'
import {ERROR_CODES, EvtError, NotFoundError} from '../../src/lib/errors.js'

const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8')

describe('error codes', () => {
  it('the README lists every code with the exit code the CLI gives it, and no other', () => {
    const documented = Object.fromEntries([...readme.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map(([, code, exit]) => [code, Number(exit)]))
    expect(documented).toEqual(EXIT_CODES)
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...ERROR_CODES].sort())
  })

  it('a domain error becomes its code, exit, message, hint and data; anything else is INTERNAL', () => {
    const failure = toCliFailure(new NotFoundError('TOPIC_NOT_FOUND', "unknown topic 'x'", {available: ['a', 'b'], hint: 'create it'}))
    expect(failure).toEqual({code: 'TOPIC_NOT_FOUND', data: {available: ['a', 'b']}, exit: 2, hint: 'available: a, b; create it', message: "unknown topic 'x'"})
    expect(toCliFailure(new EvtError('SCHEMA_INCOMPATIBLE', 'no')).exit).toBe(1)
    expect(toCliFailure(new RangeError('boom'))).toMatchObject({code: 'INTERNAL', exit: 70, message: 'unexpected error: boom'})
  })
})
