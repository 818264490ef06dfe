/**
 * What bin/run.js needs of evt besides the commands, which scripts/bundle.js adds as `COMMANDS`
 * when it compiles this with oclif into one CommonJS file (dist/evt.cjs) that bin/run.js loads with
 * V8's code cache: oclif's entry point, the hooks that package.json's `oclif` section names in that
 * file, and the hand-off of `import()` (scripts/bundle.js also adds oclif's `debug`, which bin/run.js
 * redacts).
 */
import type {Hook} from '@oclif/core'

export {execute} from '@oclif/core/execute'
export {default as commandNotFound} from '../hooks/command-not-found.js'
export {lendImport} from '../lib/util/import-esm.js'

let commandRun: string | undefined

/** The id of the command oclif ran, for the code cache: which commands' code it holds. */
export const prerun: Hook<'prerun'> = async ({Command}) => {
  commandRun = Command.id
}

export function ranCommand(): string | undefined {
  return commandRun
}
