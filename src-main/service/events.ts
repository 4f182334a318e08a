/**
 * Batches service events for the bridge: listeners get arrays of events at
 * most every `intervalMs` (about one frame) or when `maxBatch` events are
 * waiting, never one message per packet. The timer lives here, in the
 * service layer, not in the engine or tracker.
 */
import type { EventListener, LabEvent } from '../../src-shared/contract';

export class EventBatcher {
  private readonly listeners = new Set<EventListener>();
  private pending: LabEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly intervalMs = 16,
    private readonly maxBatch = 4000,
  ) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LabEvent): void {
    this.pending.push(event);
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch {
        // A failing subscriber (a closed socket) must not stop the others.
      }
    }
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.listeners.clear();
  }
}
