/**
 * The observed-session tracker: takes decoded TCP segments one at a time,
 * groups them into sessions the way Wireshark numbers `tcp.stream`, and for
 * every segment infers both endpoints' RFC 9293 state (`endpoint.ts`), flags
 * Wireshark-style and RFC 5961 analysis events (`analysis.ts`) and keeps what
 * the outcome needs (`outcome.ts`).
 *
 * Stream split (Wireshark 4.0 `dissect_tcp`): segments are keyed on the
 * unordered address/port 4-tuple; a pure SYN whose sequence number differs
 * from the base sequence already recorded for its direction starts a new
 * session on the same 4-tuple (port reuse), whether or not the previous one
 * had closed; a SYN with the same sequence number is a retransmission and a
 * SYN,ACK never splits. Later segments on the 4-tuple belong to the newest
 * session. Session ids count from 0 in order of first segment.
 *
 * Roles: `a` sent the first pure SYN; if the first segment is a SYN,ACK, `a`
 * is its receiver; otherwise (mid-stream) `a` is the first sender and both
 * sides start ESTABLISHED. Before `b` answers a SYN it is shown as LISTEN; if
 * it answers with RST, the stored rows are revised to show it CLOSED.
 *
 * Cost per segment: one Map lookup (skipped while segments keep coming on the
 * same 4-tuple), a few number updates, and the ladder row when rows are kept.
 */
import type { SegmentRow, SessionSummary, SegmentAnalysis } from '../../src-shared/session';
import type { TcpPacket } from '../../src-shared/tcp';
import { TCP_FLAG } from '../../src-shared/tcp';
import { seqAdd, seqRelative } from '../../src-shared/seqnum';
import {
  A,
  ANALYSIS_COUNT,
  ANALYSIS_NAMES,
  analysisNames,
  analyzeSequence,
  countAnalysis,
  noteSynWindowScale,
  noteTiming,
} from './analysis';
import { BASE, FIRST_TIME, ISN, LAST_TIME, SideColumns } from './columns';
import { isSynchronized, judgeRst, noteSent, onReceive, onSend, Side } from './endpoint';
import { classify, Facts, zeekUpdate } from './outcome';

export interface TrackerOptions {
  /** Keep a ladder row per segment (default true); false keeps per-session state only. */
  keepSegments?: boolean;
}

export interface TrackResult {
  sessionId: number;
  /** The ladder row, or null when `keepSegments` is false. */
  row: SegmentRow | null;
}

const SYN = TCP_FLAG.SYN;
const ACK = TCP_FLAG.ACK;
const FIN = TCP_FLAG.FIN;
const RST = TCP_FLAG.RST;

/** One observed session. */
class Session {
  packets = 0;
  bytes = 0;
  /** Count of each analysis flag; null until the session's first flag (most sessions have none). */
  counts: Uint32Array | null = null;
  readonly facts = new Facts();
  readonly rows: SegmentRow[] | null;
  /** The session this one replaced on the 4-tuple, while its endpoints were still synchronized. */
  prev: Session | null = null;
  /** Side of `prev` that is the same host and port as our `b`. */
  prevB: Side | null = null;
  prevBPeer: Side | null = null;

  constructor(
    readonly id: number,
    /** Offset of the session's row in the side columns (first and last time, Wireshark timing). */
    readonly t: number,
    readonly ipVersion: number,
    readonly a: Side,
    readonly b: Side,
    keepRows: boolean,
  ) {
    this.rows = keepRows ? [] : null;
  }

  /** The 4-tuple key, built only when a port-pair bucket turns into a map (kept off the per-session cost). */
  get key(): string {
    return pairKey(this.ipVersion, this.a.ip, this.a.port, this.b.ip, this.b.port);
  }
}

function findMss(p: TcpPacket): number | null {
  for (const o of p.options) if (o.kind === 'mss') return o.value;
  return null;
}

function findWscale(p: TcpPacket): number {
  for (const o of p.options) if (o.kind === 'wscale') return o.shift;
  return -1;
}

const BUCKET_SCAN_MAX = 16;

/** The unordered port pair as one number. */
function portsKey(sp: number, dp: number): number {
  return sp < dp ? sp * 65536 + dp : dp * 65536 + sp;
}

/** Whether `p` travels between the endpoints of `s`, either way. */
function matches(s: Session, p: TcpPacket): boolean {
  const a = s.a;
  const b = s.b;
  if (p.srcPort === a.port && p.dstPort === b.port && p.src === a.ip && p.dst === b.ip) return true;
  return p.srcPort === b.port && p.dstPort === a.port && p.src === b.ip && p.dst === a.ip;
}

/** The unordered 4-tuple as a string, the same whichever end is given first. */
function pairKey(v: number, s: string, sp: number, d: string, dp: number): string {
  if (s < d || (s === d && sp <= dp)) return `${v}|${s}|${sp}|${d}|${dp}`;
  return `${v}|${d}|${dp}|${s}|${sp}`;
}

function tupleKey(p: TcpPacket): string {
  return pairKey(p.ipVersion, p.src, p.srcPort, p.dst, p.dstPort);
}

export class Tracker {
  private readonly keepSegments: boolean;
  private readonly sessions: Session[] = [];
  /** Sequence numbers and times of every side, unboxed (`columns.ts`). */
  private readonly cols = new SideColumns();
  /**
   * Newest session per 4-tuple, bucketed by the unordered port pair: the
   * session itself while it is the only one on its port pair (the common case,
   * one memory load less per lookup), then a short array scanned with string
   * compares (no key string built per packet), turned into a map keyed by the
   * full 4-tuple when a bucket grows (one source port to many hosts, as masscan
   * does).
   */
  private readonly byPorts = new Map<number, Session | Session[] | Map<string, Session>>();
  // Last 4-tuple seen, to skip building the key for runs of segments of one flow.
  private lastSrc = '';
  private lastDst = '';
  private lastSport = -1;
  private lastDport = -1;
  private lastVersion = 0;
  private lastSession: Session | null = null;
  /** The ladder row of the segment `track()` just took (null when rows are not kept). */
  private lastRow: SegmentRow | null = null;

  constructor(opts: TrackerOptions = {}) {
    this.keepSegments = opts.keepSegments ?? true;
  }

  get sessionCount(): number {
    return this.sessions.length;
  }

  /** Tracks one segment; `wireLength` is the frame length on the wire (for byte counters). */
  add(p: TcpPacket, wireLength: number): TrackResult {
    const sessionId = this.track(p, wireLength);
    return { sessionId, row: this.lastRow };
  }

  /** `add()` for bulk readers: returns only the session id, allocating no result per segment. */
  track(p: TcpPacket, wireLength: number): number {
    let sess = this.lookup(p);
    const flags = p.flags;
    if (sess !== null && (flags & (SYN | ACK)) === SYN) {
      // Port reuse: a SYN with a new sequence number starts a new stream (Wireshark).
      const fwd = p.srcPort === sess.a.port && p.src === sess.a.ip ? sess.a : sess.b;
      if (fwd.ws.baseSet && p.seq !== this.cols.n[fwd.i + BASE]) sess = this.create(p, sess);
    }
    if (sess === null) sess = this.create(p, null);
    const fromA = p.srcPort === sess.a.port && p.src === sess.a.ip;
    const s = fromA ? sess.a : sess.b;
    const r = fromA ? sess.b : sess.a;
    const n = this.cols.n;

    const time = p.time;
    const len = p.payloadLength;
    const seq = p.seq;
    const ack = p.ack;
    const t = sess.t;
    if (sess.packets === 0) n[t + FIRST_TIME] = time;
    sess.packets++;
    sess.bytes += wireLength;
    n[t + LAST_TIME] = time;
    s.packets++;
    s.payload += len;

    // Options of SYNs: MSS and window scale.
    if (flags & SYN) {
      if (s.mss === null) s.mss = findMss(p);
      noteSynWindowScale(s.ws, r.ws, (flags & ACK) !== 0, findWscale(p));
    }

    // Wireshark sequence analysis.
    noteTiming(n, t, flags, time);
    let mask = analyzeSequence(n, s.ws, r.ws, t, p);

    // RFC 9293 state inference: sender first, then receiver.
    const senderWasListening = s.state === 'LISTEN';
    if (s.challengePending) {
      if ((flags & (SYN | FIN | RST)) === 0 && flags & ACK && len === 0) mask |= A.CHALLENGE_ACK;
      s.challengePending = false;
    }
    this.noteFacts(sess, fromA, flags, len);
    onSend(n, s, r, ack, flags);
    if (senderWasListening && sess.prevB !== null && !fromA && (flags & (SYN | RST)) === 0 && flags & ACK) {
      // The listener of a new session is the old connection's endpoint: a bare ACK
      // not acknowledging the new SYN is its challenge ACK (RFC 5961 §4).
      if (!r.hasIsn || ack !== seqAdd(n[r.i + ISN], 1)) mask |= A.CHALLENGE_ACK;
    }
    if (flags & RST && r.state === 'LISTEN' && sess.prevB !== null && fromA) {
      // A RST following up a SYN on a reused 4-tuple is judged by the old connection.
      mask |= this.rstToPrevious(sess, seq, ack, flags);
    } else {
      mask |= onReceive(n, r, s, p);
    }
    noteSent(n, s, seq, ack, len, flags, p.window);
    if (flags & RST) this.noteRst(sess, fromA, mask);
    if (senderWasListening && flags & RST && s === sess.b) this.reviseListening(sess);

    if (p.checksumOk === false) mask |= A.BAD_CHECKSUM;
    if (mask !== 0) countAnalysis((sess.counts ??= new Uint32Array(ANALYSIS_COUNT)), mask);
    zeekUpdate(s, r, fromA, flags, len);

    let row: SegmentRow | null = null;
    if (sess.rows !== null) {
      row = {
        index: sess.rows.length,
        frame: p.frame,
        time,
        dir: fromA ? 'ab' : 'ba',
        flags,
        seq,
        ack,
        relSeq: seqRelative(seq, n[s.i + BASE]),
        relAck: flags & ACK ? seqRelative(ack, n[r.i + BASE]) : 0,
        len,
        win: s.hasWnd ? s.rcvWnd : p.window,
        options: p.options,
        stateA: sess.a.state,
        stateB: sess.b.state,
        analysis: analysisNames(mask),
      };
      sess.rows.push(row);
    }
    this.lastRow = row;
    return sess.id;
  }

  /** Summaries of all sessions, in id order. */
  summaries(): SessionSummary[] {
    return this.sessions.map((s) => this.summarize(s));
  }

  summary(id: number): SessionSummary | undefined {
    const s = this.sessions[id];
    return s === undefined ? undefined : this.summarize(s);
  }

  /**
   * Ids of the sessions on the same unordered 4-tuple as session `id` (itself
   * included, several when the 4-tuple was reused), in id order; tracking their
   * segments again, alone, gives the same sessions and rows.
   */
  sameTuple(id: number): number[] {
    const s = this.sessions[id];
    if (s === undefined) return [];
    const out: number[] = [];
    for (const c of this.sessions) {
      if (
        c.ipVersion === s.ipVersion &&
        ((c.a.ip === s.a.ip && c.a.port === s.a.port && c.b.ip === s.b.ip && c.b.port === s.b.port) ||
          (c.a.ip === s.b.ip && c.a.port === s.b.port && c.b.ip === s.a.ip && c.b.port === s.a.port))
      ) {
        out.push(c.id);
      }
    }
    return out;
  }

  /** Ladder rows of a session (empty when rows are not kept or the id is unknown). */
  segments(id: number): SegmentRow[] {
    return this.sessions[id]?.rows ?? [];
  }

  private lookup(p: TcpPacket): Session | null {
    const last = this.lastSession;
    if (
      last !== null &&
      p.ipVersion === this.lastVersion &&
      ((p.srcPort === this.lastSport &&
        p.dstPort === this.lastDport &&
        p.src === this.lastSrc &&
        p.dst === this.lastDst) ||
        (p.srcPort === this.lastDport &&
          p.dstPort === this.lastSport &&
          p.src === this.lastDst &&
          p.dst === this.lastSrc))
    ) {
      return last;
    }
    const bucket = this.byPorts.get(portsKey(p.srcPort, p.dstPort));
    let sess: Session | null = null;
    if (bucket instanceof Session) {
      if (matches(bucket, p)) sess = bucket;
    } else if (bucket instanceof Map) {
      sess = bucket.get(tupleKey(p)) ?? null;
    } else if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) {
        const c = bucket[i];
        if (matches(c, p)) {
          sess = c;
          break;
        }
      }
    }
    this.remember(p, sess);
    return sess;
  }

  /** Makes `sess` the session of its 4-tuple, replacing `prev` if given. */
  private index(p: TcpPacket, sess: Session, prev: Session | null): void {
    const pk = portsKey(p.srcPort, p.dstPort);
    const bucket = this.byPorts.get(pk);
    if (bucket === undefined || bucket === prev) {
      this.byPorts.set(pk, sess);
    } else if (bucket instanceof Session) {
      this.byPorts.set(pk, [bucket, sess]);
    } else if (bucket instanceof Map) {
      bucket.set(sess.key, sess);
    } else {
      const i = prev === null ? -1 : bucket.indexOf(prev);
      if (i >= 0) bucket[i] = sess;
      else if (bucket.length < BUCKET_SCAN_MAX) bucket.push(sess);
      else {
        const m = new Map<string, Session>();
        for (const c of bucket) m.set(c.key, c);
        m.set(sess.key, sess);
        this.byPorts.set(pk, m);
      }
    }
  }

  private remember(p: TcpPacket, sess: Session | null): void {
    this.lastSession = sess;
    this.lastSrc = p.src;
    this.lastDst = p.dst;
    this.lastSport = p.srcPort;
    this.lastDport = p.dstPort;
    this.lastVersion = p.ipVersion;
  }

  private create(p: TcpPacket, prev: Session | null): Session {
    const flags = p.flags;
    const synAckFirst = (flags & (SYN | ACK)) === (SYN | ACK);
    const src = new Side(p.src, p.srcPort, this.cols.alloc());
    const dst = new Side(p.dst, p.dstPort, this.cols.alloc());
    const a = synAckFirst ? dst : src;
    const b = synAckFirst ? src : dst;
    const sess = new Session(this.sessions.length, this.cols.alloc(), p.ipVersion, a, b, this.keepSegments);
    if (flags & SYN) {
      b.state = 'LISTEN';
      sess.facts.startsWithSyn = !synAckFirst;
      if (synAckFirst) {
        // a must have sent the SYN this SYN,ACK answers.
        a.state = 'SYN-SENT';
        this.cols.n[a.i + ISN] = seqAdd(p.ack, -1);
        a.hasIsn = true;
      }
    } else {
      a.state = 'ESTABLISHED';
      b.state = 'ESTABLISHED';
      sess.facts.midstream = true;
    }
    if (prev !== null && (flags & (SYN | ACK)) === SYN) {
      // Port reuse: if the old connection is still synchronized, its endpoint may answer for it.
      const oldB = prev.a.port === b.port && prev.a.ip === b.ip ? prev.a : prev.b;
      const oldPeer = oldB === prev.a ? prev.b : prev.a;
      if (isSynchronized(oldB.state) && oldB.state !== 'TIME-WAIT') {
        sess.prev = prev;
        sess.prevB = oldB;
        sess.prevBPeer = oldPeer;
      }
    }
    this.sessions.push(sess);
    this.index(p, sess, prev);
    this.remember(p, sess);
    return sess;
  }

  private noteFacts(sess: Session, fromA: boolean, flags: number, len: number): void {
    const f = sess.facts;
    const a = sess.a;
    const b = sess.b;
    if (fromA) {
      if (flags & RST) {
        if (b.synAckSent && !f.handshakeAcked) f.synScan = true;
      } else if (!a.rstSent) {
        const ackOnly = (flags & (SYN | FIN | RST)) === 0 && flags & ACK && len === 0;
        if ((flags & SYN && flags & ACK) || ackOnly || flags & FIN) f.aBusyBeforeRst = true;
      }
      if ((flags & (SYN | RST)) === 0 && flags & ACK && b.synAckSent) f.handshakeAcked = true;
    } else if (flags & RST && !b.synAckSent && !b.synSent && a.synSent && !b.sentAny) {
      f.refused = true;
    }
    if (flags & RST) (fromA ? a : b).rstSent = true;
  }

  private noteRst(sess: Session, fromA: boolean, mask: number): void {
    if (mask & (A.RST_IN_WINDOW | A.RST_OUT_OF_WINDOW)) return; // the receiver ignores it
    const f = sess.facts;
    if (sess.a.finSent && sess.b.finSent && f.lastRst === null) f.trailingRst = true;
    else f.lastRst = fromA ? 'a' : 'b';
  }

  /** b answered the SYN with RST: it was never listening, so rows that showed it LISTEN show CLOSED. */
  private reviseListening(sess: Session): void {
    sess.b.beforeReset = null;
    if (sess.rows === null) return;
    for (const row of sess.rows) if (row.stateB === 'LISTEN') row.stateB = 'CLOSED';
  }

  /** A RST sent after a SYN on a reused 4-tuple, judged against the old connection's receiver. */
  private rstToPrevious(sess: Session, seq: number, ack: number, flags: number): number {
    const oldB = sess.prevB!;
    const oldPeer = sess.prevBPeer!;
    const v = judgeRst(this.cols.n, oldB, oldPeer, seq, ack, flags);
    if (v === A.RST_EXACT) {
      oldB.setState('CLOSED');
      sess.b.setState('CLOSED');
      sess.prevB = null;
      sess.prevBPeer = null;
    } else if (v === A.RST_IN_WINDOW) {
      sess.b.challengePending = true;
    }
    return v;
  }

  private summarize(s: Session): SessionSummary {
    const n = this.cols.n;
    const analysis: Partial<Record<SegmentAnalysis, number>> = {};
    const counts = s.counts;
    if (counts !== null) {
      for (let i = 0; i < ANALYSIS_COUNT; i++) if (counts[i] > 0) analysis[ANALYSIS_NAMES[i]] = counts[i];
    }
    const o = classify(s.a, s.b, s.facts, s.b.port);
    // Keys in the order of the `tcplab analyze --json` contract (contract keys first, then the rest),
    // so the CLI can serialise a summary as it is.
    return {
      id: s.id,
      a: { ip: s.a.ip, port: s.a.port },
      b: { ip: s.b.ip, port: s.b.port },
      packets: s.packets,
      bytes: s.bytes,
      firstTime: n[s.t + FIRST_TIME],
      lastTime: n[s.t + LAST_TIME],
      outcome: o.outcome,
      states: { a: s.a.state, b: s.b.state },
      payloadBytes: { a: s.a.payload, b: s.b.payload },
      outcomeText: o.outcomeText,
      connState: o.connState,
      analysis,
      isn: { a: s.a.isnFromSyn ? n[s.a.i + ISN] : null, b: s.b.isnFromSyn ? n[s.b.i + ISN] : null },
      mss: { a: s.a.mss, b: s.b.mss },
    };
  }
}
