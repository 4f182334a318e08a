/**
 * Plain data of the virtual-host TCP engine: the segment that travels over a
 * simulated link, the explanation every emitted segment carries, the per-host
 * TCP configuration (Linux defaults, every knob a lab may turn) and the trace
 * events a `Simulation` emits (the `tcplab simulate --json` shape of issue 5).
 * Everything that leaves the engine is JSON-safe; no I/O happens here.
 */
import type { TcpFlagName, TcpState } from '../../src-shared/tcp';

/** Options a segment carries, already decoded (the engine never builds bytes). */
export interface SegOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  tsval?: number;
  tsecr?: number;
  sack?: Array<[number, number]>;
}

/** Why a segment was sent (or what a learner injected): the rule that fired and a sentence for people. */
export interface Explain {
  /** A short stable code, e.g. `listen-syn`, `challenge-ack`, `rto-retransmit`. */
  rule: string;
  /** The RFC section (or kernel behaviour) followed, e.g. `RFC 9293 §3.10.7.2`. */
  rfc: string;
  /** One sentence for a learner. */
  text: string;
}

/** One TCP segment on a simulated wire. Hosts are named; `seq`/`ack` are absolute. */
export interface Segment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  /** Acknowledgment number; 0 when the ACK flag is off. */
  ack: number;
  /** Flag bits (`TCP_FLAG`). */
  flags: number;
  /** The 16-bit window field as sent (unscaled on SYNs, else right-shifted by the sender's scale). */
  win: number;
  /** The window in bytes the field stands for (`win << shift`), as Wireshark's calculated window. */
  wnd: number;
  /** Payload length in bytes. */
  len: number;
  data: Uint8Array | null;
  options: SegOptions | null;
  explain: Explain;
  injected?: boolean;
}

/** TCP settings of one host (a sysctl set). Defaults follow Linux where the RFC leaves a choice. */
export interface TcpConfig {
  /** MSS advertised on our SYN: MTU − 40 (RFC 9293 §3.7.1). */
  mss: number;
  /** Our window-scale shift (RFC 7323 §2), or null to not offer the option. */
  windowScale: number | null;
  sackPermitted: boolean;
  timestamps: boolean;
  /** Receive buffer: the window we offer when nothing is unread. Linux offers 64240. */
  rcvBuf: number;
  /** ISN choice: `rfc6528` (clock + keyed hash) or a fixed teaching ISN. */
  isn: 'rfc6528' | number;
  rtoInitial: number;
  rtoMin: number;
  rtoMax: number;
  /** RTO once data flows when the SYN or SYN-ACK had to be retransmitted (RFC 6298 §5.7). */
  rtoFallback: number;
  synRetries: number;
  synAckRetries: number;
  /** Retransmissions of data (or FIN) before giving up with ETIMEDOUT (Linux tcp_retries2). */
  retries2: number;
  /** Maximum segment lifetime; TIME-WAIT lasts 2 × MSL (RFC 9293 §3.4.2). */
  msl: number;
  /** Delayed-ACK timeout in ms (RFC 9293 §3.8.6.3); 0 acknowledges every segment at once. */
  delayedAck: number;
  keepAlive: boolean;
  keepIdle: number;
  keepInterval: number;
  keepCount: number;
  /** Half-open plus not-yet-accepted connections a listener holds before it drops SYNs. */
  backlog: number;
  /** How long an orphaned (closed) socket waits in FIN-WAIT-2 (Linux tcp_fin_timeout). */
  finTimeout: number;
  /** Nagle's algorithm (RFC 9293 §3.7.4); Linux has it on unless TCP_NODELAY. */
  nagle: boolean;
  /** Initial congestion window in segments (RFC 6928). */
  initialCwnd: number;
  /** Minimum gap between answers to out-of-window segments such as a repeated SYN (Linux tcp_invalid_ratelimit). */
  invalidRateLimit: number;
  /** Challenge ACKs a host sends per second at most (RFC 5961 §7). */
  challengeAckLimit: number;
  /** First and last ephemeral port. */
  ephemeral: [number, number];
}

export const DEFAULT_TCP: Readonly<TcpConfig> = Object.freeze({
  mss: 1460,
  windowScale: 7,
  sackPermitted: true,
  timestamps: true,
  rcvBuf: 64240,
  isn: 'rfc6528',
  rtoInitial: 1000,
  rtoMin: 200,
  rtoMax: 120_000,
  rtoFallback: 3000,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  msl: 30_000,
  delayedAck: 40,
  keepAlive: false,
  keepIdle: 7_200_000,
  keepInterval: 75_000,
  keepCount: 9,
  backlog: 128,
  finTimeout: 60_000,
  nagle: true,
  initialCwnd: 10,
  invalidRateLimit: 500,
  challengeAckLimit: 1000,
  ephemeral: [32768, 60999] as [number, number],
});

/** Options of a segment event: what the segment carried, flattened. */
export type EventOptions = SegOptions;

/** A segment as it crossed a link (or was dropped there). */
export interface SegmentEvent {
  t: number;
  type: 'segment';
  /** Sequential id of the transmission within the simulation. */
  id: number;
  from: string;
  to: string;
  sport: number;
  dport: number;
  flags: TcpFlagName[];
  seq: number;
  ack: number;
  len: number;
  win: number;
  wnd: number;
  options: EventOptions;
  dropped: boolean;
  /** Arrival time at `to`, null when dropped. */
  arrive: number | null;
  /** Why it was dropped (`loss`, `rule`, `filtered`), when it was. */
  dropReason?: string;
  /** A second copy made by the link (duplication). */
  duplicate?: boolean;
  injected?: boolean;
  explain: Explain;
}

/** A connection changed state. `conn` is `host:port-peer:port` from the host's side. */
export interface StateEvent {
  t: number;
  type: 'state';
  host: string;
  conn: string;
  from: TcpState;
  to: TcpState;
  reason: string;
}

/** What an application saw or did: socket calls, end of file, errors (ECONNREFUSED, ETIMEDOUT …). */
export interface SocketEvent {
  t: number;
  type: 'socket';
  host: string;
  conn: string;
  what:
    | 'connect'
    | 'listen'
    | 'accept'
    | 'established'
    | 'send'
    | 'read'
    | 'eof'
    | 'shutdown'
    | 'close'
    | 'abort'
    | 'crash'
    | 'error'
    | 'closed';
  /** errno name for errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EADDRINUSE, EPIPE). */
  code?: string;
  bytes?: number;
  detail?: string;
}

/** Something a host did without sending a segment: ignored a RST, dropped a SYN for a full backlog … */
export interface NoteEvent {
  t: number;
  type: 'note';
  host: string;
  conn: string;
  rule: string;
  rfc: string;
  text: string;
}

export type SimEvent = SegmentEvent | StateEvent | SocketEvent | NoteEvent;
