import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/** Writes schema files into `dir/schemas` and returns that directory. */
export function writeSchemas(dir: string, files: Record<string, unknown>): string {
  const schemas = path.join(dir, 'schemas')
  mkdirSync(schemas, {recursive: true})
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(schemas, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return schemas
}

export const orderV1 = {fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'long'}], name: 'Order', namespace: 'retail', type: 'record'}
export const orderNarrowed = {...orderV1, fields: [{name: 'orderId', type: 'string'}, {name: 'total', type: 'int'}]}
export const orderWithNote = {...orderV1, fields: [...orderV1.fields, {default: null, name: 'note', type: ['null', 'string']}]}
