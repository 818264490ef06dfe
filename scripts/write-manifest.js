#!/usr/bin/env node
// Writes oclif.manifest.json after a build, so `evt --help` lists the commands from one JSON file
// instead of importing every command module (oclif reads it when present; bin/dev.js ignores it).
import {Config} from '@oclif/core'
import {rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// oclif reads an existing manifest even with ignoreManifest: remove it, or a rebuild keeps stale flags.
rmSync(path.join(root, 'oclif.manifest.json'), {force: true})
const config = await Config.load({ignoreManifest: true, root})
const plugin = config.plugins.get(config.pjson.name)
writeFileSync(path.join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest))
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
