/**
 * `import()` of an ES module: ink, the ink views under src/ui, tsx, a user's projection module.
 *
 * evt runs from one CommonJS bundle that bin/run.js compiles with V8's code cache (bin/code-cache.cjs),
 * and on Node.js 20 code restored from that cache has no `import()` ("A dynamic import callback was
 * not specified"). So bin/run.js, an ordinary module, lends its own `import()` before the bundle runs.
 * Run from source (vitest, bin/dev.js) nothing is lent and this module's own `import()` serves.
 */
type Importer = (specifier: string) => Promise<unknown>

let lent: Importer | undefined

export function lendImport(importer: Importer): void {
  lent = importer
}

export async function importEsm<T>(specifier: string): Promise<T> {
  return (await (lent ?? ((own: string) => import(own)))(specifier)) as T
}
