#!/usr/bin/env node
// npm run bench: measures evt on the embedded backend and writes BENCHMARKS.md.
// Each figure is the median of several runs in this same process tree, with its spread.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir, totalmem} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin/run.js')
const runs = Number(process.env.BENCH_RUNS ?? 3)
const orders = Number(process.env.BENCH_ORDERS ?? 250_000)

function timed(args, options) {
  const began = process.hrtime.bigint()
  const result = spawnSync(bin, args, {maxBuffer: 1 << 30, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'], ...options})
  if (result.status !== 0) throw new Error(`evt ${args.join(' ')} failed: ${result.stderr}`)
  return {result, seconds: Number(process.hrtime.bigint() - began) / 1e9}
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return {max: sorted.at(-1), median: sorted[Math.floor(sorted.length / 2)], min: sorted[0]}
}

const rows = []
function report(name, unit, values, note = '') {
  const {max, median, min} = summary(values)
  const row = {max, median, min, name, note, unit}
  rows.push(row)
  console.log(`${name}: ${format(median)} ${unit} (min ${format(min)}, max ${format(max)}, ${values.length} runs)${note ? ` — ${note}` : ''}`)
}

const format = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(3))

// 1. evt demo write rate into the embedded log (events/s as reported by evt itself).
let seeded
const writeRates = []
for (let i = 0; i < runs; i++) {
  const home = mkdtempSync(path.join(tmpdir(), 'evt-bench-'))
  const {result} = timed(['demo', '--orders', String(orders), '--json'], {cwd: home, env: {...process.env, EVT_HOME: path.join(home, '.evt')}, stdout: 'pipe'})
  const demo = JSON.parse(result.stdout)
  writeRates.push(demo.events / demo.seconds)
  if (seeded) rmSync(home, {force: true, recursive: true})
  else seeded = {events: demo.events, home}
}

report(`evt demo --orders ${orders} (embedded write)`, 'events/s', writeRates, 'target ≥ 100,000')

// 2. evt topic tail of every demo topic as JSON lines, into /dev/null.
const env = {...process.env, EVT_HOME: path.join(seeded.home, '.evt')}
const tailRates = []
for (let i = 0; i < runs; i++) {
  const {seconds} = timed(['topic', 'tail', 'orders', 'payments', 'stock', 'shipments', '--from', 'beginning', '--json'], {cwd: seeded.home, env})
  tailRates.push(seeded.events / seconds)
}

report(`evt topic tail (4 topics, ${seeded.events} events, --json > /dev/null, embedded)`, 'events/s', tailRates)

// 3. evt trace of an order at the start, middle and end of the log (every record of 4 topics is scanned).
const firstOrder = 1001
for (const [label, id] of [['start', firstOrder], ['middle', firstOrder + Math.floor(orders / 2)], ['end', firstOrder + orders - 1]]) {
  const times = []
  for (let i = 0; i < runs; i++) times.push(timed(['trace', 'order', String(id), '--json'], {cwd: seeded.home, env}).seconds)
  report(`evt trace order ${id} (${label}, ${seeded.events} events, embedded)`, 's', times)
}

// 4. Cold start of the CLI.
const helpTimes = []
for (let i = 0; i < Math.max(runs, 5); i++) helpTimes.push(timed(['--help'], {cwd: seeded.home}).seconds * 1000)
report('evt --help', 'ms', helpTimes, 'target ≤ 300')
rmSync(seeded.home, {force: true, recursive: true})

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (`bench/run.js`); medians with min–max over the runs shown.',
  '',
  `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  `- node ${process.version}, evt ${pkg.version}, kafkajs ${pkg.dependencies.kafkajs}, better-sqlite3 ${pkg.dependencies['better-sqlite3']}`,
  `- date: ${new Date().toISOString()}`,
  '',
  '| figure | median | min | max | unit | note |',
  '|---|---:|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.name} | ${format(r.median)} | ${format(r.min)} | ${format(r.max)} | ${r.unit} | ${r.note} |`),
  '',
]
writeFileSync(path.join(root, 'BENCHMARKS.md'), lines.join('\n'))
console.log('wrote BENCHMARKS.md')
