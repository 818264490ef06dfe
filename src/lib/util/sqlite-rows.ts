import type Database from 'better-sqlite3'

/**
 * Rows per statement. Each call into SQLite has a cost of its own: appending 1M flow-index rows
 * took 1.80 s one per statement and 1.27 s fifty per statement.
 */
const ROWS_PER_STATEMENT = 50

/**
 * An INSERT (or upsert) that writes many rows per statement. `sql` is given the VALUES list
 * (`(?, ?), (?, ?), …`) and returns the whole statement around it.
 */
export class MultiRowInsert {
  private readonly many: Database.Statement
  private readonly manyValues: unknown[]
  private readonly one: Database.Statement
  private readonly oneValues: unknown[]

  constructor(
    db: Database.Database,
    private readonly width: number,
    sql: (values: string) => string,
  ) {
    const row = `(${Array.from({length: width}, () => '?').join(', ')})`
    this.one = db.prepare(sql(row))
    this.many = db.prepare(sql(Array.from({length: ROWS_PER_STATEMENT}, () => row).join(', ')))
    this.oneValues = Array.from({length: width})
    this.manyValues = Array.from({length: width * ROWS_PER_STATEMENT})
  }

  /** Writes rows 0 … count - 1 in that order; `put` writes row i's values into `values` from `at` on. */
  run(count: number, put: (i: number, values: unknown[], at: number) => void): void {
    let i = 0
    for (; i + ROWS_PER_STATEMENT <= count; i += ROWS_PER_STATEMENT) {
      for (let row = 0; row < ROWS_PER_STATEMENT; row++) put(i + row, this.manyValues, row * this.width)
      this.many.run(this.manyValues)
    }

    for (; i < count; i++) {
      put(i, this.oneValues, 0)
      this.one.run(this.oneValues)
    }
  }
}
