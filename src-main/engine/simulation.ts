/**
 * The simulation: a discrete-event virtual clock (a priority queue of
 * deliveries, TCB wake-ups and application callbacks) that owns hosts and
 * links and emits the trace — segment, state, socket and note events — so
 * the same seed always gives the same trace. It steps one event at a time or
 * runs until a time, and lets a learner inject a crafted segment (SYN, FIN,
 * RST …) whose numbers come from the target TCB: exact (= RCV.NXT), in-window,
 * out-of-window, or typed in.
 */
import { seqAdd } from '../../src-shared/seqnum';
import { TCP_FLAG, flagBits, flagNames } from '../../src-shared/tcp';
import { Host, type HostOptions } from './host';
import { Link, type LinkParams } from './link';
import { Prng } from './prng';
import type { Tcb } from './tcb';
import { EventQueue } from './queue';
import { segmentEventHead } from './options';
import {
  DEFAULT_TCP,
  type Explain,
  type Segment,
  type SegmentEvent,
  type SimEvent,
  type TcpConfig,
} from './types';

export interface SimulationOptions {
  seed?: number;
  /** Keep every event in `events` (default true). */
  record?: boolean;
  /** TCP settings every host starts from. */
  tcp?: Partial<TcpConfig>;
}

export type SeqMode = 'exact' | 'in-window' | 'out-of-window' | number;

export interface InjectSpec {
  /** Host whose address the segment claims to come from. */
  from: string;
  /** Host that receives it (default: the peer of `from`'s newest connection). */
  to?: string;
  flags: string[];
  /** How SEQ is chosen against the receiver's window (default `exact`, i.e. RCV.NXT). */
  seqMode?: SeqMode;
  /** ACK number: default the receiver's SND.NXT when ACK is set. */
  ack?: number;
  /** `from`'s port and `to`'s port; default: the newest connection between them. */
  sport?: number;
  dport?: number;
  /** Payload bytes (pattern). */
  len?: number;
  win?: number;
  /** Replace the explanation text. */
  text?: string;
}

type Item =
  { kind: 0; host: Host; seg: Segment } | { kind: 1; host: Host; tcb: Tcb } | { kind: 2; fn: () => void };

export class Simulation {
  readonly seed: number;
  readonly rng: Prng;
  readonly tcp: TcpConfig;
  readonly hosts = new Map<string, Host>();
  readonly links: Link[] = [];
  readonly events: SimEvent[] = [];
  now = 0;
  /** Queue items processed so far (the unit of `step`). */
  steps = 0;
  readonly stats = { segments: 0, delivered: 0, dropped: 0 };
  private readonly queue = new EventQueue<Item>();
  private readonly listeners: Array<(ev: SimEvent) => void> = [];
  private readonly record: boolean;
  private linkOf = new Map<string, Link>();
  private segId = 0;

  constructor(opts: SimulationOptions = {}) {
    this.seed = (opts.seed ?? 1) >>> 0;
    this.rng = new Prng(this.seed);
    this.record = opts.record ?? true;
    this.tcp = { ...DEFAULT_TCP, ...(opts.tcp ?? {}) };
  }

  get observed(): boolean {
    return this.record || this.listeners.length > 0;
  }

  addHost(name: string, opts: HostOptions = {}): Host {
    if (this.hosts.has(name)) throw new RangeError(`there is already a host named "${name}"`);
    const h = new Host(
      this,
      name,
      this.rng.fork(`host:${name}`),
      { address: `10.0.0.${this.hosts.size + 1}`, ...opts },
      this.tcp,
    );
    this.hosts.set(name, h);
    return h;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h)
      throw new RangeError(
        `no host named "${name}"; hosts are ${[...this.hosts.keys()].join(', ') || 'none'}`,
      );
    return h;
  }

  hostAddress(name: string): string {
    return this.hosts.get(name)?.address ?? name;
  }

  /** Connect two hosts; `paramsBA` gives the reverse direction its own parameters. */
  addLink(a: string, b: string, params: LinkParams = {}, paramsBA?: LinkParams): Link {
    this.host(a);
    this.host(b);
    const l = new Link(
      a,
      b,
      params,
      this.rng.fork(`link:${a}>${b}`),
      this.rng.fork(`link:${b}>${a}`),
      paramsBA,
    );
    this.links.push(l);
    this.linkOf.set(`${a}\n${b}`, l);
    this.linkOf.set(`${b}\n${a}`, l);
    return l;
  }

  /** Subscribe to events; returns the unsubscribe function. */
  on(fn: (ev: SimEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Run `fn` at virtual time `t` (an application action). */
  at(t: number, fn: () => void): void {
    if (t < this.now)
      throw new RangeError(`cannot schedule at ${t} ms: the clock is already at ${this.now} ms`);
    this.queue.push(t, { kind: 2, fn });
  }

  defer(fn: () => void): void {
    this.queue.push(this.now, { kind: 2, fn });
  }

  /** Time of the next pending event, Infinity when idle. */
  nextTime(): number {
    return this.queue.peek()?.t ?? Infinity;
  }

  /** Process one queued event; false when there is nothing left. */
  step(limit = Infinity): boolean {
    for (;;) {
      const head = this.queue.peek();
      if (!head || head.t > limit) return false;
      const item = this.queue.pop() as NonNullable<typeof head>;
      const v = item.value;
      if (v.kind === 1) {
        if (v.tcb.wakeAt !== item.t || v.tcb.state === 'CLOSED') continue; // superseded wake-up
        v.tcb.wakeAt = Infinity;
      }
      this.now = item.t;
      this.steps++;
      if (v.kind === 0) {
        this.stats.delivered++;
        v.host.receive(v.seg);
      } else if (v.kind === 1) v.host.wake(v.tcb);
      else v.fn();
      return true;
    }
  }

  /** Process every event up to and including time `t`, then set the clock to `t`. */
  runUntil(t: number): void {
    while (this.step(t));
    if (t > this.now && Number.isFinite(t)) this.now = t;
  }

  /** Run until idle (or `until`, or `maxSteps` events). */
  run(opts: { until?: number; maxSteps?: number } = {}): void {
    const until = opts.until ?? Infinity;
    const max = opts.maxSteps ?? Infinity;
    let n = 0;
    while (n < max && this.step(until)) n++;
  }

  // ---- used by hosts ----

  arm(host: Host, tcb: Tcb): void {
    const due = Math.min(tcb.rtoAt, tcb.delackAt, tcb.persistAt, tcb.keepAt, tcb.twAt, tcb.fw2At);
    if (due < tcb.wakeAt) {
      tcb.wakeAt = due;
      this.queue.push(Math.max(due, this.now), { kind: 1, host, tcb });
      if (due < this.now) tcb.wakeAt = this.now;
    }
  }

  transmit(seg: Segment): void {
    this.send(seg, false);
  }

  emit(ev: SimEvent): void {
    if (this.record) this.events.push(ev);
    for (const fn of this.listeners) fn(ev);
  }

  private send(seg: Segment, injected: boolean): SegmentEvent | null {
    const link = this.linkOf.get(`${seg.src}\n${seg.dst}`);
    if (!link) throw new RangeError(`no link between ${seg.src} and ${seg.dst}`);
    const dst = this.host(seg.dst);
    this.stats.segments++;
    let d = link.direction(seg.src).carry(this.now, seg, injected);
    if (!d.dropped && dst.filtered.has(seg.dstPort))
      d = { dropped: true, dropReason: 'filtered', arrive: null, dupArrive: null };
    if (d.dropped) this.stats.dropped++;
    else {
      this.queue.push(d.arrive as number, { kind: 0, host: dst, seg });
      if (d.dupArrive !== null) this.queue.push(d.dupArrive, { kind: 0, host: dst, seg });
    }
    if (!this.observed) return null;
    const ev: SegmentEvent = {
      ...segmentEventHead(seg, this.now, this.segId++),
      dropped: d.dropped,
      arrive: d.arrive,
      explain: seg.explain,
    };
    if (d.dropReason) ev.dropReason = d.dropReason;
    if (injected) ev.injected = true;
    this.emit(ev);
    if (d.dupArrive !== null) {
      this.emit({
        ...ev,
        id: this.segId++,
        arrive: d.dupArrive,
        duplicate: true,
        explain: {
          rule: 'link-duplicate',
          rfc: 'RFC 9293 §3.10.7.4',
          text: 'The link delivered this segment twice',
        },
      });
    }
    return ev;
  }

  /**
   * Craft a segment as if `from` sent it, with numbers taken from the receiving
   * TCB (exact = its RCV.NXT), and send it over the link (no loss, no jitter).
   */
  inject(spec: InjectSpec): SegmentEvent | null {
    const from = this.host(spec.from);
    const bits = flagBits(spec.flags);
    let toName = spec.to;
    let sport = spec.sport;
    let dport = spec.dport;
    const fromTcb = this.findConn(from, toName, sport, dport);
    if (fromTcb) {
      toName ??= fromTcb.ends.remoteHost;
      sport ??= fromTcb.ends.localPort;
      dport ??= fromTcb.ends.remotePort;
    }
    if (!toName) throw new RangeError(`inject from ${spec.from}: say which host to send to ("to")`);
    const to = this.host(toName);
    if (sport === undefined || dport === undefined) {
      const t = this.findConn(to, spec.from, dport, sport);
      sport ??= t?.ends.remotePort;
      dport ??= t?.ends.localPort;
    }
    if (sport === undefined || dport === undefined) {
      throw new RangeError(
        `inject from ${spec.from} to ${toName}: there is no connection between them; give sport and dport`,
      );
    }
    const target = to.conns.get(`${dport}|${spec.from}|${sport}`) ?? null;
    const mode = spec.seqMode ?? 'exact';
    let seq: number;
    let how: string;
    if (typeof mode === 'number') {
      seq = mode >>> 0;
      how = `SEQ ${seq} as typed`;
    } else if (target) {
      const wnd = target.rcvWnd;
      if (mode === 'exact') {
        seq = target.rcvNxt;
        how = `SEQ = ${toName}'s RCV.NXT (${seq}), an exact match`;
      } else if (mode === 'in-window') {
        seq = seqAdd(target.rcvNxt, Math.max(1, Math.floor(wnd / 2)));
        how = `SEQ ${seq}, inside ${toName}'s window but not RCV.NXT (${target.rcvNxt})`;
      } else {
        seq = seqAdd(target.rcvNxt, wnd + 0x4000_0000);
        how = `SEQ ${seq}, far outside ${toName}'s window`;
      }
    } else if (fromTcb) {
      seq = fromTcb.sndNxt;
      how = `SEQ = ${spec.from}'s SND.NXT (${seq}); ${toName} has no matching connection`;
    } else {
      seq = this.rng.fork(`inject:${this.segId}`).u32();
      how = `a random SEQ ${seq}`;
    }
    const ack = bits & TCP_FLAG.ACK ? (spec.ack ?? target?.sndNxt ?? fromTcb?.rcvNxt ?? 0) >>> 0 : 0;
    const len = spec.len ?? 0;
    const names = flagNames(bits).join(',');
    const explain: Explain = {
      rule: 'injected',
      rfc: bits & TCP_FLAG.RST ? 'RFC 5961 §3' : bits & TCP_FLAG.SYN ? 'RFC 5961 §4' : 'RFC 9293 §3.10.7.4',
      text:
        spec.text ?? `Injected by the learner: ${names} claiming to come from ${spec.from}:${sport}, ${how}`,
    };
    const seg: Segment = {
      src: spec.from,
      dst: toName,
      srcPort: sport,
      dstPort: dport,
      seq,
      ack,
      flags: bits,
      win: spec.win ?? (bits & TCP_FLAG.RST ? 0 : 502),
      wnd: spec.win ?? (bits & TCP_FLAG.RST ? 0 : 502),
      len,
      data: len ? new Uint8Array(len) : null,
      options: null,
      explain,
      injected: true,
    };
    return this.send(seg, true);
  }

  private findConn(
    h: Host,
    peer: string | undefined,
    lport: number | undefined,
    rport: number | undefined,
  ): Tcb | null {
    let found: Tcb | null = null;
    for (const t of h.conns.values()) {
      if (peer !== undefined && t.ends.remoteHost !== peer) continue;
      if (lport !== undefined && t.ends.localPort !== lport) continue;
      if (rport !== undefined && t.ends.remotePort !== rport) continue;
      found = t; // the newest wins (Map keeps insertion order)
    }
    return found;
  }
}
