#!/usr/bin/env -S node --max-semi-space-size=64
import {setFlagsFromString} from 'node:v8'

import {execute} from '@oclif/core'

// A larger young generation: evt allocates many short-lived buffers per record, and with V8's
// default semi-space the scavenger takes a fifth of a bulk write. The shebang sets it at start-up
// (best); this covers `node bin/run.js`, where it still helps.
setFlagsFromString('--max-semi-space-size=64')

await execute({dir: import.meta.url})
