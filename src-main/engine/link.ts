/**
 * A simulated link between two hosts, one state per direction: latency,
 * uniform jitter, bandwidth (serialisation delay with a FIFO so bytes queue),
 * random loss, duplication and reordering (an extra delay that lets later
 * segments overtake), all drawn from a seeded stream per direction, plus
 * deterministic drop rules ("drop the first SYN-ACK from B") that scenarios use
 * to lose exactly the segment a lesson is about.
 */
import { TCP_FLAG, flagBits } from '../../src-shared/tcp';
import { optionBytes } from './options';
import type { Prng } from './prng';
import type { Segment } from './types';

export interface DropRule {
  /** Sending host; any when absent. */
  from?: string;
  /** Exact flag set to match, e.g. ['SYN'] or ['SYN', 'ACK']. */
  flags?: string[];
  /** Match only segments with (true) or without (false) payload. */
  data?: boolean;
  /** Which match to drop first, 1-based (default 1). */
  nth?: number;
  /** How many consecutive matches to drop (default 1). */
  count?: number;
}

export interface LinkParams {
  /** One-way delay in ms. */
  latency?: number;
  /** Extra delay drawn uniformly from [0, jitter) ms. */
  jitter?: number;
  /** Bits per second; 0 or absent for no serialisation delay. */
  bandwidth?: number;
  /** Probability a segment is lost. */
  loss?: number;
  /** Probability a segment is delivered twice. */
  duplicate?: number;
  /** Probability a segment is held back by `reorderDelay`. */
  reorder?: number;
  /** Hold-back for reordered segments, ms (default 2 × latency + 1). */
  reorderDelay?: number;
  drop?: DropRule[];
}

export interface Delivery {
  dropped: boolean;
  dropReason?: string;
  arrive: number | null;
  /** Arrival of a duplicate copy, if the link made one. */
  dupArrive: number | null;
}

interface RuleState {
  rule: DropRule;
  bits: number | null;
  seen: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class LinkDirection {
  private busyUntil = 0;
  private rules: RuleState[];

  constructor(
    readonly from: string,
    readonly to: string,
    readonly params: LinkParams,
    private readonly rng: Prng,
  ) {
    this.rules = (params.drop ?? []).map((rule) => ({
      rule,
      bits: rule.flags ? flagBits(rule.flags) : null,
      seen: 0,
    }));
  }

  /** Decide the fate of a segment sent now; `exempt` segments (injections) skip loss and randomness. */
  carry(now: number, seg: Segment, exempt: boolean): Delivery {
    const p = this.params;
    for (const r of this.rules) {
      if (r.rule.from !== undefined && r.rule.from !== seg.src) continue;
      if (r.bits !== null && r.bits !== (seg.flags & ~TCP_FLAG.PSH) && r.bits !== seg.flags) continue;
      if (r.rule.data !== undefined && r.rule.data !== seg.len > 0) continue;
      r.seen++;
      const first = r.rule.nth ?? 1;
      if (r.seen >= first && r.seen < first + (r.rule.count ?? 1)) {
        return { dropped: true, dropReason: 'rule', arrive: null, dupArrive: null };
      }
    }
    if (!exempt && p.loss && this.rng.next() < p.loss)
      return { dropped: true, dropReason: 'loss', arrive: null, dupArrive: null };
    const latency = p.latency ?? 0;
    let start = now;
    if (p.bandwidth && p.bandwidth > 0) {
      const bytes = 40 + optionBytes(seg.options) + seg.len;
      start = Math.max(now, this.busyUntil) + (bytes * 8 * 1000) / p.bandwidth;
      this.busyUntil = start;
    }
    let delay = latency;
    if (!exempt) {
      if (p.jitter) delay += this.rng.next() * p.jitter;
      if (p.reorder && this.rng.next() < p.reorder) delay += p.reorderDelay ?? 2 * latency + 1;
    }
    const arrive = round3(start + delay);
    let dupArrive: number | null = null;
    if (!exempt && p.duplicate && this.rng.next() < p.duplicate) {
      dupArrive = round3(arrive + (p.jitter ? this.rng.next() * p.jitter : 0) + 0.001);
    }
    return { dropped: false, arrive, dupArrive };
  }
}

export class Link {
  readonly ab: LinkDirection;
  readonly ba: LinkDirection;

  constructor(
    readonly a: string,
    readonly b: string,
    params: LinkParams,
    rngAB: Prng,
    rngBA: Prng,
    paramsBA?: LinkParams,
  ) {
    this.ab = new LinkDirection(a, b, params, rngAB);
    this.ba = new LinkDirection(b, a, paramsBA ?? params, rngBA);
  }

  direction(from: string): LinkDirection {
    return from === this.a ? this.ab : this.ba;
  }
}
