/**
 * The discrete-event queue behind the virtual clock: a binary min-heap of
 * items ordered by time and, for equal times, by insertion order, so that a
 * run is a pure function of its inputs (same seed, same trace). The simulation
 * pops items, sets the clock to their time and runs them; nothing here knows
 * about TCP.
 */

export class QueueItem<T> {
  constructor(
    public t: number,
    public order: number,
    public value: T,
  ) {}
}

export class EventQueue<T> {
  private heap: QueueItem<T>[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(t: number, value: T): QueueItem<T> {
    const item = new QueueItem(t, this.counter++, value);
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(item, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
    return item;
  }

  peek(): QueueItem<T> | undefined {
    return this.heap[0];
  }

  pop(): QueueItem<T> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as QueueItem<T>;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.less(h[r], h[l]) ? r : l;
        if (!this.less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  private less(a: QueueItem<T>, b: QueueItem<T>): boolean {
    return a.t < b.t || (a.t === b.t && a.order < b.order);
  }
}
