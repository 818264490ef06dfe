import type {CompiledView} from './view-definition.js'
import type {ViewTable} from './view-table.js'

export type Row = Record<string, unknown>

/** A build that readers do not see until `commit` puts it in place of the current one, in one atomic step. */
export interface ViewBuild {
  commit(): Promise<void>
  /** Drops the build; the current one stays as it was. */
  discard(): Promise<void>
  readonly table: ViewTable
}

/** The current build, written in place: each apply is one transaction with its offsets. */
export interface LiveView {
  close(): Promise<void>
  /** Whether `error` says the build was replaced by another rebuild while it was being written. */
  isReplacedError(error: unknown): boolean
  /** Whether another rebuild has put a new build in place since this one was opened. */
  replaced(): Promise<boolean>
  readonly table: ViewTable
}

/**
 * Where a view lives: a SQLite file, or a table in a PostgreSQL database. Every target makes the
 * same promises — a rebuild is built aside and swapped in atomically, a killed build leaves the
 * current one untouched (its leftover is removed by the next run), and evt refuses to replace
 * what it did not build.
 */
export interface ViewTarget {
  close(): Promise<void>
  /** Where a view's build is, for messages: a path, or `postgres://user@host:port/db table t` (never a password). */
  readonly where: string
  /** Turns a target's own failure (a full disk, a lost connection) into an evt error; others pass through. */
  explain(error: unknown): unknown
  /** A live writer on the current build. */
  openLive(view: CompiledView): Promise<LiveView>
  /** A table of the view, for a diff: its columns and rows. Refuses one that is not there, or has no `keyColumn`. */
  readTable(table: string, keyColumn: string): Promise<{columns: string[]; rows: Row[]}>
  /** Whether a build is there; refuses, naming `why`, a file or table evt did not build. */
  requireOwnOrAbsent(why: string): Promise<boolean>
  /** A new build, empty or starting as a copy of the current one; removes what killed builds left. */
  startBuild(view: CompiledView, options: {copyCurrent: boolean}): Promise<ViewBuild>
}
