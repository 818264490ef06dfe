import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

/** Debian's chromium (.ci/run installs it): renders the page headless and prints the DOM it built. */
const CHROMIUM = '/usr/bin/chromium'

describe('evt trace --format html, rendered by a real headless Chromium', () => {
  let cwd: string
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'evt-trace-html-'))
    expect((await runCli(['demo', '--orders', '200'], {cwd})).code).toBe(0)
  })

  const render = (html: string): {console: string[]; dom: string} => {
    const file = path.join(cwd, `page-${Math.random().toString(36).slice(2)}.html`)
    writeFileSync(file, html)
    const run = spawnSync(CHROMIUM, ['--headless=new', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--dump-dom', `file://${file}`], {encoding: 'utf8', timeout: 60_000})
    expect(run.status).toBe(0)
    // Chromium logs each message of the page's console (errors, blocked requests) as a CONSOLE line.
    return {console: run.stderr.split('\n').filter((line) => line.includes(':CONSOLE')), dom: run.stdout}
  }

  it('shows every event of completed, rejected and stalled orders, with no console message and no request', async () => {
    const rejected = (await runCli(['topic', 'tail', 'orders', '--from', 'beginning', '--json'], {cwd})).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((record) => record.type === 'OrderRejected').key
    const stalled = JSON.parse((await runCli(['trace', 'order', '--stalled', '--json'], {cwd})).stdout).stalled[0].id
    for (const id of ['1001', rejected, stalled]) {
      const trace = JSON.parse((await runCli(['trace', 'order', id, '--json'], {cwd})).stdout)
      const page = await runCli(['trace', 'order', id, '--format', 'html'], {cwd})
      expect(page.code).toBe(0)
      expect(page.stdout).not.toMatch(/\b(src|href)="(https?:|\/\/)/)
      const {console, dom} = render(page.stdout)
      expect(console).toEqual([])
      expect(dom.match(/<details class="event"/g)).toHaveLength(trace.events.length)
      for (const event of trace.events) expect(dom).toContain(`${event.topic}[${event.partition}]@${event.offset}`)
      expect(dom).toContain(`<h1>order ${id}: `)
      expect(dom).toContain(trace.verdict.status === 'stalled' ? 'stalled after' : trace.verdict.status)
      if (trace.anomalies.length > 0) expect(dom).toContain('<h2>anomalies</h2>')
    }
  })

  it('the check sees a page that breaks the rules: a console message is reported', () => {
    const {console} = render('<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'"><img src="http://127.0.0.1:9/x.png">')
    expect(console.length).toBeGreaterThan(0)
  })
})
