import path from 'node:path'

import {EvtCommand} from '../cli/base-command.js'
import {prose} from '../cli/prose.js'
import type {JsonResult} from '../cli/results.js'
import {trustProject} from '../lib/config/trust.js'
import {UsageError} from '../lib/errors.js'

export default class Trust extends EvtCommand<typeof Trust> {
  static description = prose`Allows the view modules named in evt.yaml (views: NAME: module: FILE) to run. evt.yaml is found
by searching upward from the current directory, so a cloned repository could otherwise make
\`evt rebuild view\` and \`evt view diff\` run its code. Read evt.yaml and its modules first: this
records a hash of each (in $XDG_CONFIG_HOME/evt/trusted.json, else ~/.config/evt), and a change
to any of them asks for \`evt trust\` again. Views without modules need no trust.`

  static examples = ['<%= config.bin %> trust', '<%= config.bin %> trust --config ./ci/evt.yaml --json']
  static summary = 'Trust the view modules named in evt.yaml after reading them.'

  async run(): Promise<JsonResult['trust']> {
    const config = this.loadConfig()
    if (config.file === undefined) {
      throw new UsageError('no evt.yaml here or in any directory above: nothing to trust', {hint: 'run evt trust in the project directory, or name the file with --config'})
    }

    const result = trustProject({file: config.file, views: config.views})
    const configDir = path.dirname(result.file)
    if (!this.jsonEnabled()) {
      this.log(`trusted ${result.file}${result.modules.length > 0 ? ` and ${result.modules.map((file) => path.relative(configDir, file)).join(', ')}` : ' (it names no view modules)'}`)
    }

    return result
  }
}
