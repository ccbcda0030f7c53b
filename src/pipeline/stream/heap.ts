/**
 * A binary min-heap of items ordered by a number (`at`). Used for the join decisions of the
 * stream processor: O(log n) per push and pop, no scans.
 */
export class MinHeap<T> {
  private keys: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  peekKey(): number {
    return this.keys.length ? this.keys[0]! : Infinity;
  }

  push(key: number, item: T): void {
    const k = this.keys,
      it = this.items;
    let i = k.length;
    k.push(key);
    it.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      it[i] = it[p]!;
      i = p;
    }
    k[i] = key;
    it[i] = item;
  }

  /** removes and returns the item with the smallest key (undefined when empty) */
  pop(): T | undefined {
    const k = this.keys,
      it = this.items;
    if (!k.length) return undefined;
    const top = it[0];
    const lastKey = k.pop()!;
    const lastItem = it.pop()!;
    const n = k.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && k[r]! < k[l]! ? r : l;
        if (k[c]! >= lastKey) break;
        k[i] = k[c]!;
        it[i] = it[c]!;
        i = c;
      }
      k[i] = lastKey;
      it[i] = lastItem;
    }
    return top;
  }
}
