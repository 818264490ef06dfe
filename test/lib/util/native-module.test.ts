import {writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {toCliFailure} from '../../../src/cli/error-map.js'
import {importNative, installBroken} from '../../../src/lib/util/native-module.js'

describe('a native module that does not load', () => {
  it('is INSTALL_BROKEN (exit 2) naming the module, the reason and the command that rebuilds it', async () => {
    // A real load failure: a file that is not a shared object.
    const notAnAddon = path.join(tmpdir(), `evt-not-an-addon-${process.pid}.node`)
    writeFileSync(notAnAddon, 'not an ELF file')
    const failure = toCliFailure(await importNative('snappy', async () => process.dlopen({exports: {}}, notAnAddon)).catch((error: unknown) => error))
    expect(failure.code).toBe('INSTALL_BROKEN')
    expect(failure.exit).toBe(2)
    expect(failure.message).toMatch(/^evt's native module snappy cannot be loaded: .*not-an-addon/)
    expect(failure.message).not.toContain('\n')
    expect(failure.hint).toMatch(/^rebuild it for this Node\.js: cd \/\S+ && npm rebuild snappy$/)
    expect(failure.data).toEqual({module: 'snappy', node: process.version})
  })

  it('built for another Node.js: says so with both module versions', () => {
    // The message Node.js gives for an addon of another ABI (seen with Node 22 loading a build for Node 20).
    const error = Object.assign(
      new Error(
        "The module '/x/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).",
      ),
      {code: 'ERR_DLOPEN_FAILED'},
    )
    expect(installBroken('better-sqlite3', error).message).toBe(`evt's native module better-sqlite3 was built for another Node.js (module version 115; Node.js ${process.version} needs 127)`)
  })

  it('loads one that fits', async () => {
    const zstd = await importNative('@mongodb-js/zstd', () => import('@mongodb-js/zstd'))
    expect(await zstd.decompress(await zstd.compress(Buffer.from('evt'), 3))).toEqual(Buffer.from('evt'))
  })
})
