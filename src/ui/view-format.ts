import type {RebuildProgress, RebuildResult} from '../lib/views/rebuild-view.js'
import type {ViewDiff} from '../lib/views/view-diff.js'

/** The parts of a progress line, shared by the ink bar and tests: percent, rate and ETA. */
export function progressParts(progress: RebuildProgress, elapsedMs: number): {eta: string; percent: number; rate: number} {
  const percent = progress.total === 0 ? 100 : Math.min(100, Math.floor((progress.records * 100) / progress.total))
  const rate = elapsedMs > 0 ? Math.round((progress.records * 1000) / elapsedMs) : 0
  const remaining = progress.total - progress.records
  const eta = rate > 0 ? `${Math.ceil(remaining / rate)}s` : '?'
  return {eta, percent, rate}
}

export function progressBar(percent: number, width: number): string {
  const filled = Math.round((percent * width) / 100)
  return '█'.repeat(filled) + '░'.repeat(width - filled)
}

/** One summary line per rebuilt view, then one per problem (records skipped, values not stored). */
export function formatRebuildSummary(result: RebuildResult): string {
  const rate = result.seconds > 0 ? Math.round(result.records / result.seconds) : result.records
  const lines = [
    `${result.resumed ? 'caught up' : 'rebuilt'} view ${result.view}: ${result.rows} rows from ${result.records} records (${result.tombstones} tombstones) in ${result.seconds.toFixed(2)} s, ${rate} records/s → ${result.db}`,
  ]
  if (result.missingKey.count > 0) lines.push(`  skipped ${result.missingKey.count} records without a row key (first at ${result.missingKey.first.join(', ')})`)
  for (const m of result.typeMismatches) {
    lines.push(`  column ${m.column} holds ${m.expected}, but ${m.count} values were ${m.got}: stored NULL (first at ${m.first.join(', ')})`)
  }

  return lines.join('\n')
}

/** The divergence of a local copy: a count line, then one line per row missing, extra or changed. */
/** The counts, the column differences, and up to `limit` differing rows (all without a limit); then how many were not listed. */
export function formatViewDiff(diff: ViewDiff, options: {limit?: number} = {}): string {
  const total = diff.missing.length + diff.extra.length + diff.changed.length
  const lines = [
    total === 0 && diff.columns.missing.length === 0
      ? `${diff.db} matches view ${diff.view}: ${diff.rows.log} rows, as the log says (${diff.records} records read)`
      : `${diff.db} differs from view ${diff.view}: ${diff.missing.length} missing, ${diff.extra.length} extra, ${diff.changed.length} changed (${diff.rows.log} rows in the log, ${diff.rows.local} in the copy)`,
  ]
  if (diff.columns.missing.length > 0) lines.push(`columns missing from the copy: ${diff.columns.missing.join(', ')}`)
  if (diff.columns.extra.length > 0) lines.push(`columns only in the copy (not compared): ${diff.columns.extra.join(', ')}`)
  const rows = [
    ...diff.missing.map(({key, row}) => `- missing ${key}  ${JSON.stringify(row)}`),
    ...diff.extra.map(({key, row}) => `+ extra   ${key}  ${JSON.stringify(row)}`),
    ...diff.changed.map(({columns, key}) => {
      const changes = Object.entries(columns).map(([column, {local, log}]) => `${column}: ${JSON.stringify(local)} → ${JSON.stringify(log)}`)
      return `~ changed ${key}  ${changes.join(', ')}  (copy → log)`
    }),
  ]
  const shown = options.limit === undefined ? rows : rows.slice(0, options.limit)
  lines.push(...shown)
  if (shown.length < rows.length && shown.length > 0) lines.push(`… and ${rows.length - shown.length} more rows (--limit N lists more, --json all)`)
  return lines.join('\n')
}
