/**
 * A virtual host: an address, a TCP configuration (its sysctls), a firewall
 * that silently drops chosen ports, and a sockets API — listen, connect,
 * send, read, shutdown (half-close), close and abort (RST, as SO_LINGER 0) —
 * over TCBs it demultiplexes by 4-tuple. A segment for no connection and no
 * listener is answered with RST (RFC 9293 §3.10.7.1). The host is each TCB's
 * `TcbEnv`: it takes ISNs from RFC 6528 with its own secret key, hands
 * segments to the simulation and turns state changes into trace events.
 */
import { seqAdd } from '../../src-shared/seqnum';
import { TCP_FLAG, type TcpState } from '../../src-shared/tcp';
import { rfc6528Isn, tsOffset, type IsnKey } from './isn';
import type { Prng } from './prng';
import { listenArrives, segmentArrives } from './receive';
import { ex, rstReply } from './send';
import { Tcb, TcbError, type TcbEnv } from './tcb';
import { poll, pollAt } from './timers';
import type { Segment, SimEvent, SocketEvent, TcpConfig } from './types';

/** What a host needs from the simulation that runs it. */
export interface HostSim {
  readonly now: number;
  transmit(seg: Segment): void;
  emit(ev: SimEvent): void;
  /** True when anyone records or listens to events (so hosts can skip building them). */
  readonly observed: boolean;
  arm(host: Host, tcb: Tcb): void;
  /** Run `fn` at the current time, after what is being processed now. */
  defer(fn: () => void): void;
  /** Address of a host by name (for ISNs and explanations). */
  hostAddress(name: string): string;
}

export interface HostOptions {
  address?: string;
  tcp?: Partial<TcpConfig>;
  /** Ports whose inbound segments a firewall drops silently. */
  filtered?: number[];
  /** Applications read everything at once (the window never closes). Default true. */
  autoRead?: boolean;
  /** Keep received bytes on each socket (for checking); default true. */
  keepData?: boolean;
}

/** Deterministic payload: byte i of a stream is (i mod 251), so a reordered or repeated byte shows. */
export function patternBytes(offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (offset + i) % 251;
  return out;
}

export class Socket {
  readonly received: Uint8Array[] = [];
  bytesRead = 0;
  eof = false;
  /** The errno that ended the connection, if one did. */
  error: string | null = null;
  accepted = false;
  /** Application callback for what happens to this socket (established, eof, error, closed), run after the segment that caused it. */
  onEvent: ((what: SocketEvent['what'], code?: string) => void) | null = null;

  constructor(
    readonly host: Host,
    readonly tcb: Tcb,
  ) {}

  get state(): TcpState {
    return this.tcb.state;
  }

  get conn(): string {
    return this.tcb.conn;
  }

  /** Queue bytes; a number sends that many pattern bytes, a string its UTF-8. */
  send(data: Uint8Array | string | number): number {
    const bytes =
      typeof data === 'number'
        ? patternBytes(this.tcb.bytesSent, data)
        : typeof data === 'string'
          ? new TextEncoder().encode(data)
          : data;
    return this.host.call(this, 'send', () => this.tcb.send(bytes), bytes.length);
  }

  /** Everything received and not read yet (with autoRead off). */
  read(): Uint8Array {
    let out: Uint8Array = new Uint8Array(0);
    this.host.call(this, 'read', () => {
      out = this.tcb.read();
      this.bytesRead += out.length;
      if (this.host.keepData && out.length) this.received.push(out);
    });
    return out;
  }

  shutdown(): void {
    this.host.call(this, 'shutdown', () => this.tcb.shutdown());
  }

  close(): void {
    this.host.call(this, 'close', () => this.tcb.close());
  }

  abort(): void {
    this.host.call(this, 'abort', () => this.tcb.abort());
  }

  /** All bytes received so far, joined. */
  data(): Uint8Array {
    const out = new Uint8Array(this.received.reduce((n, c) => n + c.length, 0));
    let w = 0;
    for (const c of this.received) {
      out.set(c, w);
      w += c.length;
    }
    return out;
  }
}

export class Listener {
  readonly halfOpen = new Set<Tcb>();
  readonly queue: Socket[] = [];
  onAccept: ((s: Socket) => void) | null = null;

  constructor(
    readonly host: Host,
    readonly port: number,
    readonly tcb: Tcb,
    readonly backlog: number,
    readonly autoAccept: boolean,
  ) {}

  /** The oldest established connection not yet accepted. */
  accept(): Socket | undefined {
    const s = this.queue.shift();
    if (s) this.host.markAccepted(this, s);
    return s;
  }

  close(): void {
    this.host.closeListener(this);
  }
}

export class Host implements TcbEnv {
  readonly address: string;
  readonly cfg: TcpConfig;
  readonly filtered: Set<number>;
  readonly autoRead: boolean;
  readonly keepData: boolean;
  readonly conns = new Map<string, Tcb>();
  readonly sockets = new Map<Tcb, Socket>();
  readonly listeners = new Map<number, Listener>();
  private readonly key: IsnKey;
  private nextPort: number;
  private challengeWindow = -1;
  private challengeCount = 0;

  constructor(
    readonly sim: HostSim,
    readonly name: string,
    rng: Prng,
    opts: HostOptions,
    base: TcpConfig,
  ) {
    this.address = opts.address ?? '10.0.0.1';
    this.cfg = { ...base, ...(opts.tcp ?? {}) };
    this.filtered = new Set(opts.filtered ?? []);
    this.autoRead = opts.autoRead ?? true;
    this.keepData = opts.keepData ?? true;
    this.key = { k0: rng.u32(), k1: rng.u32() };
    const [lo, hi] = this.cfg.ephemeral;
    this.nextPort = rng.int(lo, hi);
  }

  // ---- sockets API ----

  listen(port: number, opts: { backlog?: number; autoAccept?: boolean } = {}): Listener {
    if (this.listeners.has(port))
      throw new TcbError('EADDRINUSE', `${this.name} already listens on port ${port}`);
    const tcb = new Tcb(this, this.cfg, {
      localHost: this.name,
      localAddr: this.address,
      localPort: port,
      remoteHost: '',
      remoteAddr: '',
      remotePort: 0,
    });
    const l = new Listener(this, port, tcb, opts.backlog ?? this.cfg.backlog, opts.autoAccept ?? true);
    this.listeners.set(port, l);
    this.event({ what: 'listen', conn: tcb.conn, detail: `backlog ${l.backlog}` });
    tcb.setState(
      'LISTEN',
      `the application called listen() on port ${port} (RFC 9293 §3.10.1, passive OPEN)`,
    );
    return l;
  }

  connect(opts: { to: string; port: number; localPort?: number; keepAlive?: boolean }): Socket {
    const peer = opts.to;
    const remoteAddr = this.peerAddress(peer);
    const localPort = opts.localPort ?? this.ephemeralFor(peer, opts.port);
    const k = key(localPort, peer, opts.port);
    if (this.conns.has(k)) {
      const old = this.conns.get(k) as Tcb;
      const detail = `${this.name}:${localPort} → ${peer}:${opts.port} is still in use (${old.state})`;
      this.event({ what: 'error', conn: old.conn, code: 'EADDRINUSE', detail });
      throw new TcbError('EADDRINUSE', detail);
    }
    const tcb = new Tcb(this, this.cfg, {
      localHost: this.name,
      localAddr: this.address,
      localPort,
      remoteHost: peer,
      remoteAddr,
      remotePort: opts.port,
    });
    if (opts.keepAlive !== undefined) tcb.keepAlive = opts.keepAlive;
    const s = this.adopt(tcb);
    this.conns.set(k, tcb);
    this.event({ what: 'connect', conn: tcb.conn });
    tcb.open();
    this.sim.arm(this, tcb);
    return s;
  }

  /** Power failure: every TCB vanishes without a segment (the peer is left half-open). */
  crash(): void {
    this.event({
      what: 'crash',
      conn: this.name,
      detail: `${this.name} lost all its connections without sending anything`,
    });
    for (const tcb of [...this.conns.values()]) {
      tcb.setState('CLOSED', `${this.name} crashed: the connection state is lost and nothing is sent`);
    }
    this.conns.clear();
    for (const l of this.listeners.values()) l.tcb.setState('CLOSED', `${this.name} crashed`);
    this.listeners.clear();
  }

  /** Every socket the host has (connected, accepted or not). */
  allSockets(): Socket[] {
    return [...this.sockets.values()];
  }

  /** Run a socket call, report it, and keep the TCB's timers scheduled. */
  call<T>(s: Socket, what: SocketEvent['what'], fn: () => T, bytes?: number): T {
    try {
      if (what !== 'read') this.event({ what, conn: s.conn, bytes });
      return fn();
    } catch (e) {
      if (e instanceof TcbError) this.event({ what: 'error', conn: s.conn, code: e.code, detail: e.message });
      throw e;
    } finally {
      this.afterTcb(s.tcb);
    }
  }

  // ---- segment arrival ----

  receive(seg: Segment): void {
    const k = key(seg.dstPort, seg.src, seg.srcPort);
    const tcb = this.conns.get(k);
    let issOverride: number | null = null;
    if (tcb) {
      const r = segmentArrives(tcb, seg);
      this.afterTcb(tcb);
      if (r !== 'reopen') return;
      issOverride = seqAdd(tcb.sndNxt, 65537);
    }
    const l = this.listeners.get(seg.dstPort);
    if (l) {
      const child = listenArrives(l.tcb, seg, () => this.spawn(l, seg, issOverride));
      if (child) this.afterTcb(child);
      return;
    }
    if (seg.flags & TCP_FLAG.RST) return; // RFC 9293 §3.10.7.1: a RST for nothing is dropped
    const hasAck = (seg.flags & TCP_FLAG.ACK) !== 0;
    const what = seg.flags & TCP_FLAG.SYN && !hasAck ? 'the SYN' : 'this segment';
    this.sim.transmit(
      rstReply(
        seg,
        ex(
          'closed-port',
          'RFC 9293 §3.10.7.1',
          `No socket on ${this.name}:${seg.dstPort} matches ${what}, so ${this.name} answers with ${
            hasAck
              ? `RST, SEQ = the segment's ACK number (${seg.ack})`
              : `RST,ACK: SEQ 0, ACK = SEQ + length (${seqAdd(seg.seq, seg.len + (seg.flags & TCP_FLAG.SYN ? 1 : 0) + (seg.flags & TCP_FLAG.FIN ? 1 : 0))})`
          }${seg.flags & TCP_FLAG.SYN && !hasAck ? ': the port is closed and connect() will fail with ECONNREFUSED' : ''}`,
        ),
      ),
    );
  }

  /** Timers of a TCB are due. */
  wake(tcb: Tcb): void {
    if (tcb.state === 'CLOSED') return;
    if (pollAt(tcb) <= this.sim.now) poll(tcb);
    this.afterTcb(tcb);
  }

  private spawn(l: Listener, seg: Segment, issOverride: number | null): Tcb | null {
    if (l.halfOpen.size + l.queue.length >= l.backlog) {
      this.note(
        l.tcb,
        'backlog-full',
        'RFC 9293 §3.10.7.2, Linux listen()',
        `${this.name}'s listen backlog on port ${l.port} is full (${l.backlog}): it drops the SYN without an answer; the client will retry`,
      );
      return null;
    }
    const tcb = new Tcb(this, this.cfg, {
      localHost: this.name,
      localAddr: this.address,
      localPort: seg.dstPort,
      remoteHost: seg.src,
      remoteAddr: this.peerAddress(seg.src),
      remotePort: seg.srcPort,
    });
    tcb.parent = l.tcb;
    tcb.issOverride = issOverride;
    this.conns.set(key(seg.dstPort, seg.src, seg.srcPort), tcb);
    l.halfOpen.add(tcb);
    this.adopt(tcb);
    return tcb;
  }

  private adopt(tcb: Tcb): Socket {
    const s = new Socket(this, tcb);
    this.sockets.set(tcb, s);
    if (this.autoRead) {
      tcb.onData = (d) => {
        s.bytesRead += d.length;
        if (this.keepData) s.received.push(d.slice());
      };
    }
    return s;
  }

  private afterTcb(tcb: Tcb): void {
    const st = tcb.state;
    if (st === 'CLOSED' || (st === 'LISTEN' && tcb.parent)) {
      const k = key(tcb.ends.localPort, tcb.ends.remoteHost, tcb.ends.remotePort);
      if (this.conns.get(k) === tcb) this.conns.delete(k);
      if (tcb.parent) {
        const l = this.listeners.get(tcb.ends.localPort);
        l?.halfOpen.delete(tcb);
        if (st === 'LISTEN') tcb.state = 'CLOSED';
      }
      // The application keeps its sockets (to read the error); half-open children it never saw go.
      const s = this.sockets.get(tcb);
      if (s && tcb.parent && !s.accepted) this.sockets.delete(tcb);
      return;
    }
    this.sim.arm(this, tcb);
  }

  markAccepted(l: Listener, s: Socket): void {
    s.accepted = true;
    s.tcb.parent = null;
    this.event({ what: 'accept', conn: s.conn });
    if (l.onAccept) {
      const cb = l.onAccept;
      this.sim.defer(() => cb(s));
    }
  }

  closeListener(l: Listener): void {
    this.listeners.delete(l.port);
    for (const s of l.queue) s.abort();
    l.queue.length = 0;
    for (const c of [...l.halfOpen]) {
      c.abort();
      this.afterTcb(c);
    }
    l.tcb.close();
    this.event({ what: 'close', conn: l.tcb.conn });
  }

  private ephemeralFor(peer: string, port: number): number {
    const [lo, hi] = this.cfg.ephemeral;
    for (let i = 0; i <= hi - lo; i++) {
      const p = this.nextPort;
      this.nextPort = p >= hi ? lo : p + 1;
      if (!this.conns.has(key(p, peer, port)) && !this.listeners.has(p)) return p;
    }
    throw new TcbError('EADDRNOTAVAIL', `${this.name} has no free ephemeral port toward ${peer}:${port}`);
  }

  private peerAddress(peer: string): string {
    return this.sim.hostAddress(peer);
  }

  private event(e: Omit<SocketEvent, 't' | 'type' | 'host'>): void {
    if (this.sim.observed) this.sim.emit({ t: this.sim.now, type: 'socket', host: this.name, ...e });
  }

  // ---- TcbEnv ----

  now(): number {
    return this.sim.now;
  }

  transmit(_tcb: Tcb, seg: Segment): void {
    this.sim.transmit(seg);
  }

  stateChanged(tcb: Tcb, from: TcpState, to: TcpState, reason: string): void {
    if (this.sim.observed)
      this.sim.emit({ t: this.sim.now, type: 'state', host: this.name, conn: tcb.conn, from, to, reason });
  }

  notify(
    tcb: Tcb,
    what: SocketEvent['what'],
    extra: { code?: string; bytes?: number; detail?: string } = {},
  ): void {
    const s = this.sockets.get(tcb);
    if (what === 'eof' && s) s.eof = true;
    if (what === 'error' && s) s.error = extra.code ?? 'error';
    this.event({ what, conn: tcb.conn, ...extra });
    if (s?.onEvent) {
      const cb = s.onEvent;
      this.sim.defer(() => cb(what, extra.code));
    }
    if (what === 'established' && tcb.parent && s) {
      const l = this.listeners.get(tcb.ends.localPort);
      if (l && l.tcb === tcb.parent) {
        l.halfOpen.delete(tcb);
        if (l.autoAccept) this.markAccepted(l, s);
        else l.queue.push(s);
      }
    }
  }

  note(tcb: Tcb, rule: string, rfc: string, text: string): void {
    if (this.sim.observed)
      this.sim.emit({ t: this.sim.now, type: 'note', host: this.name, conn: tcb.conn, rule, rfc, text });
  }

  chooseIsn(tcb: Tcb): { iss: number; why: string } {
    if (typeof this.cfg.isn === 'number') {
      return {
        iss: this.cfg.isn >>> 0,
        why: 'a fixed teaching ISN, not the unpredictable one RFC 6528 asks for',
      };
    }
    const e = tcb.ends;
    const r = rfc6528Isn(this.key, this.sim.now, e.localAddr, e.localPort, e.remoteAddr, e.remotePort);
    return { iss: r.isn, why: `RFC 6528: 4 µs clock ${r.m} + keyed hash of the 4-tuple ${r.f}, mod 2^32` };
  }

  tsOffset(tcb: Tcb): number {
    if (typeof this.cfg.isn === 'number') return 0;
    return tsOffset(this.key, tcb.ends.localAddr, tcb.ends.remoteAddr);
  }

  allowChallengeAck(): boolean {
    const sec = Math.floor(this.sim.now / 1000);
    if (sec !== this.challengeWindow) {
      this.challengeWindow = sec;
      this.challengeCount = 0;
    }
    return this.challengeCount++ < this.cfg.challengeAckLimit;
  }
}

function key(localPort: number, remoteHost: string, remotePort: number): string {
  return `${localPort}|${remoteHost}|${remotePort}`;
}
