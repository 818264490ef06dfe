import {describe, expect, it} from 'vitest'

import type {FlowConfig} from '../../../src/lib/config/types.js'
import {parseIdLocator} from '../../../src/lib/config/locator.js'
import {flowGraph} from '../../../src/lib/flows/flow-graph.js'
import {formatFlowGraphMermaid, formatFlowGraphText} from '../../../src/ui/flow-graph-format.js'
import {useEmbeddedBackend} from '../../helpers/embedded-backend.js'

describe('flowGraph', () => {
  const openBackend = useEmbeddedBackend()
  const flow: FlowConfig = {
    ends: [],
    owners: {orders: 'orders-service', payments: 'payment "svc"'},
    topics: {missing: {id: parseIdLocator('key')}, orders: {id: parseIdLocator('key')}, payments: {id: parseIdLocator('$.orderId')}},
  }

  it('names each topic’s owner and the groups that read it with their lag; Mermaid parses the picture', async () => {
    const {log} = await openBackend()
    await log.createTopic('orders', {partitions: 2})
    await log.createTopic('payments', {partitions: 1})
    const produced = await log.produce([
      {key: Buffer.from('a'), partition: 0, topic: 'orders', value: Buffer.from('{}')},
      {key: Buffer.from('b'), partition: 0, topic: 'orders', value: Buffer.from('{}')},
      {key: Buffer.from('c'), partition: 1, topic: 'orders', value: Buffer.from('{}')},
      {key: Buffer.from('d'), topic: 'payments', value: Buffer.from('{}')},
    ])
    expect(produced.map((record) => record.offset)).toEqual([0, 1, 0, 0])
    await log.commitGroupOffsets('billing', [
      {offset: 2, partition: 0, topic: 'orders'},
      {offset: 1, partition: 1, topic: 'orders'},
    ])
    await log.commitGroupOffsets('audit', [{offset: 1, partition: 0, topic: 'orders'}])
    // A group on two topics: each topic counts only its own partitions' lag.
    await log.commitGroupOffsets('billing', [{offset: 0, partition: 0, topic: 'payments'}])

    const graph = await flowGraph({flow, flowName: 'order', log})
    expect(graph).toEqual({
      flow: 'order',
      topics: [
        {exists: false, readers: [], topic: 'missing', writer: null},
        // audit committed only partition 0, one record short of it.
        {exists: true, readers: [{group: 'audit', lag: 1}, {group: 'billing', lag: 0}], topic: 'orders', writer: 'orders-service'},
        {exists: true, readers: [{group: 'billing', lag: 1}], topic: 'payments', writer: 'payment "svc"'},
      ],
    })
    expect(formatFlowGraphText(graph).split('\n')).toEqual([
      'flow order: who writes each topic (owners in evt.yaml), and which consumer groups read it',
      '    (no owner) → missing → not in the cluster',
      'orders-service → orders → audit (1 behind), billing (up to date)',
      ' payment "svc" → payments → billing (1 behind)',
    ])

    // Mermaid's parser needs a DOM (DOMPurify) even to parse: jsdom provides one.
    const {JSDOM} = await import('jsdom')
    const dom = new JSDOM('<!doctype html><html><body></body></html>')
    Object.assign(globalThis, {document: dom.window.document, window: dom.window})
    const {default: mermaid} = await import('mermaid')
    const diagram = formatFlowGraphMermaid(graph)
    await expect(mermaid.parse(diagram)).resolves.toMatchObject({diagramType: 'flowchart-v2'})
    expect(diagram).toContain('-.->|"1 behind"|')
    expect(diagram).toContain('#quot;svc#quot;')
  })
})
