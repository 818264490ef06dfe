#!/usr/bin/env -S node --import tsx
// Runs evt from src/ through tsx, without a build: oclif finds the commands in src/commands rather
// than in the bundle that package.json names (dist/evt.cjs, for bin/run.js).
import {Config} from '@oclif/core'
import {execute} from '@oclif/core/execute'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif = {...pjson.oclif, commands: './src/commands', hooks: {command_not_found: './src/hooks/command-not-found.ts'}}
const config = await Config.load({ignoreManifest: true, pjson, root})
await execute({development: true, loadOptions: config})
