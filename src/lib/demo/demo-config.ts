import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {CONFIG_FILE_NAME} from '../config/resolve.js'
import type {ClusterConfig} from '../config/types.js'

/** The evt.yaml the demo writes when none exists: the cluster, the `order` flow, the `orders` view and the `order_status` join view. */
export function demoConfigYaml(cluster: ClusterConfig, dir: string): string {
  const clusterLines =
    cluster.kind === 'embedded'
      ? [`  local: { embedded: ${path.relative(dir, cluster.path) || cluster.path} }`, 'default: local']
      : [
          `  ${cluster.name}: { brokers: [${cluster.brokers.join(', ')}]${cluster.registry ? `, registry: ${cluster.registry.url}` : ''} }`,
          `default: ${cluster.name}`,
        ]
  return [
    '# Written by `evt demo`. See the README for every setting.',
    'clusters:',
    ...clusterLines,
    'flows:',
    '  order:                       # evt trace order 1042',
    '    topics:',
    '      orders:    { id: key }   # the record key is the order id',
    '      payments:  { id: $.orderId }',
    '      stock:     { id: $.orderId }',
    '      shipments: { id: $.orderId }',
    '    owners: { orders: orders-service, payments: payment-service, stock: stock-service, shipments: shipping-service }',
    '    ends: [OrderConfirmed, OrderRejected, ShipmentDelivered]',
    'views:',
    '  orders:                      # evt rebuild view orders',
    '    from: [orders]',
    '    table: orders',
    '    key: key',
    '    columns: { order_id: $.orderId, status: $.status, total: $.total, updated_at: $timestamp }',
    '  order_status:                # one row per order, each topic updating its own columns',
    '    key: orderId',
    '    from:',
    '      orders:    { key: key,       columns: { status: $.status, total: $.total } }',
    '      payments:  { key: $.orderId, columns: { payment: $.method, paid_at: $timestamp } }',
    '      shipments: { key: $.orderId, columns: { carrier: $.carrier, delivered_at: $.deliveredAt } }',
    '    deletes: orders              # a tombstone on orders deletes the row',
    '',
  ].join('\n')
}

/** Writes evt.yaml into `dir` unless one is already in force; returns the path written, if any. */
export function writeDemoConfig(cluster: ClusterConfig, dir: string, existing: string | undefined): string | undefined {
  const target = path.join(dir, CONFIG_FILE_NAME)
  if (existing || existsSync(target)) return undefined
  writeFileSync(target, demoConfigYaml(cluster, dir))
  return target
}
