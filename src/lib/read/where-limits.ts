import type {Expression} from 'jsonata'

/** What one evaluation step may do: nest, and build sequences and strings. */
export interface StepLimits {
  /** Nested evaluation steps (a recursion 1000 calls deep takes about 5000). */
  maxDepth: number
  /** Items in one sequence one step builds (`[1..10000000]`). */
  maxItems: number
  maxStringLength: number
}

/** Thrown from a hook: the record exceeded a limit (`message` says which). Not an Error: nothing else throws it. */
export class LimitExceeded {
  constructor(readonly message: string) {}
}

/**
 * Installs JSONata 2.1's evaluation hooks (looked up by these symbols in the environment; `assign`
 * binds any key) to bound depth and the size of each step's result, and to run `beforeStep` (time
 * and signal checks, a yield to the event loop) before every step; JSONata awaits both hooks.
 * Returns the function that resets the depth before each record (a thrown limit skips the exits).
 */
export function limitSteps(compiled: Expression, limits: StepLimits, beforeStep?: () => Promise<void> | undefined): () => void {
  let depth = 0
  compiled.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, () => {
    if (++depth > limits.maxDepth) throw new LimitExceeded(`it nests deeper than ${limits.maxDepth} evaluation steps (a recursion that does not end?)`)
    return beforeStep?.()
  })
  compiled.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, (_expr: unknown, _input: unknown, _environment: unknown, result: unknown) => {
    depth--
    if (Array.isArray(result) && result.length > limits.maxItems) throw new LimitExceeded(`it builds a sequence of ${result.length} items (the limit is ${limits.maxItems})`)
    if (typeof result === 'string' && result.length > limits.maxStringLength) {
      throw new LimitExceeded(`it builds a string of ${result.length} characters (the limit is ${limits.maxStringLength})`)
    }
  })
  return () => {
    depth = 0
  }
}
