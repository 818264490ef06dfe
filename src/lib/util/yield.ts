import {setImmediate as nextMacrotask} from 'node:timers/promises'

/** How long a loop may keep the event loop before it lets timers, I/O and signal handlers run. */
export const YIELD_EVERY_MS = 50

let lastYield = performance.now()

/**
 * Lets the event loop run (a macrotask: `setImmediate`) when ~50 ms have passed since the last
 * time any loop did. Embedded reads are synchronous SQLite calls, and a loop that only awaits
 * resolved promises never lets a SIGINT/SIGTERM handler, an EPIPE on stdout or a progress bar
 * run. Cheap when not due (one clock read and no promise), so it can be called per record:
 * `await maybeYield()`.
 */
export function maybeYield(): Promise<void> | undefined {
  const now = performance.now()
  if (now - lastYield < YIELD_EVERY_MS) return undefined
  return nextMacrotask().then(() => {
    lastYield = performance.now()
  })
}
