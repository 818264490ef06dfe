import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {createGenerator} from 'ts-json-schema-generator'
import {describe, expect, it} from 'vitest'

/**
 * The CLI contract as a reviewed diff (as Salesforce's CLI plugins keep it): every command's flags
 * and arguments, and the JSON Schema of what `--json` prints, generated from src/cli/results.ts.
 * A change to a flag or a result shape changes contract.snapshot.json, which a reviewer sees.
 * (vitest writes a missing snapshot locally; with CI set, a difference fails.)
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

interface ManifestFlag {
  aliases?: string[]
  char?: string
  default?: unknown
  exclusive?: string[]
  multiple?: boolean
  name: string
  options?: string[]
  required?: boolean
  type: 'boolean' | 'option'
}

interface ManifestCommand {
  args: Record<string, {name: string; options?: string[]; required?: boolean}>
  flags: Record<string, ManifestFlag>
  id: string
  strict?: boolean
}

const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
const commands = Object.values(manifest.commands).sort((a, b) => a.id.localeCompare(b.id))

function schemaOf(type: 'JsonLine' | 'JsonResult') {
  return createGenerator({expose: 'export', path: path.join(root, 'src/cli/results.ts'), skipTypeCheck: true, topRef: false, tsconfig: path.join(root, 'tsconfig.json'), type}).createSchema(type)
}

describe('the CLI contract', () => {
  const results = schemaOf('JsonResult')
  const lines = schemaOf('JsonLine')

  it('declares what --json prints for every command, and for no command that does not exist', () => {
    const declared = new Set([...Object.keys(results.properties ?? {}), ...Object.keys(lines.properties ?? {})])
    expect([...declared].sort()).toEqual(commands.map((command) => command.id).sort())
  })

  it('has the flags, arguments and result shapes of the snapshot', async () => {
    const contract = {
      commands: Object.fromEntries(
        commands.map((command) => [
          command.id,
          {
            args: Object.values(command.args).map(({name, options, required}) => ({name, options, required: required ?? false})),
            flags: Object.values(command.flags)
              .sort((a, b) => a.name.localeCompare(b.name))
              .map(({aliases, char, default: fallback, exclusive, multiple, name, options, required, type}) => ({aliases, char, default: fallback, exclusive, multiple, name, options, required, type})),
            variadic: command.strict === false,
          },
        ]),
      ),
      jsonLines: lines,
      jsonResults: results,
    }
    await expect(JSON.stringify(contract, null, 2) + '\n').toMatchFileSnapshot('./contract.snapshot.json')
  }, 60_000)
})
