import {describe, expect, it} from 'vitest'

import {checkCompatibility} from '../../../src/lib/schema/compatibility.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

/**
 * Compatibility checks run inside registration (and inside `registry serve`'s request handling):
 * they must be linear in the size of the schema. A second version of an enum with 160k symbols
 * (about 1.8 MB of schema) once took close to a minute with a quadratic symbol comparison.
 */
const SYMBOLS = 160_000

const enumSchema = (symbols: string[], extra: object = {}) => JSON.stringify({name: 'Code', namespace: 'big', symbols, type: 'enum', ...extra})
const recordOf = (fields: number, skip = -1) =>
  JSON.stringify({
    fields: Array.from({length: fields}, (_, i) => i).filter((i) => i !== skip).map((i) => ({name: `f${i}`, type: 'int'})),
    name: 'Wide',
    type: 'record',
  })

describe('compatibility of very large Avro schemas', () => {
  const openBackend = useEmbeddedBackend()

  it(`checks a second version of a ${SYMBOLS}-symbol enum in linear time`, async () => {
    const {registry} = await openBackend()
    const symbols = Array.from({length: SYMBOLS}, (_, i) => `S${i}`)
    await registry.register('codes-value', {references: [], schema: enumSchema(symbols), schemaType: 'AVRO'})

    // Losing the last symbol: every symbol is compared, and the one lost is named.
    const started = performance.now()
    const result = await checkCompatibility({
      candidate: {references: [], schema: enumSchema(symbols.slice(0, -1)), schemaType: 'AVRO'},
      level: 'FULL',
      registry,
      subject: 'codes-value',
    })
    const elapsed = performance.now() - started
    expect(result.messages).toHaveLength(1)
    expect(result.messages[0]).toMatch(new RegExp(`lost symbol 'S${SYMBOLS - 1}'`))
    // A quadratic comparison took 54 s here; the bound leaves room for a loaded CI machine.
    expect(elapsed).toBeLessThan(5000)

    // And registering a compatible second version (one symbol more) is as quick.
    const registering = performance.now()
    await registry.register('codes-value', {references: [], schema: enumSchema([...symbols, 'EXTRA']), schemaType: 'AVRO'})
    expect(performance.now() - registering).toBeLessThan(5000)
  })

  it('compares records of 50k fields in linear time', async () => {
    const {registry} = await openBackend()
    await registry.register('wide-value', {references: [], schema: recordOf(50_000), schemaType: 'AVRO'})
    const started = performance.now()
    const result = await checkCompatibility({candidate: {references: [], schema: recordOf(50_000, 49_999), schemaType: 'AVRO'}, level: 'FORWARD', registry, subject: 'wide-value'})
    expect(performance.now() - started).toBeLessThan(1000)
    expect(result.messages.join('\n')).toMatch(/field 'f49999' removed/)
  })
})
