import {headersToJson, keyToJson} from '../codec/json-shape.js'
import type {Expression} from 'jsonata'
import {getHeapStatistics} from 'node:v8'

import type {DecodedPayload} from '../codec/record-decoder.js'
import {EvtError, UsageError} from '../errors.js'
import {type LogRecord, positionOf} from '../log/event-log.js'
import {eventTypeOf} from '../util/event-type.js'
import {maybeYield} from '../util/yield.js'
import {LimitExceeded, limitSteps} from './where-limits.js'
import {type BatchOutcome, DEFAULT_WHERE_BUDGET, type WhereBudget, WhereSandbox} from './where-sandbox.js'
import type {LazyField} from './where-worker.js'

/** What a --where expression sees of a record. */
export interface WhereInput {
  decodeKey(): DecodedPayload | null
  decodeValue(): DecodedPayload | null
  record: LogRecord
}

/** Whether each record passes, in order. A batch stopped by `signal` passes none of its records. */
export type WhereFilter = (inputs: WhereInput[], signal?: AbortSignal) => Promise<boolean[]>

/** The fields a --where expression can use: those `topic tail --json` prints (record-format.ts). */
export const WHERE_FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers', 'type', 'schema', 'valueEncoding'] as const

const HEAP_CHECK_MS = 10

/** The fields that may cost a decoding, each computed as `topic tail --json` prints it. */
const LAZY_FIELD_READERS: Record<LazyField, (input: WhereInput) => unknown> = {
  headers: ({record}) => headersToJson(record.headers),
  key: ({decodeKey}) => keyToJson(decodeKey()),
  schema: ({decodeValue}) => decodeValue()?.schema ?? null,
  // The header alone decides when present: decoding is only for the schema's record name.
  type: ({decodeValue, record}) => eventTypeOf(record.headers, undefined) ?? eventTypeOf(record.headers, decodeValue()?.type),
  value: ({decodeValue}) => decodeValue()?.value ?? null,
  valueEncoding: ({decodeValue}) => decodeValue()?.encoding ?? null,
}

/**
 * Compiles a JSONata expression over the fields `topic tail --json` prints (WHERE_FIELDS), in the
 * same shapes (json-shape.ts; `type` is the ce_type header, else the schema's record name), except
 * `timestamp`, which is epoch milliseconds so that it compares as a number. Fields are built
 * when the expression first reads them, so an expression on headers, partition, offset, timestamp, or `type` of a
 * record with a ce_type header, never decodes a value. A parse error is exit 2 with its position.
 *
 * Each record is evaluated within `budget`: one that takes too long, recurses too deep, builds too
 * much or runs out of memory is WHERE_BUDGET_EXCEEDED (exit 2) naming the expression and the
 * record, and a signal stops it mid-expression. JSONata's hooks enforce this between steps, on this
 * thread; an expression that can run a regex runs in a worker thread instead, which can be
 * terminated in the middle of a native backtracking loop (handing records to a worker costs about
 * a third more CPU, so only those expressions pay for it).
 */
export async function compileWhere(expression: string, budget: Partial<WhereBudget> = {}): Promise<WhereFilter> {
  const {default: jsonata} = await import('jsonata')
  let compiled: Expression
  try {
    compiled = jsonata(expression)
  } catch (error) {
    const {message, position, token} = error as {message: string; position?: number; token?: string}
    const near = token === undefined || token === '(end)' ? '' : ` (near '${token}')`
    throw new UsageError(`cannot parse --where at character ${position ?? '?'}${near}: ${message}`, {
      hint: `--where takes a JSONata expression, e.g. "value.total > 100 and headers.ce_type = 'OrderRequested'"`,
    })
  }

  const limits = {...DEFAULT_WHERE_BUDGET, ...budget}
  return runsRegex(compiled.ast(), new Set()) ? isolatedFilter(expression, limits) : inThreadFilter(compiled, expression, limits)
}

/**
 * Whether the expression can run a regular expression: a regex literal, or `$eval`, which can parse
 * one at run time. A regex is the one step that runs native code no hook can interrupt.
 */
function runsRegex(node: unknown, seen: Set<object>): boolean {
  if (node instanceof RegExp) return true
  if (typeof node !== 'object' || node === null || seen.has(node)) return false
  seen.add(node)
  const {type, value} = node as {type?: unknown; value?: unknown}
  if (type === 'variable' && value === 'eval') return true
  return Object.values(node).some((child) => runsRegex(child, seen))
}

/**
 * Evaluates on this thread, at JSONata's own speed and with the fields as lazy getters. Between
 * steps the hooks check the record's time and the signal, and yield to the event loop so that
 * Ctrl-C is handled mid-expression.
 */
function inThreadFilter(compiled: Expression, expression: string, limits: WhereBudget): WhereFilter {
  let recordStarted = 0
  let stopping: AbortSignal | undefined
  let heapChecked = 0
  let heapAtFirstCheck: number | undefined
  const startRecord = limitSteps(compiled, limits, () => {
    if (stopping?.aborted) throw new LimitExceeded('stopped by a signal')
    const now = performance.now()
    if (now - recordStarted > limits.recordMs) throw new LimitExceeded(`it took longer than ${limits.recordMs} ms`)
    // The heap is measured only on a record that runs long (every 10 ms): others take microseconds.
    if (now - recordStarted > HEAP_CHECK_MS && now - heapChecked > HEAP_CHECK_MS) {
      heapChecked = now
      const used = getHeapStatistics().used_heap_size
      heapAtFirstCheck ??= used
      if (used - heapAtFirstCheck > limits.memoryMb * 1024 * 1024) throw new LimitExceeded(`it ran out of its ${limits.memoryMb} MB of memory`)
    }

    return maybeYield()
  })
  return async (inputs, signal) => {
    stopping = signal
    const accepted: boolean[] = []
    for (const [index, input] of inputs.entries()) {
      await maybeYield()
      if (signal?.aborted) return inputs.map(() => false)
      startRecord()
      recordStarted = performance.now()
      heapAtFirstCheck = undefined
      try {
        accepted.push(Boolean(await compiled.evaluate(lazyView(input))))
      } catch (error) {
        if (signal?.aborted) return inputs.map(() => false)
        const budget = error instanceof LimitExceeded
        throw whereFailure(expression, limits, {budget, index, kind: 'failed', message: (error as Error).message}, inputs)
      }
    }

    return accepted
  }
}

/** The record with its lazy fields as getters: only what the expression reads is computed. */
function lazyView(input: WhereInput): Record<string, unknown> {
  const {offset, partition, timestamp, topic} = input.record
  let headers: unknown
  return {
    get headers() {
      return (headers ??= LAZY_FIELD_READERS.headers(input))
    },
    get key() {
      return LAZY_FIELD_READERS.key(input)
    },
    offset,
    partition,
    get schema() {
      return LAZY_FIELD_READERS.schema(input)
    },
    timestamp,
    topic,
    get type() {
      return LAZY_FIELD_READERS.type(input)
    },
    get value() {
      return LAZY_FIELD_READERS.value(input)
    },
    get valueEncoding() {
      return LAZY_FIELD_READERS.valueEncoding(input)
    },
  }
}

/**
 * Evaluates in a worker thread (where-sandbox.ts) that is terminated when a record overruns its
 * time or memory. The worker is sent only the lazy fields the expression has read so far; when it
 * reads another, the batch is sent again from that record with it.
 */
function isolatedFilter(expression: string, limits: WhereBudget): WhereFilter {
  const sandbox = new WhereSandbox(expression, limits)
  const sent = new Set<LazyField>()
  return async (inputs, signal) => {
    const accepted: boolean[] = []
    while (accepted.length < inputs.length) {
      const rest = accepted.length === 0 ? inputs : inputs.slice(accepted.length)
      const views: Record<string, unknown>[] = []
      for (const input of rest) {
        // Decoding thousands of values can take longer than a signal may wait.
        await maybeYield()
        if (signal?.aborted) return inputs.map(() => false)
        const {offset, partition, timestamp, topic} = input.record
        const view: Record<string, unknown> = {offset, partition, timestamp, topic}
        for (const field of sent) view[field] = LAZY_FIELD_READERS[field](input)
        views.push(view)
      }

      const outcome = await sandbox.run(views, signal)
      if (outcome.kind === 'stopped') return inputs.map(() => false)
      if (outcome.kind !== 'done' && outcome.kind !== 'needs') throw whereFailure(expression, limits, outcome, rest)
      for (const passes of outcome.accepted) accepted.push(passes)
      if (outcome.kind === 'needs') sent.add(outcome.field)
    }

    return accepted
  }
}

/** The error for a record the expression could not be evaluated on, naming the expression and the record. */
function whereFailure(expression: string, budget: WhereBudget, outcome: Exclude<BatchOutcome, {kind: 'done' | 'needs' | 'stopped'}>, inputs: WhereInput[]): EvtError {
  if (outcome.kind === 'crashed') return new EvtError('INTERNAL', `--where evaluation stopped: ${outcome.message}`, {data: {expression}})
  const {record} = inputs[outcome.index]
  const {offset, partition, topic} = record
  const at = positionOf(record)
  const data = {expression, offset, partition, topic}
  if (outcome.kind === 'failed' && !outcome.budget) return new UsageError(`--where failed on ${at}: ${outcome.message}`, {data})
  const shown = expression.length > 120 ? `${expression.slice(0, 117)}...` : expression
  const why = {
    failed: outcome.kind === 'failed' ? outcome.message : '',
    'out-of-memory': `it ran out of its ${budget.memoryMb} MB of memory`,
    overtime: `it took longer than ${budget.recordMs} ms`,
  }[outcome.kind]
  return new UsageError(`--where ${JSON.stringify(shown)} exceeded its budget on ${at}: ${why}`, {
    code: 'WHERE_BUDGET_EXCEEDED',
    data: {...budget, ...data},
    hint: `each record gets ${budget.recordMs} ms, ${budget.memoryMb} MB and ${budget.maxDepth} nested steps: avoid nested quantifiers such as /(a+)+$/ (they backtrack for ever on a long string), recursion without an end, and ranges such as [1..10000000]`,
  })
}
