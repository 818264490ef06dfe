import {SeededRandom} from './random.js'

/** One event of the demo, before encoding. */
export interface RetailEvent {
  key: string
  orderId: string
  /** Order of generation, to break timestamp ties deterministically. */
  seq: number
  timestamp: number
  topic: 'orders' | 'payments' | 'shipments' | 'stock'
  type: string
  value: Record<string, unknown>
}

/** What happens to an order; the share of each matches the demo's promise (issue #2). */
export type OrderOutcome = 'completed' | 'rejected-payment' | 'rejected-stock' | 'stalled'

export interface GeneratedOrder {
  duplicated: boolean
  events: RetailEvent[]
  orderId: string
  outcome: OrderOutcome
  /** How many tombstones were appended on the order's key (0 when it was not deleted). */
  tombstones: number
}

const SKUS = ['SKU-KETTLE', 'SKU-TOASTER', 'SKU-MUG', 'SKU-TEAPOT', 'SKU-GRINDER', 'SKU-SCALE', 'SKU-FILTER', 'SKU-BEANS']
const PRICES: Record<string, number> = {
  'SKU-BEANS': 12.5,
  'SKU-FILTER': 4.99,
  'SKU-GRINDER': 89,
  'SKU-KETTLE': 39.9,
  'SKU-MUG': 8.5,
  'SKU-SCALE': 24.95,
  'SKU-TEAPOT': 29,
  'SKU-TOASTER': 54.2,
}
const WAREHOUSES = ['AMS-1', 'BER-2', 'MAD-1']
const CARRIERS = ['DHL', 'UPS', 'PostNL']
const METHODS = ['card', 'paypal', 'ideal']

/** A rate near 1 asks for unboundedly many tombstones per order: this many at most. */
export const MAX_TOMBSTONES_PER_ORDER = 1000

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

export const FIRST_ORDER_ID = 1001
/** Average gap between two orders being placed. */
export const ORDER_GAP_MS = 3 * SECOND

/**
 * Generates one order's flow: requested → stock → validated → payment → confirmed → shipped →
 * delivered, with ~5% stalled (no payment), ~5% rejected for stock, ~2% rejected for payment,
 * ~1% with a duplicated event and ~0.5% deleted later by a tombstone. With `tombstoneRate` r,
 * any order may be deleted and about r of the `orders` records are tombstones instead (see
 * tombstoneCount).
 */
export function generateOrder(random: SeededRandom, index: number, start: number, nextSeq: () => number, tombstoneRate?: number): GeneratedOrder {
  const orderId = String(FIRST_ORDER_ID + index)
  const events: RetailEvent[] = []
  let clock = start
  const emit = (topic: RetailEvent['topic'], type: string, key: string, value: Record<string, unknown>, afterMs: number) => {
    clock += afterMs
    events.push({key, orderId, seq: nextSeq(), timestamp: clock, topic, type, value: {orderId, ...value}})
  }

  const lineCount = random.int(1, 3)
  const items = Array.from({length: lineCount}, () => {
    const sku = random.pick(SKUS)
    return {quantity: random.int(1, 4), sku, unitPrice: PRICES[sku]}
  })
  const total = Math.round(items.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0) * 100) / 100
  const customerId = `C-${String(random.int(1, 5000)).padStart(5, '0')}`
  const warehouse = random.pick(WAREHOUSES)
  const roll = random.next()
  const outcome: OrderOutcome = roll < 0.05 ? 'rejected-stock' : roll < 0.1 ? 'stalled' : roll < 0.12 ? 'rejected-payment' : 'completed'

  emit('orders', 'OrderRequested', orderId, {currency: 'EUR', customerId, items, status: 'REQUESTED', total}, 0)
  if (outcome === 'rejected-stock') {
    const short = items[0]
    emit('stock', 'StockShortage', warehouse, {available: 0, requested: short.quantity, sku: short.sku, warehouse}, random.int(200, 2000))
    emit('orders', 'OrderRejected', orderId, {reason: `stock shortage: ${short.sku}`, status: 'REJECTED', total}, random.int(100, 1000))
  } else {
    emit('stock', 'StockReserved', warehouse, {skus: items.map((line) => line.sku), warehouse}, random.int(200, 2000))
    emit('orders', 'OrderValidated', orderId, {status: 'VALIDATED', total}, random.int(100, 500))
    const paymentId = `P-${orderId}`
    if (outcome === 'rejected-payment') {
      emit('payments', 'PaymentFailed', paymentId, {amount: total, paymentId, reason: 'card declined'}, random.int(SECOND, 10 * SECOND))
      emit('orders', 'OrderRejected', orderId, {reason: 'payment failed: card declined', status: 'REJECTED', total}, random.int(100, 1000))
    } else if (outcome === 'completed') {
      emit('payments', 'PaymentProcessed', paymentId, {amount: total, method: random.pick(METHODS), paymentId}, random.int(SECOND, 10 * SECOND))
      emit('orders', 'OrderConfirmed', orderId, {paymentId, status: 'CONFIRMED', total}, random.int(100, 1000))
      const shipmentId = `S-${orderId}`
      const carrier = random.pick(CARRIERS)
      emit('shipments', 'ShipmentDispatched', shipmentId, {carrier, shipmentId, trackingCode: `${carrier}-${random.int(100_000, 999_999)}`}, random.int(10 * MINUTE, 4 * HOUR))
      const deliveredAfter = random.int(2 * HOUR, 36 * HOUR)
      emit('shipments', 'ShipmentDelivered', shipmentId, {deliveredAt: clock + deliveredAfter, shipmentId}, deliveredAfter)
    }
  }

  // A producer retry that published the same event twice: same payload, a little later.
  const duplicated = random.chance(0.01) && events.length > 1
  if (duplicated) {
    const original = events[random.int(1, events.length - 1)]
    events.push({...original, seq: nextSeq(), timestamp: original.timestamp + random.int(50, 500)})
  }

  // GDPR-style deletion of a finished order: a tombstone on its key, days later. Without a rate
  // the draws are the ones the demo always made, so its log stays byte-identical for a seed.
  const tombstones =
    tombstoneRate === undefined
      ? Number(outcome === 'completed' && random.chance(0.005))
      : tombstoneCount(random, events.filter((event) => event.topic === 'orders').length, tombstoneRate)
  let deletedAt = clock
  for (let i = 0; i < tombstones; i++) {
    // A deleter that retried: the next tombstones on the same key follow within the hour.
    deletedAt += i === 0 ? random.int(24 * HOUR, 72 * HOUR) : random.int(SECOND, HOUR)
    events.push({key: orderId, orderId, seq: nextSeq(), timestamp: deletedAt, topic: 'orders', type: 'tombstone', value: {}})
  }

  return {duplicated, events, orderId, outcome, tombstones}
}

/**
 * How many tombstones follow an order with `records` records on `orders`, so that over many orders
 * about `rate` of the `orders` records are tombstones: r·m / (1 − r) on average (the whole part
 * always, one more with the chance of the fraction). A rate of 0.05 deletes about one order in 6–7
 * with one tombstone; from about 0.25 on every order is deleted, some more than once.
 */
export function tombstoneCount(random: SeededRandom, records: number, rate: number): number {
  const expected = rate >= 1 ? MAX_TOMBSTONES_PER_ORDER : Math.min(MAX_TOMBSTONES_PER_ORDER, (records * rate) / (1 - rate))
  const whole = Math.floor(expected)
  return whole + Number(random.chance(expected - whole))
}
