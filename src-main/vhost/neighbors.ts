/**
 * The virtual host's neighbour cache: IP address → MAC address, learned from
 * ARP (RFC 826: the "merge" step updates the sender's entry on every packet
 * addressed to us) and from neighbour discovery (RFC 4861 §7.2.3 and §7.2.5:
 * the source link-layer option of a solicitation, the target link-layer
 * option of an advertisement). A frame for a neighbour whose MAC is unknown
 * waits in a short queue while the cache asks (ARP request, or a solicitation
 * to the solicited-node group) up to `retries` times, `intervalMs` apart —
 * Linux's mcast_solicit 3 and retrans_time 1 s — and then is dropped, as
 * RFC 4861 §7.2.2 says, leaving recovery to TCP's retransmissions. Frames for
 * one neighbour leave in the order they were queued.
 */

export interface NeighborIo {
  /** Send an ARP request or a neighbour solicitation for `ip` (try 1, 2, …). */
  solicit(ip: string, attempt: number): void;
  /** Nobody answered for `ip`; `dropped` queued frames were thrown away. */
  unreachable(ip: string, dropped: number): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Pending {
  queue: Array<(mac: string) => void>;
  tries: number;
  timer: unknown;
}

export class NeighborCache {
  private readonly entries = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private readonly retries: number;
  private readonly intervalMs: number;
  private readonly maxQueue: number;

  constructor(
    private readonly io: NeighborIo,
    opts: { retries?: number; intervalMs?: number; maxQueue?: number; timers?: Timers } = {},
  ) {
    this.retries = opts.retries ?? 3;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.maxQueue = opts.maxQueue ?? 256;
    this.timers = opts.timers ?? REAL_TIMERS;
  }

  private readonly timers: Timers;

  lookup(ip: string): string | undefined {
    return this.entries.get(ip);
  }

  /** Every entry, for display. */
  table(): Array<{ ip: string; mac: string }> {
    return [...this.entries].map(([ip, mac]) => ({ ip, mac }));
  }

  /** Records `ip` at `mac` and sends whatever waited for it. */
  learn(ip: string, mac: string): void {
    this.entries.set(ip, mac);
    const p = this.pending.get(ip);
    if (!p) return;
    this.pending.delete(ip);
    this.timers.clearTimeout(p.timer);
    for (const fn of p.queue) fn(mac);
  }

  /** Runs `fn` with the MAC of `ip` now, or once it is resolved (never, if nobody answers). */
  whenResolved(ip: string, fn: (mac: string) => void): void {
    const p = this.pending.get(ip);
    if (p) {
      if (p.queue.length < this.maxQueue) p.queue.push(fn);
      return;
    }
    const mac = this.entries.get(ip);
    if (mac !== undefined) {
      fn(mac);
      return;
    }
    const entry: Pending = { queue: [fn], tries: 0, timer: null };
    this.pending.set(ip, entry);
    this.ask(ip, entry);
  }

  private ask(ip: string, p: Pending): void {
    if (p.tries >= this.retries) {
      this.pending.delete(ip);
      this.io.unreachable(ip, p.queue.length);
      return;
    }
    p.tries++;
    this.io.solicit(ip, p.tries);
    p.timer = this.timers.setTimeout(() => {
      if (this.pending.get(ip) === p) this.ask(ip, p);
    }, this.intervalMs);
  }

  /** Forgets every queued frame and stops asking. */
  dispose(): void {
    for (const p of this.pending.values()) this.timers.clearTimeout(p.timer);
    this.pending.clear();
  }
}
