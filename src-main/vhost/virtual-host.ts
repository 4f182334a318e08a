/**
 * A virtual host on a real Ethernet interface: engine `Host`s (one per
 * address family, each with its own MSS: MTU − 40 for IPv4, MTU − 60 for
 * IPv6, RFC 9293 §3.7.1) run by the wall-clock driver, with an IPv4 and/or
 * IPv6 address and a MAC that the operating system does not own — so the
 * kernel never answers the virtual host's segments with RSTs of its own (the
 * Scapy pitfall). Frames go out through the capture helper and come in from
 * its capture, filtered (BPF) to ARP, ICMPv6 and TCP for our addresses. The
 * host answers ARP requests (RFC 826) and neighbour solicitations with
 * advertisements (RFC 4861 §7.2.4), resolves a peer's MAC before sending
 * (ARP request, or a solicitation to the solicited-node group, §7.2.2),
 * builds every frame with the wire encoders (IPv4 header and TCP checksums),
 * drops TCP segments with a bad checksum (RFC 9293 §3.1) but accepts the
 * "partial" ones a kernel hands a veth with checksum offload. It records the
 * `tcplab simulate --json` event shapes — segments with the engine's
 * explanation, the virtual host's exact TCB state changes — plus the kernel
 * peer's state as the tracker infers it from the frames on the wire
 * (`inferred: true`), and lets a learner inject SYN, FIN or RST from the
 * virtual side with the sequence number exact, in-window or out-of-window.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { seqAdd } from '../../src-shared/seqnum';
import { flagBits, flagNames, TCP_FLAG, type TcpPacket, type TcpState } from '../../src-shared/tcp';
import {
  DEFAULT_TCP,
  segmentEventHead,
  Host,
  Listener,
  Prng,
  type Explain,
  type Segment,
  type SegmentEvent,
  type SeqMode,
  type SimEvent,
  type Socket,
  type StateEvent,
  type TcpConfig,
} from '../engine';
import { CaptureHelperClient } from '../capture/helper-client';
import { Tracker } from '../tracker';
import {
  buildFrame,
  decodeFrame,
  ETH,
  ETHERTYPE,
  ipv6ToString,
  LINKTYPE,
  parseIp,
  parseIpv6,
  parseMac,
  macToString,
} from '../wire';
import { addressOfName, nameOfAddress, WallClockDriver } from './driver';
import {
  BROADCAST_MAC,
  buildArp,
  buildNdp,
  ETHERTYPE_ARP,
  ICMPV6,
  multicastMac,
  parseArp,
  parseNdp,
  parseTcpFrame,
  segOptions,
  solicitedNode,
  wireOptions,
  type ArpPacket,
  type NdpPacket,
  type ReceivedTcp,
} from './frames';
import { NeighborCache, type Timers } from './neighbors';

/** The part of the capture helper client a virtual host uses (a fake in unit tests). */
export interface FrameIo {
  open(o: { iface: string; filter?: string }): Promise<{ linkType: number; iface?: string }>;
  onFrames(cb: (frames: Array<{ linkType: number; data: Uint8Array; time: number }>) => void): () => void;
  onError?(cb: (e: Error) => void): () => void;
  send(frame: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}

/** The kernel peer's state as the tracker infers it from the frames (not the kernel's own word). */
export interface InferredStateEvent extends Omit<StateEvent, 'type'> {
  type: 'state';
  inferred: true;
}

/** A frame the virtual host sent or answered that is not TCP: ARP and neighbour discovery. */
export interface NeighborEvent {
  t: number;
  type: 'neighbor';
  host: string;
  what: 'arp-request' | 'arp-reply' | 'ns' | 'na' | 'learned' | 'unreachable';
  ip: string;
  mac?: string;
  /** `sent` or `received`. */
  dir: 'sent' | 'received';
  text: string;
}

export type VhostEvent = SimEvent | InferredStateEvent | NeighborEvent;

export interface VirtualHostOptions {
  iface: string;
  /** One IPv4 and/or one IPv6 address, with or without a prefix ("10.213.1.3/24", "fd00:7cb:1::3/64"). */
  addresses: string[];
  /** Default: a random locally administered unicast MAC (02:…). */
  mac?: string;
  /** Host name in events (default `vhost`). */
  name?: string;
  /** Default: a new capture helper client (disposed on stop). */
  io?: FrameIo;
  /** TCP settings (sysctls); MSS defaults to the interface MTU − 40 (IPv4) or − 60 (IPv6). */
  tcp?: Partial<TcpConfig>;
  /** Interface MTU (default: read from /sys/class/net, else 1500). */
  mtu?: number;
  /** Seed of the ISN and timestamp keys (default random). */
  seed?: number;
  /** Keep every event in `events` (default true). */
  record?: boolean;
  /** Timers of the neighbour cache (tests use fake ones). */
  timers?: Timers;
  /** Delay and loss the host applies to the TCP frames it sends and receives (netem's job where the kernel has no netem). */
  impair?: Impairment | null;
  /** Neighbour resolution: tries and the interval between them (default 3 × 1000 ms). */
  neighborRetries?: number;
  neighborIntervalMs?: number;
}

/**
 * Link impairment applied inside the virtual host, to TCP frames only (ARP
 * and neighbour discovery pass untouched): each frame it sends or receives is
 * lost with `lossPct` % probability (a seeded generator), else held for
 * `delayMs` ± `jitterMs` — what `tc netem` would do on both ends of the veth.
 */
export interface Impairment {
  delayMs?: number;
  jitterMs?: number;
  lossPct?: number;
  seed?: number;
}

export interface VhostInjectSpec {
  /** The connection to inject into (the segment claims to come from its local end). */
  socket: Socket;
  flags: string[];
  /** How SEQ is chosen against the kernel's receive window, as seen from our TCB (default `exact`). */
  seqMode?: SeqMode;
  /** ACK number (default our RCV.NXT when ACK is set). */
  ack?: number;
  len?: number;
  text?: string;
}

/** Failures a user can cause: bad address, an interface that is not Ethernet … */
export class VhostError extends Error {
  constructor(
    readonly code: 'bad-address' | 'bad-mac' | 'bad-option' | 'not-ethernet' | 'no-address',
    message: string,
  ) {
    super(message);
    this.name = 'VhostError';
  }
}

interface Addr {
  ip: string;
  prefix: number;
  version: 4 | 6;
}

/** Parses "10.0.0.3/24" or "fd00::3/64" (or a bare address) into canonical text and a prefix. */
export function parseCidr(text: string): Addr {
  const [ipText, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || !ipText)
    throw new VhostError('bad-address', `"${text}" is not an address/prefix`);
  let p: { version: 4 | 6; bytes: Uint8Array };
  try {
    p = parseIp(ipText);
  } catch (e) {
    throw new VhostError('bad-address', (e as Error).message);
  }
  const max = p.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max)
    throw new VhostError('bad-address', `"${text}": the prefix length must be 0 to ${max}`);
  const ip = p.version === 4 ? ipText : ipv6ToString(p.bytes, 0);
  return { ip, prefix, version: p.version };
}

/** A random locally administered, unicast MAC (02:xx:xx:xx:xx:xx style, IEEE 802 §8.4). */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0] & 0xfc) | 0x02;
  return macToString(b, 0);
}

function interfaceMtu(iface: string): number {
  try {
    const n = Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
    return Number.isInteger(n) && n >= 576 ? n : 1500;
  } catch {
    return 1500;
  }
}

/** The pcap filter for a virtual host: neighbour traffic and TCP to its own addresses, not its own frames. */
export function vhostFilter(mac: string, addrs: readonly { ip: string; version: 4 | 6 }[]): string {
  const parts: string[] = [];
  const v4 = addrs.find((a) => a.version === 4);
  const v6 = addrs.find((a) => a.version === 6);
  if (v4) parts.push('arp', `(ip and dst host ${v4.ip} and tcp)`);
  if (v6) parts.push(`(ip6 and (icmp6 or (dst host ${v6.ip} and tcp)))`);
  return `not ether src ${mac} and (${parts.join(' or ')})`;
}

/** One `listen()` on every address family the host has. */
export class VListener {
  readonly accepted: Socket[] = [];
  onAccept: ((s: Socket) => void) | null = null;

  constructor(
    readonly port: number,
    readonly listeners: Listener[],
  ) {
    for (const l of listeners) {
      l.onAccept = (s) => {
        this.accepted.push(s);
        this.onAccept?.(s);
      };
    }
  }

  close(): void {
    for (const l of this.listeners) l.close();
  }
}

export class VirtualHost {
  readonly name: string;
  readonly mac: string;
  readonly iface: string;
  readonly addresses: readonly Addr[];
  readonly events: VhostEvent[] = [];
  readonly tracker = new Tracker({ keepSegments: true });
  readonly neighbors: NeighborCache;
  readonly stats = { framesIn: 0, framesOut: 0, tcpIn: 0, badChecksum: 0, partialChecksum: 0 };
  /** Failures (send errors, capture errors, engine exceptions), as sentences. */
  readonly errors: string[] = [];
  private readonly driver: WallClockDriver;
  private readonly hosts = new Map<4 | 6, Host>();
  private readonly io: FrameIo;
  private readonly ownIo: boolean;
  private readonly record: boolean;
  private readonly listeners = new Set<(ev: VhostEvent) => void>();
  private readonly kernelStates = new Map<number, TcpState>();
  private unsub: Array<() => void> = [];
  private segId = 0;
  private trackedFrames = 0;
  private ipId = 1;
  private impair: Impairment | null = null;
  private impairRng = new Prng(1);
  private readonly held = new Set<NodeJS.Timeout>();
  private started = false;
  private stopped = false;

  constructor(opts: VirtualHostOptions) {
    this.iface = opts.iface;
    this.name = opts.name ?? 'vhost';
    if (opts.mac !== undefined) {
      let b: Uint8Array;
      try {
        b = parseMac(opts.mac);
      } catch (e) {
        throw new VhostError('bad-mac', (e as Error).message);
      }
      if (b[0] & 1)
        throw new VhostError('bad-mac', `${opts.mac} is a multicast MAC; a host needs a unicast one`);
      this.mac = macToString(b, 0);
    } else this.mac = randomMac();
    const addrs = opts.addresses.map(parseCidr);
    if (addrs.length === 0)
      throw new VhostError('no-address', 'give the virtual host an IPv4 or IPv6 address');
    for (const v of [4, 6] as const) {
      if (addrs.filter((a) => a.version === v).length > 1)
        throw new VhostError('bad-address', `give at most one IPv${v} address`);
    }
    this.addresses = addrs;
    this.record = opts.record ?? true;
    this.io = opts.io ?? this.defaultIo();
    this.ownIo = opts.io === undefined;
    this.driver = new WallClockDriver({
      transmit: (seg) => this.transmit(seg, false),
      emit: (ev) => this.emit(ev),
      failed: (e) => this.error(`engine: ${e instanceof Error ? e.message : String(e)}`),
    });
    const mtu = opts.mtu ?? interfaceMtu(opts.iface);
    const rng = new Prng(opts.seed ?? randomBytes(4).readUInt32BE(0));
    for (const a of addrs) {
      const base: TcpConfig = {
        ...DEFAULT_TCP,
        mss: mtu - (a.version === 4 ? 40 : 60),
        ...(opts.tcp ?? {}),
      };
      this.hosts.set(
        a.version,
        new Host(this.driver, this.name, rng.fork(`vhost:${a.ip}`), { address: a.ip }, base),
      );
    }
    this.neighbors = new NeighborCache(
      {
        solicit: (ip) => this.solicit(ip),
        unreachable: (ip, dropped) =>
          this.neighborEvent(
            'unreachable',
            ip,
            undefined,
            'sent',
            `No answer from ${ip} to ARP or neighbour solicitation: ${dropped} queued frame${dropped === 1 ? '' : 's'} dropped (RFC 4861 §7.2.2); TCP will retransmit`,
          ),
      },
      { retries: opts.neighborRetries, intervalMs: opts.neighborIntervalMs, timers: opts.timers },
    );
    this.setImpairment(opts.impair ?? null);
  }

  /** Sets (or, with null or zeros, removes) the delay and loss applied to TCP frames both ways. */
  setImpairment(o: Impairment | null): void {
    const on = o && ((o.delayMs ?? 0) > 0 || (o.lossPct ?? 0) > 0);
    if (
      o &&
      !((o.lossPct ?? 0) >= 0 && (o.lossPct ?? 0) <= 100 && (o.delayMs ?? 0) >= 0 && (o.jitterMs ?? 0) >= 0)
    )
      throw new VhostError('bad-option', 'loss must be 0–100 % and delay and jitter at least 0 ms');
    this.impair = on ? { ...o } : null;
    if (o?.seed !== undefined) this.impairRng = new Prng(o.seed);
  }

  get impairment(): Impairment | null {
    return this.impair ? { ...this.impair } : null;
  }

  private lost(): boolean {
    const p = this.impair?.lossPct ?? 0;
    return p > 0 && this.impairRng.u32() / 2 ** 32 < p / 100;
  }

  /** Runs `fn` now, or after the impairment's delay (± jitter). */
  private later(fn: () => void): void {
    const d = this.impair?.delayMs ?? 0;
    if (d <= 0) {
      fn();
      return;
    }
    const j = this.impair?.jitterMs ?? 0;
    const ms = Math.max(0, d + (j ? (this.impairRng.u32() / 2 ** 32) * 2 * j - j : 0));
    const h = setTimeout(() => {
      this.held.delete(h);
      if (!this.stopped) this.driver.guard(fn);
    }, ms);
    this.held.add(h);
  }

  private defaultIo(): FrameIo {
    // The helper process starts on the first request, so a fake-io test never spawns one.
    return new CaptureHelperClient();
  }

  /** Milliseconds since the host started (the `t` of its events). */
  get now(): number {
    return this.driver.now;
  }

  /** The engine host for IPv4 or IPv6. */
  host(version: 4 | 6): Host {
    const h = this.hosts.get(version);
    if (!h) throw new VhostError('no-address', `${this.name} has no IPv${version} address`);
    return h;
  }

  address(version: 4 | 6): string | undefined {
    return this.addresses.find((a) => a.version === version)?.ip;
  }

  get filter(): string {
    return vhostFilter(this.mac, this.addresses);
  }

  /** Opens the capture on the interface; frames flow from here on. */
  async start(): Promise<void> {
    if (this.started) return;
    this.unsub.push(this.io.onFrames((frames) => this.onFrames(frames)));
    if (this.io.onError) this.unsub.push(this.io.onError((e) => this.error(e.message)));
    const r = await this.io.open({ iface: this.iface, filter: this.filter });
    if (r.linkType !== LINKTYPE.ETHERNET) {
      await this.stop();
      throw new VhostError(
        'not-ethernet',
        `${this.iface} is not an Ethernet interface (link type ${r.linkType}); attach the virtual host to a veth or Ethernet NIC`,
      );
    }
    this.started = true;
  }

  /** Stops timers and the capture; the connections are left as they are (nothing more is sent). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.driver.stop();
    this.neighbors.dispose();
    for (const h of this.held) clearTimeout(h);
    this.held.clear();
    for (const u of this.unsub) u();
    this.unsub = [];
    try {
      await this.io.close();
    } catch {
      // already closed, or the helper went away
    }
    if (this.ownIo) await (this.io as unknown as { dispose(): Promise<void> }).dispose?.();
  }

  /** Subscribe to events; returns the unsubscribe function. */
  on(fn: (ev: VhostEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- sockets API (on the engine hosts) ----

  /** Listen on `port` on every address the host has. */
  listen(port: number, opts: { backlog?: number } = {}): VListener {
    const ls: Listener[] = [];
    for (const h of this.hosts.values()) {
      this.driver.guard(() => ls.push(h.listen(port, { backlog: opts.backlog })));
    }
    return new VListener(port, ls);
  }

  /** Active open to `ip:port` (IPv4 or IPv6, the family picks the engine host). */
  connect(ip: string, port: number, opts: { localPort?: number } = {}): Socket {
    const a = parseCidr(ip);
    return this.host(a.version).connect({ to: nameOfAddress(a.ip), port, localPort: opts.localPort });
  }

  /**
   * Sends a crafted segment from the virtual side of `socket`'s connection,
   * numbered from our own TCB: SEQ = SND.NXT is what the kernel expects
   * (RCV.NXT), in-window is half its advertised window beyond, out-of-window
   * 2^30 beyond. The TCB itself does not change (a raw-socket tool, not a
   * socket call).
   */
  inject(spec: VhostInjectSpec): SegmentEvent {
    const tcb = spec.socket.tcb;
    const bits = flagBits(spec.flags);
    const mode = spec.seqMode ?? 'exact';
    const peer = tcb.ends.remoteHost;
    let seq: number;
    let how: string;
    if (typeof mode === 'number') {
      seq = mode >>> 0;
      how = `SEQ ${seq} as typed`;
    } else if (mode === 'exact') {
      seq = tcb.sndNxt;
      how = `SEQ = ${this.name}'s SND.NXT (${seq}), what ${peer} expects next (its RCV.NXT)`;
    } else if (mode === 'in-window') {
      seq = seqAdd(tcb.sndNxt, Math.max(1, Math.floor(tcb.sndWnd / 2)));
      how = `SEQ ${seq}, inside ${peer}'s window (${tcb.sndWnd} bytes) but not its RCV.NXT (${tcb.sndNxt})`;
    } else {
      seq = seqAdd(tcb.sndNxt, tcb.sndWnd + 0x4000_0000);
      how = `SEQ ${seq}, far outside ${peer}'s window`;
    }
    const ack = bits & TCP_FLAG.ACK ? (spec.ack ?? tcb.rcvNxt) >>> 0 : 0;
    const len = spec.len ?? 0;
    const explain: Explain = {
      rule: 'injected',
      rfc: bits & TCP_FLAG.RST ? 'RFC 5961 §3' : bits & TCP_FLAG.SYN ? 'RFC 5961 §4' : 'RFC 9293 §3.10.7.4',
      text:
        spec.text ??
        `Injected by the learner: ${flagNames(bits).join(',')} from ${this.name}:${tcb.ends.localPort}, ${how}`,
    };
    const rst = (bits & TCP_FLAG.RST) !== 0;
    const seg: Segment = {
      src: this.name,
      dst: peer,
      srcPort: tcb.ends.localPort,
      dstPort: tcb.ends.remotePort,
      seq,
      ack,
      flags: bits,
      win: rst ? 0 : 502,
      wnd: rst ? 0 : 502,
      len,
      data: len ? new Uint8Array(len) : null,
      options: null,
      explain,
      injected: true,
    };
    return this.transmit(seg, true);
  }

  // ---- output ----

  private transmit(seg: Segment, injected: boolean): SegmentEvent {
    const peerIp = addressOfName(seg.dst);
    const version = peerIp.includes(':') ? 6 : 4;
    const local = this.address(version) as string;
    const ev: SegmentEvent = {
      ...segmentEventHead(seg, this.now, this.segId++),
      dropped: false,
      arrive: null,
      explain: seg.explain,
    };
    if (injected) ev.injected = true;
    if (!injected && this.lost()) {
      ev.dropped = true;
      ev.dropReason = 'loss';
    }
    this.emit(ev);
    if (ev.dropped) return ev;
    const payload = seg.len ? (seg.data ?? new Uint8Array(seg.len)) : undefined;
    this.neighbors.whenResolved(peerIp, (dstMac) =>
      this.later(() => {
        const frame = buildFrame({
          src: local,
          dst: peerIp,
          srcPort: seg.srcPort,
          dstPort: seg.dstPort,
          seq: seg.seq,
          ack: seg.ack,
          flags: seg.flags,
          window: seg.win,
          options: wireOptions(seg.options, (seg.flags & TCP_FLAG.SYN) !== 0),
          payload,
          srcMac: this.mac,
          dstMac,
          ipId: version === 4 ? this.ipId++ & 0xffff : undefined,
        });
        this.track(frame);
        this.send(frame);
      }),
    );
    return ev;
  }

  private send(frame: Uint8Array): void {
    if (this.stopped) return;
    this.stats.framesOut++;
    this.io.send(frame).catch((e: Error) => this.error(`sending on ${this.iface} failed: ${e.message}`));
  }

  private solicit(ip: string): void {
    const v = ip.includes(':') ? 6 : 4;
    const own = this.address(v);
    if (!own) return;
    if (v === 4) {
      this.send(
        buildArp(
          { op: 1, senderMac: this.mac, senderIp: own, targetMac: '00:00:00:00:00:00', targetIp: ip },
          this.mac,
          BROADCAST_MAC,
        ),
      );
      this.neighborEvent(
        'arp-request',
        ip,
        undefined,
        'sent',
        `Who has ${ip}? Tell ${own} (ARP request, broadcast, RFC 826)`,
      );
    } else {
      const group = solicitedNode(ip);
      this.send(
        buildNdp(
          { type: ICMPV6.NS, srcIp: own, dstIp: group, srcMac: this.mac, target: ip, lladdr: this.mac },
          multicastMac(group),
        ),
      );
      this.neighborEvent(
        'ns',
        ip,
        undefined,
        'sent',
        `Neighbour solicitation for ${ip} to its solicited-node group ${group} (RFC 4861 §7.2.2)`,
      );
    }
  }

  // ---- input ----

  private onFrames(frames: Array<{ linkType: number; data: Uint8Array; time: number }>): void {
    if (this.stopped) return;
    for (const f of frames) {
      if (f.linkType !== LINKTYPE.ETHERNET || f.data.length < ETH.HEADER) continue;
      const d = f.data;
      if (macToString(d, ETH.SRC) === this.mac) continue;
      this.stats.framesIn++;
      const type = (d[ETH.TYPE] << 8) | d[ETH.TYPE + 1];
      this.driver.guard(() => {
        if (type === ETHERTYPE_ARP) {
          const a = parseArp(d);
          if (a) this.onArp(a);
          return;
        }
        if (type === ETHERTYPE.IPV6 && d.length > ETH.HEADER + 6 && d[ETH.HEADER + 6] === ICMPV6.PROTOCOL) {
          const n = parseNdp(d);
          if (n) this.onNdp(n);
          return;
        }
        const r = parseTcpFrame(d, f.time);
        if (r) this.onTcp(r, d);
      });
    }
  }

  private onArp(a: ArpPacket): void {
    const own = this.address(4);
    if (!own || a.senderIp === '0.0.0.0') return;
    const forUs = a.targetIp === own;
    // RFC 826 "merge": update an entry we have; add one when the packet is for us.
    if (forUs || this.neighbors.lookup(a.senderIp) !== undefined) {
      const had = this.neighbors.lookup(a.senderIp);
      this.neighbors.learn(a.senderIp, a.senderMac);
      if (had !== a.senderMac)
        this.neighborEvent(
          'learned',
          a.senderIp,
          a.senderMac,
          'received',
          `${a.senderIp} is at ${a.senderMac} (from its ARP ${a.op === 1 ? 'request' : 'reply'})`,
        );
    }
    if (forUs && a.op === 1) {
      this.send(
        buildArp(
          { op: 2, senderMac: this.mac, senderIp: own, targetMac: a.senderMac, targetIp: a.senderIp },
          this.mac,
          a.senderMac,
        ),
      );
      this.neighborEvent(
        'arp-reply',
        a.senderIp,
        this.mac,
        'sent',
        `${own} is at ${this.mac}: ARP reply to ${a.senderIp} (RFC 826)`,
      );
    }
  }

  private onNdp(n: NdpPacket): void {
    const own = this.address(6);
    if (!own || n.hopLimit !== 255) return; // RFC 4861 §7.1.1: anything else came through a router
    if (n.type === ICMPV6.NS) {
      if (n.target !== own) return;
      const dad = n.srcIp === '::';
      if (!dad && n.lladdr) {
        const had = this.neighbors.lookup(n.srcIp);
        this.neighbors.learn(n.srcIp, n.lladdr);
        if (had !== n.lladdr)
          this.neighborEvent(
            'learned',
            n.srcIp,
            n.lladdr,
            'received',
            `${n.srcIp} is at ${n.lladdr} (from its solicitation)`,
          );
      }
      const dstIp = dad ? 'ff02::1' : n.srcIp;
      const dstMac = dad ? multicastMac('ff02::1') : (n.lladdr ?? n.srcMac);
      this.send(
        buildNdp(
          {
            type: ICMPV6.NA,
            srcIp: own,
            dstIp,
            srcMac: this.mac,
            target: own,
            lladdr: this.mac,
            solicited: !dad,
            override: true,
          },
          dstMac,
        ),
      );
      this.neighborEvent(
        'na',
        n.srcIp,
        this.mac,
        'sent',
        `Neighbour advertisement: ${own} is at ${this.mac} (RFC 4861 §7.2.4)`,
      );
    } else if (n.lladdr) {
      const had = this.neighbors.lookup(n.target);
      this.neighbors.learn(n.target, n.lladdr);
      if (had !== n.lladdr)
        this.neighborEvent(
          'learned',
          n.target,
          n.lladdr,
          'received',
          `${n.target} is at ${n.lladdr} (neighbour advertisement)`,
        );
    }
  }

  private onTcp(r: ReceivedTcp, frame: Uint8Array): void {
    const p = r.packet;
    const host = this.hosts.get(p.ipVersion);
    if (!host || p.dst !== this.address(p.ipVersion)) return;
    this.stats.tcpIn++;
    const peer = nameOfAddress(p.src);
    if (r.checksum === 'bad') {
      this.stats.badChecksum++;
      this.emit({
        t: this.now,
        type: 'note',
        host: this.name,
        conn: `${this.name}:${p.dstPort}-${peer}:${p.srcPort}`,
        rule: 'bad-checksum',
        rfc: 'RFC 9293 §3.1',
        text: `A segment from ${peer}:${p.srcPort} failed its TCP checksum: ${this.name} drops it`,
      });
      return;
    }
    if (r.checksum === 'partial') this.stats.partialChecksum++;
    // A partial checksum is offload, not damage: let the tracker treat it as unverified.
    const row = this.track(frame, r.checksum === 'partial' ? { ...p, checksumOk: null } : p);
    const tcb = host.conns.get(`${p.dstPort}|${peer}|${p.srcPort}`);
    const syn = (p.flags & TCP_FLAG.SYN) !== 0;
    const shift = syn ? 0 : (tcb?.sndShift ?? 0);
    const analysis = row?.analysis ?? [];
    const explain: Explain = analysis.includes('challenge-ack')
      ? {
          rule: 'challenge-ack',
          rfc: 'RFC 5961 §3.2',
          text: `The Linux kernel at ${peer} answered with a challenge ACK (its RCV.NXT and SND.NXT) instead of acting on the segment`,
        }
      : {
          rule: 'kernel',
          rfc: 'Linux',
          text: `Sent by the Linux kernel at ${peer}, captured on ${this.iface}${analysis.length ? ` (${analysis.join(', ')})` : ''}`,
        };
    const seg: Segment = {
      src: peer,
      dst: this.name,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq: p.seq,
      ack: p.ack,
      flags: p.flags,
      win: p.window,
      wnd: p.window * 2 ** shift,
      len: p.payloadLength,
      data: p.payloadLength ? r.payload : null,
      options: segOptions(p.options),
      explain,
    };
    const ev = (dropped: boolean): SegmentEvent => {
      const t = this.now;
      const e: SegmentEvent = {
        ...segmentEventHead(seg, t, this.segId++, peer, this.name),
        dropped,
        arrive: dropped ? null : t,
        explain,
      };
      if (dropped) e.dropReason = 'loss';
      return e;
    };
    if (this.lost()) {
      this.emit(ev(true));
      return;
    }
    this.later(() => {
      this.emit(ev(false));
      host.receive(seg);
    });
  }

  /** Feeds a frame we sent or received to the tracker and reports the kernel's inferred state. */
  private track(frame: Uint8Array, decoded?: TcpPacket): ReturnType<Tracker['add']>['row'] {
    let packet = decoded;
    if (!packet) {
      const r = decodeFrame(LINKTYPE.ETHERNET, frame, 0, 0);
      if (r.kind !== 'tcp') return null;
      packet = r.packet;
    }
    packet = { ...packet, frame: ++this.trackedFrames, time: this.now / 1000 };
    const { sessionId, row } = this.tracker.add(packet, frame.length);
    const sum = this.tracker.summary(sessionId);
    if (!row || !sum) return row;
    const mine = (ip: string): boolean => this.addresses.some((a) => a.ip === ip);
    const kernelIsA = !mine(sum.a.ip);
    const kernel = kernelIsA ? sum.a : sum.b;
    const me = kernelIsA ? sum.b : sum.a;
    if (mine(kernel.ip)) return row;
    const to = kernelIsA ? row.stateA : row.stateB;
    const from = this.kernelStates.get(sessionId) ?? (kernelIsA ? 'CLOSED' : 'LISTEN');
    if (to !== from) {
      this.kernelStates.set(sessionId, to);
      const peer = nameOfAddress(kernel.ip);
      this.emit({
        t: this.now,
        type: 'state',
        host: peer,
        conn: `${peer}:${kernel.port}-${this.name}:${me.port}`,
        from,
        to,
        reason: `inferred by the tracker from the ${flagNames(packet.flags).join(',') || 'bare'} segment on the wire (the kernel's own TCB is not visible)`,
        inferred: true,
      });
    } else if (!this.kernelStates.has(sessionId)) this.kernelStates.set(sessionId, to);
    return row;
  }

  // ---- events ----

  private emit(ev: VhostEvent): void {
    if (this.record) this.events.push(ev);
    for (const fn of this.listeners) {
      try {
        fn(ev);
      } catch {
        // a listener's bug must not stop the host
      }
    }
  }

  private neighborEvent(
    what: NeighborEvent['what'],
    ip: string,
    mac: string | undefined,
    dir: NeighborEvent['dir'],
    text: string,
  ): void {
    const ev: NeighborEvent = { t: this.now, type: 'neighbor', host: this.name, what, ip, dir, text };
    if (mac) ev.mac = mac;
    this.emit(ev);
  }

  private error(message: string): void {
    this.errors.push(message);
    this.emit({
      t: this.now,
      type: 'note',
      host: this.name,
      conn: this.name,
      rule: 'error',
      rfc: '',
      text: message,
    });
  }
}

/** Canonical text of an IPv6 address (RFC 5952), for comparing with decoded addresses. */
export function canonicalIp(ip: string): string {
  return ip.includes(':') ? ipv6ToString(parseIpv6(ip), 0) : ip;
}
