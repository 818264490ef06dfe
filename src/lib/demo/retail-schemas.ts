/**
 * The demo's retail domain: one Avro record schema per event type, registered under
 * TopicRecordNameStrategy (`<topic>-<full record name>`).
 */
export const RETAIL_NAMESPACE = 'retail'

export interface RetailEventType {
  fields: unknown[]
  name: string
  source: string
  topic: 'orders' | 'payments' | 'shipments' | 'stock'
}

const orderId = {doc: 'The order this event belongs to', name: 'orderId', type: 'string'}
const status = {name: 'status', type: 'string'}
const total = {name: 'total', type: 'double'}

export const RETAIL_EVENT_TYPES: RetailEventType[] = [
  {
    fields: [
      orderId,
      {name: 'customerId', type: 'string'},
      status,
      total,
      {name: 'currency', type: 'string'},
      {
        name: 'items',
        type: {
          items: {
            fields: [
              {name: 'sku', type: 'string'},
              {name: 'quantity', type: 'int'},
              {name: 'unitPrice', type: 'double'},
            ],
            name: 'OrderLine',
            type: 'record',
          },
          type: 'array',
        },
      },
    ],
    name: 'OrderRequested',
    source: 'orders-service',
    topic: 'orders',
  },
  {fields: [orderId, status, total], name: 'OrderValidated', source: 'orders-service', topic: 'orders'},
  {fields: [orderId, status, total, {name: 'reason', type: 'string'}], name: 'OrderRejected', source: 'orders-service', topic: 'orders'},
  {fields: [orderId, status, total, {name: 'paymentId', type: 'string'}], name: 'OrderConfirmed', source: 'orders-service', topic: 'orders'},
  {
    fields: [orderId, {name: 'paymentId', type: 'string'}, {name: 'amount', type: 'double'}, {name: 'method', type: 'string'}],
    name: 'PaymentProcessed',
    source: 'payment-service',
    topic: 'payments',
  },
  {
    fields: [orderId, {name: 'paymentId', type: 'string'}, {name: 'amount', type: 'double'}, {name: 'reason', type: 'string'}],
    name: 'PaymentFailed',
    source: 'payment-service',
    topic: 'payments',
  },
  {
    fields: [
      orderId,
      {name: 'warehouse', type: 'string'},
      {name: 'skus', type: {items: 'string', type: 'array'}},
    ],
    name: 'StockReserved',
    source: 'stock-service',
    topic: 'stock',
  },
  {
    fields: [
      orderId,
      {name: 'warehouse', type: 'string'},
      {name: 'sku', type: 'string'},
      {name: 'requested', type: 'int'},
      {name: 'available', type: 'int'},
    ],
    name: 'StockShortage',
    source: 'stock-service',
    topic: 'stock',
  },
  {
    fields: [orderId, {name: 'shipmentId', type: 'string'}, {name: 'carrier', type: 'string'}, {name: 'trackingCode', type: 'string'}],
    name: 'ShipmentDispatched',
    source: 'shipping-service',
    topic: 'shipments',
  },
  {
    fields: [orderId, {name: 'shipmentId', type: 'string'}, {name: 'deliveredAt', type: {logicalType: 'timestamp-millis', type: 'long'}}],
    name: 'ShipmentDelivered',
    source: 'shipping-service',
    topic: 'shipments',
  },
]

export const RETAIL_TOPICS = ['orders', 'payments', 'stock', 'shipments'] as const
export const RETAIL_PARTITIONS = 6

export function avroSchemaOf(type: RetailEventType): string {
  return JSON.stringify({fields: type.fields, name: type.name, namespace: RETAIL_NAMESPACE, type: 'record'})
}
