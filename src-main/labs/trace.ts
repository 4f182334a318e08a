/**
 * The session event stream a lab's checks read: the engine's trace (segment,
 * state, socket and note events) — or a captured session's ladder rows —
 * turned into one ordered list where every segment also carries what a
 * learner reasons with: sequence numbers relative to the sender's ISN (as
 * Wireshark shows them), the acknowledgment relative to the peer's ISN, and
 * the sender's state right after sending it. Checks, answers read from the
 * trace and predict-the-packet truths all come from here.
 */
import { seqRelative } from '../../src-shared/seqnum';
import type { SegmentRow } from '../../src-shared/session';
import { flagNames, type TcpFlagName, type TcpState } from '../../src-shared/tcp';
import { segOptions, type SegOptions, type SimEvent } from '../engine';

export interface TraceSegment {
  kind: 'segment';
  /** Position among the trace's segments. */
  i: number;
  t: number;
  arrive: number | null;
  from: string;
  to: string;
  sport: number;
  dport: number;
  flags: TcpFlagName[];
  seq: number;
  ack: number;
  relSeq: number;
  relAck: number;
  len: number;
  win: number;
  options: SegOptions;
  injected: boolean;
  dropped: boolean;
  explain: { rule: string; rfc: string; text: string };
  /** The sender's state once it has sent this segment. */
  senderState: TcpState;
}

export interface TraceState {
  kind: 'state';
  t: number;
  host: string;
  conn: string;
  from: TcpState;
  to: TcpState;
  reason: string;
}

export interface TraceSocket {
  kind: 'socket';
  t: number;
  host: string;
  conn: string;
  what: string;
  code?: string;
}

export interface TraceNote {
  kind: 'note';
  t: number;
  host: string;
  rule: string;
  text: string;
}

export type TraceEvent = TraceSegment | TraceState | TraceSocket | TraceNote;

export interface LabTrace {
  events: TraceEvent[];
  segments: TraceSegment[];
}

const dirKey = (from: string, sport: number, to: string, dport: number): string =>
  `${from}:${sport}>${to}:${dport}`;
const connKey = (host: string, port: number, peer: string, peerPort: number): string =>
  `${host}:${port}-${peer}:${peerPort}`;

/** Builds the trace from engine events (as `Simulation.events` records them). */
export function traceFromSim(events: readonly SimEvent[]): LabTrace {
  const out: TraceEvent[] = [];
  const segments: TraceSegment[] = [];
  const base = new Map<string, number>();
  const state = new Map<string, TcpState>();
  const pending: TraceSegment[] = [];
  for (const e of events) {
    if (e.type === 'segment') {
      pending.length = 0;
      const k = dirKey(e.from, e.sport, e.to, e.dport);
      const back = dirKey(e.to, e.dport, e.from, e.sport);
      if (!e.injected && (e.flags.includes('SYN') || !base.has(k))) base.set(k, e.seq);
      const b = base.get(k) ?? e.seq;
      const ab = base.get(back);
      const seg: TraceSegment = {
        kind: 'segment',
        i: segments.length,
        t: e.t,
        arrive: e.arrive,
        from: e.from,
        to: e.to,
        sport: e.sport,
        dport: e.dport,
        flags: [...e.flags],
        seq: e.seq,
        ack: e.ack,
        relSeq: seqRelative(e.seq, b),
        relAck: e.flags.includes('ACK') ? (ab === undefined ? e.ack : seqRelative(e.ack, ab)) : 0,
        len: e.len,
        win: e.win,
        options: e.options,
        injected: e.injected === true,
        dropped: e.dropped,
        explain: e.explain,
        senderState: state.get(connKey(e.from, e.sport, e.to, e.dport)) ?? 'CLOSED',
      };
      segments.push(seg);
      out.push(seg);
      if (!e.injected) pending.push(seg);
    } else if (e.type === 'state') {
      state.set(e.conn, e.to);
      // A state change right after a segment, at the same instant on the sender's connection, is where sending it left the sender.
      for (const p of pending)
        if (p.t === e.t && connKey(p.from, p.sport, p.to, p.dport) === e.conn) p.senderState = e.to;
      out.push({
        kind: 'state',
        t: e.t,
        host: e.host,
        conn: e.conn,
        from: e.from,
        to: e.to,
        reason: e.reason,
      });
    } else if (e.type === 'socket') {
      const s: TraceSocket = { kind: 'socket', t: e.t, host: e.host, conn: e.conn, what: e.what };
      if (e.code) s.code = e.code;
      out.push(s);
    } else {
      out.push({ kind: 'note', t: e.t, host: e.host, rule: e.rule, text: e.text });
    }
  }
  return { events: out, segments };
}

/** Builds the trace of a captured session from its ladder rows: A opened the connection, B is the other side. */
export function traceFromRows(rows: readonly SegmentRow[]): LabTrace {
  const out: TraceEvent[] = [];
  const segments: TraceSegment[] = [];
  let sa: TcpState = 'CLOSED';
  let sb: TcpState = 'CLOSED';
  for (const r of rows) {
    const t = r.time * 1000;
    const ab = r.dir === 'ab';
    const seg: TraceSegment = {
      kind: 'segment',
      i: segments.length,
      t,
      arrive: r.arrive === undefined ? null : r.arrive * 1000,
      from: ab ? 'A' : 'B',
      to: ab ? 'B' : 'A',
      sport: 0,
      dport: 0,
      flags: flagNames(r.flags),
      seq: r.seq,
      ack: r.ack,
      relSeq: r.relSeq,
      relAck: r.relAck,
      len: r.len,
      win: r.win,
      options: segOptions(r.options) ?? {},
      injected: r.injected === true,
      dropped: r.dropped === true,
      explain: r.explain ?? { rule: r.analysis[0] ?? 'observed', rfc: '', text: 'Observed on the wire' },
      senderState: ab ? r.stateA : r.stateB,
    };
    segments.push(seg);
    out.push(seg);
    for (const [host, before, after] of [
      ['A', sa, r.stateA],
      ['B', sb, r.stateB],
    ] as const) {
      if (before !== after)
        out.push({
          kind: 'state',
          t,
          host,
          conn: `${host}:0-${host === 'A' ? 'B' : 'A'}:0`,
          from: before,
          to: after,
          reason: 'observed',
        });
    }
    sa = r.stateA;
    sb = r.stateB;
  }
  return { events: out, segments };
}
