#!/usr/bin/env node
// npm run bench: measures evt side by side with kcat on a real broker and on the embedded
// backend, and writes BENCHMARKS.md. Every figure is the median of BENCH_RUNS runs (default 5),
// each run interleaved with its baseline, so a slow moment of the machine hits both.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir, totalmem} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin/run.js')
const runs = Number(process.env.BENCH_RUNS ?? 5)
const kafkaOrders = Number(process.env.BENCH_KAFKA_ORDERS ?? 152_000) // ≈ 1,000,000 events
const embeddedOrders = Number(process.env.BENCH_EMBEDDED_ORDERS ?? 250_000)
const withKafka = process.env.BENCH_KAFKA !== '0'
const brokers = '127.0.0.1:9092'
const registry = 'http://127.0.0.1:8080/apis/ccompat/v7'
const topics = ['orders', 'payments', 'stock', 'shipments']
const firstOrder = 1001

/** Runs a command to completion; stdout to /dev/null unless captured. Returns seconds and stdout. */
function timed(command, args, options = {}) {
  const began = process.hrtime.bigint()
  const result = spawnSync(command, args, {cwd: options.cwd, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', options.capture ? 'pipe' : 'ignore', 'pipe']})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`)
  return {seconds: Number(process.hrtime.bigint() - began) / 1e9, stdout: result.stdout}
}

const evt = (home, ...args) => timed(bin, args, {capture: true, cwd: home})
/** stdout to /dev/null, as kcat's: for the commands that print every record. */
const evtQuiet = (home, ...args) => timed(bin, args, {cwd: home})
const kcat = (...topicNames) => timed('sh', ['-c', topicNames.map((t) => `kcat -C -b ${brokers} -t ${t} -o beginning -e -q`).join(' && ') + ' > /dev/null'])

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return {max: sorted.at(-1), median: sorted[Math.floor(sorted.length / 2)], min: sorted[0]}
}

const rows = []
const format = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 3))

/** One table row: the median and spread of `values`, and, with a baseline, the ratio of medians. */
function report(name, unit, values, {baseline, note = '', target} = {}) {
  const {max, median, min} = stats(values)
  const ratio = baseline === undefined ? undefined : median / stats(baseline).median
  const verdict = target === undefined ? '' : target(ratio ?? median) ? 'met' : 'missed'
  rows.push({max, median, min, name, note, ratio, unit, verdict})
  console.log(`${name}: ${format(median)} ${unit} (${format(min)}–${format(max)}, ${values.length} runs)${ratio === undefined ? '' : `, ${ratio.toFixed(2)}× baseline`}${verdict ? ` — target ${verdict}` : ''}${note ? ` — ${note}` : ''}`)
}

/** Runs `measure` and `baseline` alternately, `runs` times each. */
function interleaved(measure, baseline) {
  const measured = []
  const base = []
  for (let i = 0; i < runs; i++) {
    base.push(baseline())
    measured.push(measure())
  }

  return {base, measured}
}

/** A project dir: the demo's evt.yaml plus the Kafka cluster and a view over all four topics. */
function benchProject() {
  const home = mkdtempSync(path.join(tmpdir(), 'evt-bench-'))
  evt(home, 'demo', '--orders', '10', '--json') // writes evt.yaml; this tiny log is replaced below
  rmSync(path.join(home, '.evt'), {force: true, recursive: true})
  const yaml = readFileSync(path.join(home, 'evt.yaml'), 'utf8')
    .replace('clusters:\n', `clusters:\n  kafka: { brokers: [${brokers}], registry: ${registry} }\n`)
    .concat('  order_activity:              # the last event of each order, over all four topics\n', `    from: [${topics.join(', ')}]\n`, '    table: order_activity\n', '    key: $.orderId\n', '    columns: { last_event: $type, last_topic: $topic, at: $timestamp }\n')
  writeFileSync(path.join(home, 'evt.yaml'), yaml)
  return home
}

const home = benchProject()
const totalEvents = (cluster) => JSON.parse(evt(home, 'topic', 'list', '--json', '--cluster', cluster).stdout).reduce((sum, t) => sum + (t.records ?? 0), 0)

if (withKafka) {
  // A fresh broker (the scripts give it a new data directory) holds exactly the bench data set.
  console.log('restarting the repo broker and registry for a fresh log (scripts/kafka)…')
  execFileSync('bash', [path.join(root, 'scripts/kafka/stop.sh')], {stdio: 'ignore'})
  execFileSync('bash', [path.join(root, 'scripts/kafka/start.sh')], {stdio: 'ignore'})
  const seeded = JSON.parse(evt(home, 'demo', '--cluster', 'kafka', '--orders', String(kafkaOrders), '--json').stdout)
  report(`evt demo --orders ${kafkaOrders} (Kafka write, ${seeded.events} events)`, 'events/s', [seeded.events / seeded.seconds], {note: '1 run'})
  const events = totalEvents('kafka')
  // Warm the page cache and the broker.
  kcat(...topics)

  const tail = interleaved(
    () => evtQuiet(home, 'topic', 'tail', ...topics, '--from', 'beginning', '--json', '--cluster', 'kafka').seconds,
    () => kcat(...topics).seconds,
  )
  report(`kcat -C -e, 4 topics one after another (${events} events, Kafka)`, 's', tail.base)
  report(`evt topic tail 4 topics --json > /dev/null (Kafka)`, 's', tail.measured, {baseline: tail.base, note: `${format(events / stats(tail.measured).median)} events/s`, target: (r) => r <= 2})

  const ordersEvents = JSON.parse(evt(home, 'topic', 'list', '--json', '--cluster', 'kafka').stdout).find((t) => t.name === 'orders')?.records ?? 0
  const rebuildOrders = interleaved(() => evt(home, 'rebuild', 'view', 'orders', '--cluster', 'kafka', '--db', path.join(home, 'k-orders.db')).seconds, () => kcat('orders').seconds)
  report(`kcat -C -e orders (${ordersEvents} events, Kafka)`, 's', rebuildOrders.base)
  report('evt rebuild view orders (Kafka)', 's', rebuildOrders.measured, {baseline: rebuildOrders.base, note: `${format(ordersEvents / stats(rebuildOrders.measured).median)} events/s`, target: (r) => r <= 3})
  const rebuildAll = interleaved(() => evt(home, 'rebuild', 'view', 'order_activity', '--cluster', 'kafka', '--db', path.join(home, 'k-activity.db')).seconds, () => kcat(...topics).seconds)
  report(`evt rebuild view order_activity, 4 topics (${events} events, Kafka)`, 's', rebuildAll.measured, {baseline: rebuildAll.base, note: `${format(events / stats(rebuildAll.measured).median)} events/s`, target: (r) => r <= 3})

  for (const [label, id] of [['start', firstOrder], ['middle', firstOrder + Math.floor(kafkaOrders / 2)], ['end', firstOrder + kafkaOrders - 1]]) {
    const trace = interleaved(() => evt(home, 'trace', 'order', String(id), '--json', '--cluster', 'kafka').seconds, () => kcat(...topics).seconds)
    report(`evt trace order ${id} (${label}, Kafka)`, 's', trace.measured, {baseline: trace.base, target: (r) => r <= 2})
  }

  const first = interleaved(
    () => evtQuiet(home, 'topic', 'tail', 'orders', '--from', 'beginning', '--limit', '1', '--json', '--cluster', 'kafka').seconds * 1000,
    () => timed('kcat', ['-C', '-b', brokers, '-t', 'orders', '-o', 'beginning', '-c', '1', '-q']).seconds * 1000,
  )
  report('kcat -C -c 1 orders: time to first record (Kafka)', 'ms', first.base)
  report('evt topic tail orders --limit 1: time to first record, whole process (Kafka)', 'ms', first.measured, {baseline: first.base})
}

// The embedded backend: write rate, rebuild rate and trace latency on its own data set, with the
// broker stopped so that it does not share the two cores with them.
if (withKafka) execFileSync('bash', [path.join(root, 'scripts/kafka/stop.sh')], {stdio: 'ignore'})
rmSync(path.join(home, '.evt'), {force: true, recursive: true})
const seeded = JSON.parse(evt(home, 'demo', '--orders', String(embeddedOrders), '--json').stdout)
report(`evt demo --orders ${embeddedOrders} (embedded write, ${seeded.events} events)`, 'events/s', [seeded.events / seeded.seconds], {note: 'target ≥ 100,000', target: (rate) => rate >= 100_000})
const embeddedEvents = totalEvents('local')
const rebuildRates = (view) => Array.from({length: runs}, () => JSON.parse(evt(home, 'rebuild', 'view', view, '--json').stdout)).map((r) => r.records / r.seconds)
report('evt rebuild view orders (embedded)', 'events/s', rebuildRates('orders'), {note: 'target ≥ 250,000', target: (rate) => rate >= 250_000})
report(`evt rebuild view order_activity, 4 topics (${embeddedEvents} events, embedded)`, 'events/s', rebuildRates('order_activity'))
const embeddedTail = Array.from({length: runs}, () => embeddedEvents / evtQuiet(home, 'topic', 'tail', ...topics, '--from', 'beginning', '--json').seconds)
report(`evt topic tail 4 topics --json > /dev/null (${embeddedEvents} events, embedded)`, 'events/s', embeddedTail)
for (const [label, id] of [['start', firstOrder], ['middle', firstOrder + Math.floor(embeddedOrders / 2)], ['end', firstOrder + embeddedOrders - 1]]) {
  report(`evt trace order ${id} (${label}, ${embeddedEvents} events, embedded)`, 's', Array.from({length: runs}, () => evt(home, 'trace', 'order', String(id), '--json').seconds))
}

// Cold start of the CLI.
report('evt --help', 'ms', Array.from({length: Math.max(runs, 5)}, () => evt(home, '--help').seconds * 1000), {note: 'target ≤ 300', target: (ms) => ms <= 300})
rmSync(home, {force: true, recursive: true})

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const kcatVersion = withKafka ? (spawnSync('kcat', ['-V'], {encoding: 'utf8'}).stdout.match(/kcat - .*? version (\S+)/)?.[1] ?? '?') : 'not run'
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (`bench/run.js`, see `bench/README.md`): medians with min–max over the runs;',
  'a ratio is the median of evt over the median of its baseline, run alternately in the same run.',
  '',
  `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  `- node ${process.version}, evt ${pkg.version}, kafkajs ${pkg.dependencies.kafkajs}, better-sqlite3 ${pkg.dependencies['better-sqlite3']}, kcat ${kcatVersion}, Kafka 4.1.1 (scripts/kafka)`,
  `- runs per figure: ${runs}; date: ${new Date().toISOString()}`,
  '',
  '| figure | median | min | max | unit | ratio | target | note |',
  '|---|---:|---:|---:|---|---:|---|---|',
  ...rows.map((r) => `| ${r.name} | ${format(r.median)} | ${format(r.min)} | ${format(r.max)} | ${r.unit} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} | ${r.verdict} | ${r.note} |`),
  '',
]
writeFileSync(path.join(root, 'BENCHMARKS.md'), lines.join('\n'))
console.log('wrote BENCHMARKS.md')
