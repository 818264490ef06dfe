import type {TopicSummary} from '../lib/topics/describe-topics.js'

export function formatTopicTable(topics: TopicSummary[]): string {
  if (topics.length === 0) return 'no topics (try: evt demo)'
  const rows = [['TOPIC', 'PARTITIONS', 'RECORDS'], ...topics.map((t) => [t.name, String(t.partitions), String(t.records)])]
  const width = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(width[column]) : cell.padStart(width[column]))).join('  ')).join('\n')
}
