import {appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {useTempDir} from '../helpers/temp-dir.js'

/**
 * A view module named in evt.yaml runs only after `evt trust` recorded evt.yaml and the module as
 * they are now (in the user's config directory): an untrusted or changed project is exit 2 before
 * any of its code runs. The module leaves a file behind when it is imported, so "did not run" is
 * checked, not assumed.
 */
const MODULE = `import {writeFileSync} from 'node:fs'
writeFileSync(new URL('./module-ran', import.meta.url), 'yes')
export function project(record) {
  return {seen: 1}
}
`

describe('evt trust: view modules run only from a trusted evt.yaml', () => {
  const tempDir = useTempDir()
  let project: string
  let env: Record<string, string>
  const evt = (args: string[], cwd = project) => runCli(args, {cwd, env})
  const ran = (dir = project) => existsSync(path.join(dir, 'module-ran'))

  beforeEach(async () => {
    const root = tempDir()
    project = path.join(root, 'cloned-repo')
    mkdirSync(project)
    env = {EVT_HOME: path.join(project, '.evt'), XDG_CONFIG_HOME: path.join(root, 'config')}
    expect((await evt(['demo', '--orders', '20'])).code).toBe(0)
    // What evt demo writes needs no trust: its views have no module.
    expect(readFileSync(path.join(project, 'evt.yaml'), 'utf8')).not.toMatch(/module:/)
    expect((await evt(['rebuild', 'view', 'orders'])).code).toBe(0)
    writeFileSync(path.join(project, 'project.mjs'), MODULE)
    appendFileSync(path.join(project, 'evt.yaml'), '  mod: {from: [orders], table: mod, module: ./project.mjs}\n')
  })

  it('refuses an untrusted project with exit 2 naming the directory and the module, without running it', async () => {
    const rebuild = await evt(['rebuild', 'view', 'mod'])
    expect(rebuild.code).toBe(2)
    expect(rebuild.stdout).toBe('')
    expect(rebuild.stderr).toBe(
      `Error: ${path.join(project, 'evt.yaml')} names code to run (project.mjs) and is not trusted\nHint: run \`evt trust\` in ${project} after reading evt.yaml and project.mjs\n`,
    )
    const diff = await evt(['view', 'diff', 'mod', '--db', 'copy.db', '--json'])
    expect(diff.code).toBe(2)
    expect(JSON.parse(diff.stdout).error).toMatchObject({code: 'UNTRUSTED_CONFIG', data: {file: path.join(project, 'evt.yaml'), module: path.join(project, 'project.mjs')}, exit: 2})

    // evt.yaml is found upward: a subdirectory of the clone is no way around it.
    mkdirSync(path.join(project, 'src'))
    const below = await evt(['rebuild', 'view', '--all'], path.join(project, 'src'))
    expect(below.code).toBe(2)
    expect(below.stderr).toContain(`run \`evt trust\` in ${project} `)
    expect(ran()).toBe(false)
  })

  it('after evt trust the module runs; a change to the module or to evt.yaml asks again', async () => {
    const trusted = await evt(['trust', '--json'])
    expect(trusted.code).toBe(0)
    expect(JSON.parse(trusted.stdout)).toEqual({file: path.join(project, 'evt.yaml'), modules: [path.join(project, 'project.mjs')]})
    expect(JSON.parse(readFileSync(path.join(env.XDG_CONFIG_HOME, 'evt', 'trusted.json'), 'utf8')).configs).toHaveProperty([path.join(project, 'evt.yaml')])

    expect(await evt(['rebuild', 'view', 'mod'])).toMatchObject({code: 0, stdout: expect.stringMatching(/^rebuilt view mod: \d+ rows/)})
    expect(ran()).toBe(true)

    for (const [file, change] of [
      ['project.mjs', '// one more line\n'],
      ['evt.yaml', '  other: {from: [orders], table: other, module: ./project.mjs}\n'],
    ]) {
      rmSync(path.join(project, 'module-ran'))
      appendFileSync(path.join(project, file), change)
      const changed = await evt(['rebuild', 'view', 'mod'])
      expect({code: changed.code, file, message: changed.stderr.split('\n')[0]}).toEqual({code: 2, file, message: expect.stringMatching(/changed since it was trusted$/)})
      expect(ran()).toBe(false)
      expect(await evt(['trust'])).toMatchObject({code: 0, stdout: `trusted ${path.join(project, 'evt.yaml')} and project.mjs\n`})
      expect((await evt(['rebuild', 'view', 'mod'])).code).toBe(0)
      expect(ran()).toBe(true)
    }
  })

  it('trusts one directory, not a copy of it, and keeps the record in ~/.config/evt without XDG_CONFIG_HOME', async () => {
    const home = path.join(tempDir(), 'home')
    env = {...env, HOME: home, XDG_CONFIG_HOME: ''}
    expect((await evt(['trust'])).code).toBe(0)
    expect(existsSync(path.join(home, '.config', 'evt', 'trusted.json'))).toBe(true)
    expect((await evt(['rebuild', 'view', 'mod'])).code).toBe(0)

    const copy = path.join(tempDir(), 'copy')
    cpSync(project, copy, {recursive: true})
    rmSync(path.join(copy, 'module-ran'))
    const inCopy = await evt(['rebuild', 'view', 'mod'], copy)
    expect(inCopy.code).toBe(2)
    expect(inCopy.stderr).toContain('is not trusted')
    expect(ran(copy)).toBe(false)
  })
})
