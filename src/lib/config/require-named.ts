import {NotFoundError} from '../errors.js'

/** A flow or view named in evt.yaml; unknown → exit 2 listing the ones there are. */
export function requireNamed<T>(kind: 'flow' | 'view', entries: Record<string, T>, name: string, file?: string): T {
  const entry = entries[name]
  if (entry) return entry
  throw new NotFoundError(kind === 'flow' ? 'FLOW_NOT_FOUND' : 'VIEW_NOT_FOUND', `unknown ${kind} '${name}'${file ? ` in ${file}` : ''}`, {
    available: Object.keys(entries),
    hint: Object.keys(entries).length === 0 ? `define ${kind}s under '${kind}s:' in evt.yaml (evt demo writes an example)` : undefined,
  })
}
