/** A binary min-heap; used to merge partitions by timestamp and to emit demo events in time order. */
export class MinHeap<T> {
  private readonly items: T[] = []

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const {items, less} = this
    let child = items.length
    items.push(item)
    while (child > 0) {
      const parent = (child - 1) >> 1
      if (!less(item, items[parent])) break
      items[child] = items[parent]
      child = parent
    }

    items[child] = item
  }

  pop(): T | undefined {
    const {items} = this
    const top = items[0]
    const last = items.pop()
    if (items.length > 0) {
      items[0] = last!
      this.topChanged()
    }

    return top
  }

  /** Restores the order after the top item's priority changed (cheaper than pop + push). */
  topChanged(): void {
    const {items, less} = this
    const item = items[0]
    const {length} = items
    let hole = 0
    for (;;) {
      let child = 2 * hole + 1
      if (child >= length) break
      if (child + 1 < length && less(items[child + 1], items[child])) child++
      if (!less(items[child], item)) break
      items[hole] = items[child]
      hole = child
    }

    items[hole] = item
  }
}
