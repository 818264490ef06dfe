import type {RetailEvent} from './retail-flow.js'

const BUCKET_MS = 60_000

function before(a: RetailEvent, b: RetailEvent): number {
  return a.timestamp - b.timestamp || a.seq - b.seq
}

/**
 * Holds generated events until every earlier one is known, then releases them in time order.
 * Minute buckets instead of one heap: the demo keeps ~two days of future events pending, and
 * bucketing makes each release O(bucket) rather than O(log pending).
 */
export class TimeOrderedQueue {
  private readonly buckets = new Map<number, RetailEvent[]>()
  private nextBucket = Number.NaN

  push(event: RetailEvent): void {
    const bucket = Math.floor(event.timestamp / BUCKET_MS)
    if (Number.isNaN(this.nextBucket) || bucket < this.nextBucket) this.nextBucket = bucket
    const events = this.buckets.get(bucket)
    if (events) events.push(event)
    else this.buckets.set(bucket, [event])
  }

  /** Removes and returns, in (timestamp, seq) order, every event earlier than `limit`. */
  drainBefore(limit: number): RetailEvent[] {
    const out: RetailEvent[] = []
    while (this.buckets.size > 0 && this.nextBucket * BUCKET_MS < limit) {
      const events = this.buckets.get(this.nextBucket)
      if (events) {
        events.sort(before)
        let taken = 0
        while (taken < events.length && events[taken].timestamp < limit) out.push(events[taken++])
        if (taken < events.length) {
          events.splice(0, taken)
          break
        }

        this.buckets.delete(this.nextBucket)
      }

      this.nextBucket++
    }

    return out
  }
}
