#!/usr/bin/env node
// npm run bench: measures evt side by side with its baselines (kcat, `node -e 0`) on a real broker
// and on the embedded backend, with the peak RSS of every process, plus a scale curve, and writes
// BENCHMARKS.md (or BENCH_OUT). Every goal figure is the median of BENCH_RUNS runs (default 5),
// each run interleaved with its baseline, so a slow moment of the machine hits both.
import {execFileSync, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir, totalmem} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin/run.js')
const env = process.env
/** The demo writes about this many events per order with 5% tombstones on `orders` (6.57 without). */
const EVENTS_PER_ORDER = 6.72
const ordersFor = (events) => Math.round(events / EVENTS_PER_ORDER)
/** The flow index's catch-up goal: a trace after this many new events answers within 1 s. */
const CATCH_UP_EVENTS = 100_000
const runs = Number(env.BENCH_RUNS ?? 5)
const tombstoneRate = '0.05' // as a real compacted topic looks
const kafkaOrders = Number(env.BENCH_KAFKA_ORDERS ?? ordersFor(1e6))
const embeddedOrders = Number(env.BENCH_EMBEDDED_ORDERS ?? ordersFor(1e6))
const withKafka = env.BENCH_KAFKA !== '0'
/** Scale-curve sizes in millions of events; 0 skips. */
const sizes = (value) => (value.trim() === '0' ? [] : value.split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b))
const embeddedScale = sizes(env.BENCH_SCALE ?? '1,4,10')
const kafkaScale = withKafka ? sizes(env.BENCH_KAFKA_SCALE ?? (env.BENCH_SCALE?.trim() === '0' ? '0' : '1,4')) : []
const out = path.resolve(env.BENCH_OUT ?? path.join(root, 'BENCHMARKS.md'))
const brokers = '127.0.0.1:9092'
const registry = 'http://127.0.0.1:8080/apis/ccompat/v7'
const topics = ['orders', 'payments', 'stock', 'shipments']
const firstOrder = 1001
const began = Date.now()

/** evt reads EVT_* settings: the bench's projects must not pick up the caller's. */
const childEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('EVT_')))
const scratch = mkdtempSync(path.join(tmpdir(), 'evt-bench-'))
const rssFile = path.join(scratch, 'rss')
/** GNU time writes the child's peak RSS (KB, the largest process of its tree) to a file. */
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'true']).status === 0 ? '/usr/bin/time' : undefined
if (!gnuTime) console.warn('no GNU time at /usr/bin/time (Debian package `time`): peak RSS is not measured')

/**
 * Runs a command to completion under GNU time; stdout to /dev/null, captured, or into a file.
 * Returns {seconds, rss (MB, undefined without GNU time), stdout}.
 */
function timed(command, args, options = {}) {
  const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined
  const [file, argv] = gnuTime ? [gnuTime, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args]
  const start = process.hrtime.bigint()
  const result = spawnSync(file, argv, {
    cwd: options.cwd,
    encoding: 'utf8',
    env: childEnv,
    maxBuffer: 1 << 30,
    stdio: ['ignore', options.capture ? 'pipe' : (stdoutFd ?? 'ignore'), 'pipe'],
  })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (stdoutFd !== undefined) closeSync(stdoutFd)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`)
  const rss = gnuTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 : undefined
  return {rss, seconds, stdout: result.stdout}
}

const clusterArgs = (cluster) => (cluster === 'kafka' ? ['--cluster', 'kafka'] : [])
const evt = (home, ...args) => timed(bin, args, {capture: true, cwd: home})
/** stdout to /dev/null, as kcat's: for the commands that print every record. */
const evtQuiet = (home, ...args) => timed(bin, args, {cwd: home})
const kcat = (...topicNames) => timed('sh', ['-c', topicNames.map((t) => `kcat -C -b ${brokers} -t ${t} -o beginning -e -q`).join(' && ') + ' > /dev/null'])
const nodeBare = () => timed('node', ['-e', '0'])
const tailAll = (home, cluster) => evtQuiet(home, 'topic', 'tail', ...topics, '--from', 'beginning', '--json', ...clusterArgs(cluster))
const rebuildOrders = (home, cluster, db) => evt(home, 'rebuild', 'view', 'orders', '--json', '--db', db, ...clusterArgs(cluster))

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return {max: sorted.at(-1), median: sorted[Math.floor(sorted.length / 2)], min: sorted[0]}
}

/** Seconds (or a derived figure) of samples: median, min, max; and the highest peak RSS of them. */
function summary(samples, figure = (s) => s.seconds) {
  const rss = samples.map((s) => s.rss).filter((r) => r !== undefined)
  return {...stats(samples.map(figure)), rss: rss.length > 0 ? Math.max(...rss) : undefined, runs: samples.length}
}

const format = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 3))
const mb = (rss) => (rss === undefined ? '' : String(Math.round(rss)))
const spread = (s, unit, scale = 1) => `${format(s.median * scale)} ${unit} (${format(s.min * scale)}–${format(s.max * scale)})`
const phase = (name) => console.log(`\n== ${name} (${((Date.now() - began) / 60_000).toFixed(1)} min in)`)

/** Runs the functions of `fns` in turn, `runs` rounds; returns the samples of each. */
function alternate(fns) {
  const samples = Object.fromEntries(Object.keys(fns).map((name) => [name, []]))
  for (let i = 0; i < runs; i++) for (const [name, fn] of Object.entries(fns)) samples[name].push(fn())
  return samples
}

const rows = []
/**
 * Prints a figure: median and spread of `values`, with a baseline the ratio of medians; and adds it
 * to the table of other figures unless it is `shown` in the goal table already.
 */
function report(name, unit, values, {baseline, note = '', rss, shown = false, target} = {}) {
  const {max, median, min} = stats(values)
  const ratio = baseline === undefined ? undefined : median / stats(baseline).median
  const verdict = target === undefined ? '' : target(ratio ?? median) ? 'met' : 'missed'
  if (!shown) rows.push({max, median, min, name, note, ratio, rss, unit, verdict})
  console.log(`${name}: ${format(median)} ${unit} (${format(min)}–${format(max)}, ${values.length} runs)${ratio === undefined ? '' : `, ${ratio.toFixed(2)}× baseline`}${rss === undefined ? '' : `, peak RSS ${mb(rss)} MB`}${verdict ? ` — target ${verdict}` : ''}${note ? ` — ${note}` : ''}`)
}

/** A project dir: the demo's evt.yaml plus the Kafka cluster, a view and a join view over all four topics. */
function benchProject() {
  const home = mkdtempSync(path.join(scratch, 'project-'))
  evt(home, 'demo', '--orders', '10', '--json') // writes evt.yaml; this tiny log is replaced below
  rmSync(path.join(home, '.evt'), {force: true, recursive: true})
  const yaml = readFileSync(path.join(home, 'evt.yaml'), 'utf8')
    .replace('clusters:\n', `clusters:\n  kafka: { brokers: [${brokers}], registry: ${registry} }\n`)
    .concat('  order_activity:              # the last event of each order, over all four topics\n', `    from: [${topics.join(', ')}]\n`, '    table: order_activity\n', '    key: $.orderId\n', '    columns: { last_event: $type, last_topic: $topic, at: $timestamp }\n')
    // The demo's join view (orders, payments, shipments) with the stock topic's columns as well.
    .concat(
      '  order_journey:               # one row per order, each of the four topics updating its own columns\n',
      '    key: orderId\n',
      '    from:\n',
      '      orders:    { key: key,       columns: { status: $.status, total: $.total } }\n',
      '      payments:  { key: $.orderId, columns: { payment: $.method, paid_at: $timestamp } }\n',
      '      stock:     { key: $.orderId, columns: { warehouse: $.warehouse, stock_event: $type } }\n',
      '      shipments: { key: $.orderId, columns: { carrier: $.carrier, delivered_at: $.deliveredAt } }\n',
      '    deletes: orders\n',
    )
  writeFileSync(path.join(home, 'evt.yaml'), yaml)
  return home
}

/** Seeds the demo with 5% tombstones; returns the run and what the log holds afterwards. */
function seed(home, orders, cluster) {
  const run = evt(home, 'demo', '--orders', String(orders), '--tombstone-rate', tombstoneRate, '--json', ...clusterArgs(cluster))
  const listed = JSON.parse(evt(home, 'topic', 'list', '--json', ...clusterArgs(cluster)).stdout)
  const events = listed.filter((t) => topics.includes(t.name)).reduce((sum, t) => sum + (t.records ?? 0), 0)
  return {demo: run, events, orders, ordersEvents: listed.find((t) => t.name === 'orders')?.records ?? 0, written: JSON.parse(run.stdout).events}
}

function restartBroker() {
  // The scripts give the broker a new data directory: it holds exactly the bench data set.
  console.log('restarting the repo broker and registry for a fresh log (scripts/kafka)…')
  execFileSync('bash', [path.join(root, 'scripts/kafka/stop.sh')], {stdio: 'ignore'})
  execFileSync('bash', [path.join(root, 'scripts/kafka/start.sh')], {stdio: 'ignore'})
}

/** The flow index: its first build, then traces answered from it (the goal: about a process start). */
function benchTraceIndex(home, clusterFlags, scope) {
  const build = evt(home, 'trace', 'index', 'order', '--rebuild', '--json', ...clusterFlags)
  report(`evt trace index order --rebuild (${scope})`, 's', [build.seconds], {rss: build.rss})
  const node = Array.from({length: runs}, () => nodeBare())
  const indexed = Array.from({length: runs}, () => evt(home, 'trace', 'order', String(firstOrder + 7), '--json', ...clusterFlags))
  report(`evt trace order ${firstOrder + 7} from the index (${scope})`, 's', indexed.map((s) => s.seconds), {baseline: node.map((s) => s.seconds), note: 'baseline: node -e 0', rss: summary(indexed).rss})
}

/**
 * Views built in PostgreSQL (scripts/postgres: a local server, fsync off), when the machine has
 * one to start: the orders view and the four-topic view, each rate as measured by evt.
 */
function benchPostgres(home, {events, ordersEvents}) {
  // A server a developer had running stays running.
  const alreadyRunning = existsSync('/tmp/evt-postgres/data/postmaster.pid')
  try {
    execFileSync('bash', [path.join(root, 'scripts/postgres/start.sh')], {stdio: 'ignore'})
  } catch {
    console.warn('no PostgreSQL server to start (apt-get install postgresql): the PostgreSQL figures are left out')
    return
  }

  const db = 'postgres://postgres@127.0.0.1:5433/evt'
  try {
    const orders = Array.from({length: runs}, () => rebuildOrders(home, 'local', db))
    report(`evt rebuild view orders into PostgreSQL (${ordersEvents} events, embedded), as measured by evt`, 'events/s', orders.map((s) => JSON.parse(s.stdout)).map((r) => r.records / r.seconds), {note: 'target ≥ 150,000', rss: summary(orders).rss, target: (rate) => rate >= 150_000})
    const activity = Array.from({length: runs}, () => evt(home, 'rebuild', 'view', 'order_activity', '--json', '--db', db))
    report(`evt rebuild view order_activity into PostgreSQL, 4 topics (${events} events, embedded), as measured by evt`, 'events/s', activity.map((s) => JSON.parse(s.stdout)).map((r) => r.records / r.seconds), {note: 'target ≥ 150,000', rss: summary(activity).rss, target: (rate) => rate >= 150_000})
  } finally {
    if (!alreadyRunning) execFileSync('bash', [path.join(root, 'scripts/postgres/stop.sh')], {stdio: 'ignore'})
  }
}

/** One point of the scale curve: the four commands once each on a seeded data set. */
function scalePoint(home, cluster, data) {
  const exportFile = path.join(home, 'export.jsonl')
  const point = {...data}
  point.tail = tailAll(home, cluster)
  // A scan of every record; then the flow index built from nothing, and answering warm (a trace, --stalled).
  const middle = String(firstOrder + Math.floor(data.orders / 2))
  point.trace = evtQuiet(home, 'trace', 'order', middle, '--json', '--no-index', ...clusterArgs(cluster))
  point.index = evtQuiet(home, 'trace', 'index', 'order', '--rebuild', '--json', ...clusterArgs(cluster))
  point.indexedTrace = evtQuiet(home, 'trace', 'order', middle, '--json', ...clusterArgs(cluster))
  point.stalled = evtQuiet(home, 'trace', 'order', '--stalled', '--older-than', '10m', '--json', ...clusterArgs(cluster))
  point.rebuild = rebuildOrders(home, cluster, path.join(home, 'scale-orders.db'))
  point.export = timed(bin, ['topic', 'export', ...topics, ...clusterArgs(cluster)], {cwd: home, stdoutFile: exportFile})
  point.exportBytes = statSync(exportFile).size
  rmSync(exportFile, {force: true})
  rmSync(path.join(home, 'scale-orders.db'), {force: true})
  // Last, as it adds to the log: 100k events appended after the index was built (orders' first
  // records again); the next trace catches up on them, then answers.
  const appended = path.join(home, 'appended.jsonl')
  timed(bin, ['topic', 'export', 'orders', '--limit', String(CATCH_UP_EVENTS), ...clusterArgs(cluster)], {cwd: home, stdoutFile: appended})
  evtQuiet(home, 'topic', 'import', appended, '--append', ...clusterArgs(cluster))
  rmSync(appended, {force: true})
  point.catchUp = evtQuiet(home, 'trace', 'order', middle, '--json', ...clusterArgs(cluster))
  for (const command of ['demo', 'tail', 'trace', 'index', 'indexedTrace', 'stalled', 'rebuild', 'export', 'catchUp']) {
    const s = point[command]
    if (s) console.log(`  ${cluster} ${(data.events / 1e6).toFixed(2)}M ${command}: ${s.seconds.toFixed(2)} s, peak RSS ${mb(s.rss)} MB`)
  }

  return point
}

const measured = {embedded: {}, kafka: {}, scale: {embedded: [], kafka: []}}
const home = benchProject()
try {
  if (withKafka) {
    phase('Kafka: seeding')
    restartBroker()
    const data = seed(home, kafkaOrders, 'kafka')
    const {events, ordersEvents} = data
    measured.kafka = {events, ordersEvents}
    report(`evt demo --orders ${kafkaOrders} --tombstone-rate ${tombstoneRate} (Kafka write, ${data.written} events)`, 'events/s', [data.written / data.demo.seconds], {note: '1 run', rss: data.demo.rss})
    kcat(...topics) // warms the page cache and the broker

    phase('Kafka: goal figures')
    const tail = alternate({kcat: () => kcat(...topics), evt: () => tailAll(home, 'kafka')})
    measured.kafka.tail = tail
    report(`kcat -C -e, 4 topics one after another (${events} events, Kafka)`, 's', tail.kcat.map((s) => s.seconds), {shown: true, rss: summary(tail.kcat).rss})
    report('evt topic tail 4 topics --json > /dev/null (Kafka)', 's', tail.evt.map((s) => s.seconds), {baseline: tail.kcat.map((s) => s.seconds), note: `${format(events / summary(tail.evt).median)} events/s`, shown: true, rss: summary(tail.evt).rss})

    const db = path.join(home, 'k-orders.db')
    const rebuild = alternate({kcat: () => kcat('orders'), evt: () => rebuildOrders(home, 'kafka', db)})
    measured.kafka.rebuild = rebuild
    report(`kcat -C -e orders (${ordersEvents} events, Kafka)`, 's', rebuild.kcat.map((s) => s.seconds), {shown: true, rss: summary(rebuild.kcat).rss})
    report('evt rebuild view orders (Kafka)', 's', rebuild.evt.map((s) => s.seconds), {baseline: rebuild.kcat.map((s) => s.seconds), note: `${format(ordersEvents / summary(rebuild.evt).median)} events/s`, shown: true, rss: summary(rebuild.evt).rss})

    const first = alternate({
      node: nodeBare,
      kcat: () => timed('kcat', ['-C', '-b', brokers, '-t', 'orders', '-o', 'beginning', '-c', '1', '-q']),
      evt: () => evtQuiet(home, 'topic', 'tail', 'orders', '--from', 'beginning', '--limit', '1', '--json', '--cluster', 'kafka'),
    })
    measured.kafka.first = first
    report('kcat -C -c 1 orders: time to first record (Kafka)', 'ms', first.kcat.map((s) => s.seconds * 1000), {shown: true, rss: summary(first.kcat).rss})
    report('evt topic tail orders --limit 1: time to first record, against kcat -c 1 (Kafka)', 'ms', first.evt.map((s) => s.seconds * 1000), {baseline: first.kcat.map((s) => s.seconds * 1000), shown: true, rss: summary(first.evt).rss})

    phase('Kafka: other figures')
    const all = alternate({kcat: () => kcat(...topics), evt: () => evt(home, 'rebuild', 'view', 'order_activity', '--cluster', 'kafka', '--db', path.join(home, 'k-activity.db'))})
    report(`evt rebuild view order_activity, 4 topics (${events} events, Kafka)`, 's', all.evt.map((s) => s.seconds), {baseline: all.kcat.map((s) => s.seconds), note: `${format(events / summary(all.evt).median)} events/s`, rss: summary(all.evt).rss, target: (r) => r <= 3})
    // A scan of every record (--no-index) against kcat reading them; then the flow index, built once, answering.
    for (const [label, id] of [['start', firstOrder], ['middle', firstOrder + Math.floor(kafkaOrders / 2)], ['end', firstOrder + kafkaOrders - 1]]) {
      const trace = alternate({kcat: () => kcat(...topics), evt: () => evt(home, 'trace', 'order', String(id), '--json', '--no-index', '--cluster', 'kafka')})
      report(`evt trace order ${id} --no-index (${label}, Kafka)`, 's', trace.evt.map((s) => s.seconds), {baseline: trace.kcat.map((s) => s.seconds), rss: summary(trace.evt).rss, target: (r) => r <= 2})
    }

    benchTraceIndex(home, ['--cluster', 'kafka'], `${events} events, Kafka`)

    let seeded = data
    for (const size of kafkaScale) {
      phase(`Kafka: scale curve, ${size}M events`)
      const orders = ordersFor(size * 1e6)
      // The data set on the broker is this point when the sizes agree; any other needs a fresh broker.
      if (orders !== seeded.orders) {
        restartBroker()
        seeded = seed(home, orders, 'kafka')
      }

      measured.scale.kafka.push({size, ...scalePoint(home, 'kafka', seeded)})
    }

    // The broker's idle threads would share the two cores with the embedded figures.
    execFileSync('bash', [path.join(root, 'scripts/kafka/stop.sh')], {stdio: 'ignore'})
  }

  phase('embedded: bounded commands on a small log')
  const small = mkdtempSync(path.join(scratch, 'small-'))
  evt(small, 'demo', '--json') // 500 orders, about 3,300 events
  const schemaFile = path.join(small, 'OrderRequested.avsc')
  writeFileSync(schemaFile, JSON.parse(evt(small, 'schema', 'show', 'orders-retail.OrderRequested', '--json').stdout).schema)
  measured.bounded = [
    ['evt --version', ['--version']],
    ['evt topic list', ['topic', 'list']],
    ['evt schema check orders-retail.OrderRequested FILE', ['schema', 'check', 'orders-retail.OrderRequested', schemaFile]],
    ['evt topic tail orders --limit 1', ['topic', 'tail', 'orders', '--from', 'beginning', '--limit', '1', '--json']],
  ].map(([name, args]) => ({name, ...alternate({node: nodeBare, evt: () => evtQuiet(small, ...args)})}))
  for (const {evt: samples, name, node} of measured.bounded) {
    report(`${name} (small embedded log)`, 'ms', samples.map((s) => s.seconds * 1000), {baseline: node.map((s) => s.seconds * 1000), shown: true, rss: summary(samples).rss})
  }

  report('node -e 0', 'ms', measured.bounded.flatMap((b) => b.node).map((s) => s.seconds * 1000), {rss: summary(measured.bounded.flatMap((b) => b.node)).rss})
  const help = Array.from({length: Math.max(runs, 5)}, () => evtQuiet(small, '--help'))
  report('evt --help', 'ms', help.map((s) => s.seconds * 1000), {note: 'target ≤ 300', rss: summary(help).rss, target: (ms) => ms <= 300})
  rmSync(small, {force: true, recursive: true})

  phase('embedded: goal figures')
  const data = seed(home, embeddedOrders, 'local')
  const {events, ordersEvents} = data
  measured.embedded = {events, ordersEvents}
  report(`evt demo --orders ${embeddedOrders} --tombstone-rate ${tombstoneRate} (embedded write, ${data.written} events)`, 'events/s', [data.written / data.demo.seconds], {note: 'target ≥ 100,000', rss: data.demo.rss, target: (rate) => rate >= 100_000})
  const tail = Array.from({length: runs}, () => tailAll(home, 'local'))
  measured.embedded.tail = tail
  report(`evt topic tail 4 topics --json > /dev/null (${events} events, embedded)`, 'events/s', tail.map((s) => events / s.seconds), {shown: true, rss: summary(tail).rss})
  const rebuild = Array.from({length: runs}, () => rebuildOrders(home, 'local', path.join(home, 'e-orders.db')))
  measured.embedded.rebuild = rebuild
  report(`evt rebuild view orders (${ordersEvents} events, embedded), as measured by evt`, 'events/s', rebuild.map((s) => JSON.parse(s.stdout)).map((r) => r.records / r.seconds), {note: 'target ≥ 250,000', rss: summary(rebuild).rss, target: (rate) => rate >= 250_000})

  phase('embedded: other figures')
  const activity = Array.from({length: runs}, () => evt(home, 'rebuild', 'view', 'order_activity', '--json'))
  report(`evt rebuild view order_activity, 4 topics (${events} events, embedded), as measured by evt`, 'events/s', activity.map((s) => JSON.parse(s.stdout)).map((r) => r.records / r.seconds), {rss: summary(activity).rss})
  // The join view evt demo writes: one row per order from orders, payments and shipments.
  const joined = Array.from({length: runs}, () => evt(home, 'rebuild', 'view', 'order_status', '--json'))
  report(`evt rebuild view order_status, a join view of 3 topics (embedded), as measured by evt`, 'events/s', joined.map((s) => JSON.parse(s.stdout)).map((r) => r.records / r.seconds), {rss: summary(joined).rss})
  // The goal's join view: over the four demo topics, every event of the log.
  const journey = Array.from({length: runs}, () => evt(home, 'rebuild', 'view', 'order_journey', '--json'))
  report(`evt rebuild view order_journey, a join view of the 4 topics (${events} events, embedded), as measured by evt`, 'events/s', journey.map((s) => JSON.parse(s.stdout)).map((r) => r.records / r.seconds), {note: 'target ≥ 200,000', rss: summary(journey).rss, target: (rate) => rate >= 200_000})
  // Audit reads what tail reads, without decoding values: it should not be slower.
  const audit = Array.from({length: runs}, () => evtQuiet(home, 'audit', ...topics))
  report(`evt audit, 4 topics (${events} events, embedded)`, 's', audit.map((s) => s.seconds), {baseline: tail.map((s) => s.seconds), note: 'target ≤ 1.25× topic tail --json (≥ 80% of its speed)', rss: summary(audit).rss, target: (r) => r <= 1.25})
  benchPostgres(home, {events, ordersEvents})
  for (const [label, id] of [['start', firstOrder], ['middle', firstOrder + Math.floor(embeddedOrders / 2)], ['end', firstOrder + embeddedOrders - 1]]) {
    const trace = Array.from({length: runs}, () => evt(home, 'trace', 'order', String(id), '--json', '--no-index'))
    report(`evt trace order ${id} --no-index (${label}, ${events} events, embedded)`, 's', trace.map((s) => s.seconds), {rss: summary(trace).rss})
  }

  benchTraceIndex(home, [], `${events} events, embedded`)

  for (const size of embeddedScale) {
    phase(`embedded: scale curve, ${size}M events`)
    const orders = ordersFor(size * 1e6)
    if (orders === embeddedOrders) {
      measured.scale.embedded.push({size, ...scalePoint(home, 'local', data)})
      continue
    }

    const dir = mkdtempSync(path.join(scratch, `scale-${size}M-`))
    try {
      measured.scale.embedded.push({size, ...scalePoint(dir, 'local', seed(dir, orders, 'local'))})
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  }
} finally {
  rmSync(scratch, {force: true, recursive: true})
}

// ---------------------------------------------------------------------------------------------
// The goal table: each goal with evt's figure, its baseline's, the ratio and met / missed.

const goals = []
const skipped = (figure, target, why) => goals.push({baseline: '', evt: why, figure, ratio: '', rss: ['', ''], target, verdict: 'not run'})

/** evt's median time against its baseline's; the goal (none for an extra row) is a ratio of medians. */
function ratioGoal(figure, evtSamples, base, baseName, limit, unit = 's') {
  const scale = unit === 'ms' ? 1000 : 1
  const e = summary(evtSamples)
  const b = summary(base)
  const ratio = e.median / b.median
  goals.push({
    baseline: `${baseName}: ${spread(b, unit, scale)}`,
    evt: spread(e, unit, scale),
    figure,
    ratio: `${ratio.toFixed(2)}×`,
    rss: [mb(e.rss), mb(b.rss)],
    runs: e.runs,
    target: limit === undefined ? '— (extra row, for scale)' : `≤ ${limit}× ${baseName}`,
    verdict: limit === undefined ? '' : ratio <= limit ? 'met' : 'missed',
  })
}

/** evt's highest peak RSS over its runs against a ceiling; the baseline's for scale. */
function rssGoal(figure, evtSamples, base, baseName, limit) {
  const e = summary(evtSamples)
  const b = base && summary(base)
  if (e.rss === undefined) return skipped(figure, `≤ ${limit} MB`, 'no GNU time: not measured')
  goals.push({
    baseline: b ? `${baseName}: ${mb(b.rss)} MB` : '—',
    evt: `${mb(e.rss)} MB (highest of ${e.runs} run${e.runs === 1 ? '' : 's'})`,
    figure,
    ratio: b ? `${(e.rss / b.rss).toFixed(1)}×` : '',
    rss: [mb(e.rss), b ? mb(b.rss) : ''],
    runs: e.runs,
    target: `≤ ${limit} MB`,
    verdict: e.rss <= limit ? 'met' : 'missed',
  })
}

const millions = (events) => `${(events / 1e6).toFixed(2)}M`
/** The largest point of a scale curve well above the goal data set, for the goals' second size. */
const largest = (points, events) => points.filter((p) => p.events > 1.5 * events).at(-1)
const kaf = measured.kafka
const emb = measured.embedded
const kafkaBig = withKafka ? largest(measured.scale.kafka, kaf.events) : undefined
const embeddedBig = largest(measured.scale.embedded, emb.events)
const noKafka = 'BENCH_KAFKA=0: not run'

if (withKafka) rssGoal(`peak RSS, evt topic tail 4 topics --json > /dev/null, ${millions(kaf.events)} events (Kafka)`, kaf.tail.evt, kaf.tail.kcat, 'kcat, 4 topics', 200)
else skipped('peak RSS, evt topic tail 4 topics --json > /dev/null, ~1M events (Kafka)', '≤ 200 MB', noKafka)
if (kafkaBig) rssGoal(`peak RSS, evt topic tail 4 topics --json > /dev/null, ${millions(kafkaBig.events)} events (Kafka, scale curve)`, [kafkaBig.tail], undefined, '', 200)
else skipped('peak RSS, evt topic tail 4 topics, 10M events (Kafka)', '≤ 200 MB', withKafka ? 'not run: the Kafka scale curve (BENCH_KAFKA_SCALE) has no size well above the goal data set' : noKafka)
rssGoal(`peak RSS, evt topic tail 4 topics --json > /dev/null, ${millions(emb.events)} events (embedded)`, emb.tail, undefined, '', 200)
if (embeddedBig) rssGoal(`peak RSS, evt topic tail 4 topics --json > /dev/null, ${millions(embeddedBig.events)} events (embedded, scale curve)`, [embeddedBig.tail], undefined, '', 200)
else skipped('peak RSS, evt topic tail 4 topics, 10M events (embedded)', '≤ 200 MB', 'not run: BENCH_SCALE has no size well above the goal data set')
if (withKafka) rssGoal(`peak RSS, evt rebuild view orders, ${millions(kaf.events)}-event log (Kafka)`, kaf.rebuild.evt, kaf.rebuild.kcat, 'kcat, orders', 250)
else skipped('peak RSS, evt rebuild view orders, ~1M-event log (Kafka)', '≤ 250 MB', noKafka)
rssGoal(`peak RSS, evt rebuild view orders, ${millions(emb.events)}-event log (embedded)`, emb.rebuild, undefined, '', 250)
if (withKafka) {
  ratioGoal(`evt topic tail 4 topics --json > /dev/null, ${millions(kaf.events)} Avro events (Kafka)`, kaf.tail.evt, kaf.tail.kcat, 'kcat, 4 topics', 2)
  ratioGoal('evt topic tail orders --limit 1: time to first record, whole process (Kafka)', kaf.first.evt, kaf.first.node, 'node -e 0', 2.5, 'ms')
  ratioGoal('evt topic tail orders --limit 1: time to first record, whole process (Kafka)', kaf.first.evt, kaf.first.kcat, 'kcat -c 1', undefined, 'ms')
} else {
  skipped('evt topic tail 4 topics --json > /dev/null, ~1M Avro events (Kafka)', '≤ 2× kcat', noKafka)
  skipped('evt topic tail orders --limit 1: time to first record (Kafka)', '≤ 2.5× node -e 0', noKafka)
}

for (const {evt: samples, name, node} of measured.bounded) ratioGoal(`${name} (small embedded log)`, samples, node, 'node -e 0', 2, 'ms')
if (withKafka) ratioGoal(`evt rebuild view orders, ${kaf.ordersEvents} events on orders (Kafka)`, kaf.rebuild.evt, kaf.rebuild.kcat, 'kcat, orders', 2)
else skipped('evt rebuild view orders (Kafka)', '≤ 2× kcat', noKafka)
{
  const rate = summary(emb.tail, (s) => emb.events / s.seconds)
  goals.push({baseline: '—', evt: spread(rate, 'events/s'), figure: `embedded tail rate: evt topic tail 4 topics --json > /dev/null, ${millions(emb.events)} events, whole process`, ratio: '', rss: [mb(rate.rss), ''], runs: rate.runs, target: '≥ 300,000 events/s', verdict: rate.median >= 300_000 ? 'met' : 'missed'})
}

// ---------------------------------------------------------------------------------------------
// The scale curve: one row per backend and command, the sizes side by side.

const scaleCommands = [
  ['demo', 'evt demo (write)', (p) => p.events],
  ['tail', 'evt topic tail 4 topics --json > /dev/null', (p) => p.events],
  ['trace', 'evt trace order ID --no-index (the middle one: a scan)', (p) => p.events],
  ['index', 'evt trace index order --rebuild (the flow index from nothing)', (p) => p.events],
  ['indexedTrace', 'evt trace order ID from the warm index', (p) => p.events],
  ['stalled', 'evt trace order --stalled --older-than 10m from the warm index', (p) => p.events],
  ['catchUp', `evt trace order ID after ${CATCH_UP_EVENTS / 1000}k events appended (the index catches up, then answers; goal ≤ 1 s; events/s counts those ${CATCH_UP_EVENTS / 1000}k)`, () => CATCH_UP_EVENTS],
  ['rebuild', 'evt rebuild view orders', (p) => p.ordersEvents],
  ['export', 'evt topic export 4 topics > file', (p) => p.events],
]
const scaleSizes = [...new Set([...measured.scale.embedded, ...measured.scale.kafka].map((p) => p.size))].sort((a, b) => a - b)
const scaleLines = []
if (scaleSizes.length > 0) {
  scaleLines.push(
    '## Scale curve',
    '',
    `One run of each command per size, on a demo with ${tombstoneRate} tombstones on \`orders\`; events/s counts the events the command reads (the four topics; \`orders\` alone for`,
    '`rebuild view orders`) over the whole process. Time should grow linearly with the log, peak RSS stay flat.',
    '',
    ...[...measured.scale.embedded, ...measured.scale.kafka].map((p) => `- ${p.size}M: ${p.events} events (${p.ordersEvents} on orders, ${p.orders} orders)${p.exportBytes ? `, export ${Math.round(p.exportBytes / 2 ** 20)} MiB` : ''}${measured.scale.kafka.includes(p) ? ', Kafka' : ', embedded'}`),
    '',
    `| command | backend | ${scaleSizes.map((s) => `${s}M: s | ${s}M: events/s | ${s}M: peak RSS MB`).join(' | ')} |`,
    `|---|---|${scaleSizes.map(() => '---:|---:|---:').join('|')}|`,
  )
  for (const [command, label, count] of scaleCommands) {
    for (const [backend, points] of [['embedded', measured.scale.embedded], ['Kafka', measured.scale.kafka]]) {
      if (points.length === 0) continue
      const cells = scaleSizes.map((size) => {
        const p = points.find((q) => q.size === size)
        const s = p?.[command]
        return s ? `${format(s.seconds)} | ${format(count(p) / s.seconds)} | ${mb(s.rss)}` : ' | | '
      })
      scaleLines.push(`| ${label} | ${backend} | ${cells.join(' | ')} |`)
    }
  }

  scaleLines.push('')
}

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const kcatVersion = withKafka ? (spawnSync('kcat', ['-V'], {encoding: 'utf8'}).stdout.match(/Version (\S+)/)?.[1] ?? '?') : 'not run'
/** The model name alone can be generic on a VM ("AMD EPYC"): family, model and stepping say which. */
const cpuDetail = () => {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    const field = (name) => info.match(new RegExp(`^${name}\\s*: (.*)$`, 'm'))?.[1]
    return field('cpu family') ? ` (family ${field('cpu family')}, model ${field('model')}, stepping ${field('stepping') ?? '?'})` : ''
  } catch {
    return ''
  }
}

const minutes = ((Date.now() - began) / 60_000).toFixed(1)
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (`bench/run.js`, see `bench/README.md`): medians with min–max over the runs;',
  'a ratio is the median of evt over the median of its baseline, run alternately in the same run. Every',
  'figure is a whole process timed from outside (start-up included) unless it says otherwise; peak RSS is',
  "GNU time's maximum resident set size of the process (the highest over the runs).",
  '',
  `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}${cpuDetail()}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  `- node ${process.version}, evt ${pkg.version}, kafkajs ${pkg.dependencies.kafkajs}, better-sqlite3 ${pkg.dependencies['better-sqlite3']}, kcat ${kcatVersion}, Kafka 4.1.1 (scripts/kafka)`,
  `- runs per figure: ${runs}; data: \`evt demo --tombstone-rate ${tombstoneRate}\`; date: ${new Date().toISOString()}; the whole run took ${minutes} min`,
  '',
  '## Goals',
  '',
  '| goal | evt | baseline | ratio | target | verdict | evt peak RSS MB | baseline peak RSS MB |',
  '|---|---|---|---:|---|---|---:|---:|',
  ...goals.map((g) => `| ${g.figure} | ${g.evt} | ${g.baseline} | ${g.ratio} | ${g.target} | ${g.verdict} | ${g.rss[0]} | ${g.rss[1]} |`),
  '',
  // The profile and next lever of each missed goal: hand-written, kept next to the bench.
  readFileSync(new URL('missed-goals.md', import.meta.url), 'utf8'),
  '',
  ...scaleLines,
  '## Other figures',
  '',
  '| figure | median | min | max | unit | peak RSS MB | ratio | target | note |',
  '|---|---:|---:|---:|---|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.name} | ${format(r.median)} | ${format(r.min)} | ${format(r.max)} | ${r.unit} | ${mb(r.rss)} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} | ${r.verdict} | ${r.note} |`),
  '',
]
writeFileSync(out, lines.join('\n'))
console.log(`\nwrote ${out} (${minutes} min)`)
