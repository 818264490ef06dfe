import {UsageError} from '../errors.js'

/** One step of a value path: a field, an array index, or every element. */
export type ValueStep = {index: number} | {key: string} | {wildcard: true}

const cache = new Map<string, ValueStep[]>()

/** Parses `$.a.b[0].c` or `$.items[*].sku` into steps; cached, as it runs per record. */
export function parseValuePath(path: string): ValueStep[] {
  const cached = cache.get(path)
  if (cached) return cached
  if (!path.startsWith('$')) throw new UsageError(`invalid value path '${path}': start with $, e.g. $.orderId or $.items[*].sku`)
  const steps: ValueStep[] = []
  const pattern = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\*\]|\['([^']+)'\]/y
  pattern.lastIndex = 1
  while (pattern.lastIndex < path.length) {
    const at = pattern.lastIndex
    const match = pattern.exec(path)
    if (!match) throw new UsageError(`invalid value path '${path}' at character ${at + 1}: expected .name, [N], [*] or ['name']`)
    if (match[1] !== undefined) steps.push({key: match[1]})
    else if (match[2] !== undefined) steps.push({index: Number(match[2])})
    else if (match[3] !== undefined) steps.push({key: match[3]})
    else steps.push({wildcard: true})
  }

  cache.set(path, steps)
  return steps
}

/** Every value a path reaches in a decoded record value ([*] fans out over arrays). */
export function readValuePath(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value]
  for (const step of parseValuePath(path)) {
    const next: unknown[] = []
    for (const node of current) {
      if (node === null || typeof node !== 'object') continue
      if ('wildcard' in step) {
        if (Array.isArray(node)) next.push(...node)
      } else if ('index' in step) {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index])
      } else if (step.key in (node as object)) {
        next.push((node as Record<string, unknown>)[step.key])
      }
    }

    current = next
  }

  return current
}

/** The one value a path without [*] reaches, or undefined: readValuePath's answer without its arrays (it runs per column per record). */
export function readOneValue(value: unknown, path: string): unknown {
  let node = value
  for (const step of parseValuePath(path)) {
    if (node === null || typeof node !== 'object' || 'wildcard' in step) return undefined
    if ('index' in step) {
      if (!Array.isArray(node) || step.index >= node.length) return undefined
      node = node[step.index]
    } else {
      if (!(step.key in node)) return undefined
      node = (node as Record<string, unknown>)[step.key]
    }
  }

  return node
}

/** The top-level field a path starts in (`orderId` of `$.orderId.x`); undefined for `$` and `$[0]`. */
export function topLevelField(path: string): string | undefined {
  const [first] = parseValuePath(path)
  return first !== undefined && 'key' in first ? first.key : undefined
}
