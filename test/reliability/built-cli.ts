import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * These tests spawn bin/run.js, which runs dist/evt.cjs, bundled from dist/: a build older than
 * src/ would test old code. Throws, naming a stale file, unless every src/**\/*.ts (but a .d.ts) has a
 * dist/**\/*.js at least as new, and the bundle is at least as new as all of them (`npm test`
 * builds first; `npx vitest run --project reliability-local` does not).
 */
export function requireFreshBuild(): void {
  const src = path.join(ROOT, 'src')
  const bundle = path.join(ROOT, 'dist', 'evt.cjs')
  for (const file of readdirSync(src, {encoding: 'utf8', recursive: true})) {
    // A declaration file (.d.ts) compiles to nothing.
    if (!/\.tsx?$/.test(file) || file.endsWith('.d.ts')) continue
    const source = path.join(src, file)
    const built = path.join(ROOT, 'dist', file.replace(/\.tsx?$/, '.js'))
    for (const output of [built, bundle]) {
      if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) {
        throw new Error(`${path.relative(ROOT, output)} is missing or older than ${path.relative(ROOT, source)}: run \`npm run build\` first`)
      }
    }
  }
}
