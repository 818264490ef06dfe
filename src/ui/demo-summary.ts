import type {DemoReport} from '../lib/demo/seed-demo.js'

export function formatDemoSummary(result: DemoReport): string {
  if (result.alreadySeeded) {
    return `demo topics on '${result.cluster}' already hold ${result.alreadySeeded.records} records: nothing written (use a fresh EVT_HOME for a new log)`
  }

  const {completed, 'rejected-payment': rejectedPayment, 'rejected-stock': rejectedStock, stalled} = result.outcomes
  const rate = result.seconds > 0 ? Math.round(result.events / result.seconds) : result.events
  return [
    `wrote ${result.events} events to ${result.topics.map((t) => `${t.name} (${t.partitions} partitions)`).join(', ')} on '${result.cluster}'`,
    `  orders: ${completed} completed, ${stalled} stalled, ${rejectedStock} rejected (stock), ${rejectedPayment} rejected (payment); ${result.tombstones} tombstones`,
    `  ${result.subjects.length} Avro schemas registered; ${result.seconds.toFixed(2)} s (${rate} events/s)`,
    ...(result.config ? [`  wrote ${result.config}`] : []),
  ].join('\n')
}

export function nextStepsAfterDemo(): string {
  return [
    '',
    'next:',
    '  evt topic list',
    '  evt topic tail orders payments --from beginning --limit 20',
    '  evt topic tail orders --from -5 --json',
    '  evt trace order --stalled',
    '  evt rebuild view orders',
    '  evt rebuild view order_status   # one row per order, joined from four topics',
    '  evt audit',
  ].join('\n')
}

/** What `evt demo --live` says before it starts: what it does, and what to watch from another terminal. */
export function liveDemoIntro(cluster: string, rate: number, config: string | undefined): string {
  return [
    `live demo on '${cluster}': placing ${rate === 1 ? 'an order' : `${rate} orders`} a second, stamped now, until Ctrl-C`,
    '  each order plays out in about a minute; about 1 in 20 stalls; billing reads payments at once, audit 45 s behind',
    ...(config ? [`  wrote ${config}`] : []),
    '',
    'watch it from another terminal:',
    '  evt topic tail orders payments --follow',
    '  evt trace order ID --follow            (an id printed below)',
    '  evt trace order --stalled --older-than 1m',
  ].join('\n')
}
