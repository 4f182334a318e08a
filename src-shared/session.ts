/**
 * Plain data about observed TCP sessions, as the tracker produces it and the
 * bridge, CLI and renderer consume it: a session summary (the `tcplab analyze
 * --json` shape) and one ladder row per segment with each endpoint's inferred
 * state after it. Everything here is JSON-safe.
 */
import type { TcpOption, TcpState } from './tcp';

export interface Endpoint {
  ip: string;
  port: number;
}

/**
 * Outcome codes in plain words; Zeek's `conn_state` is carried beside them.
 * `a` is always the side that sent the first SYN (else the first sender).
 */
export type SessionOutcome =
  | 'complete' // handshake done, closed by FINs both ways
  | 'refused' // SYN answered by RST
  | 'reset-by-a'
  | 'reset-by-b'
  | 'half-open' // handshake done, only one side closed (or a closed without answer)
  | 'syn-scan' // SYN, SYN-ACK, then RST from the scanner
  | 'no-answer' // SYN(s) without any reply
  | 'handshake-incomplete' // SYN-ACK seen but no final ACK
  | 'simultaneous-open'
  | 'open' // established and still open at the end of the capture
  | 'midstream'; // capture started after the handshake

/** Analysis flags a segment can carry (Wireshark's tcp.analysis.* in spirit). */
export type SegmentAnalysis =
  | 'retransmission'
  | 'spurious-retransmission'
  | 'out-of-order'
  | 'dup-ack'
  | 'zero-window'
  | 'zero-window-probe'
  | 'window-update'
  | 'window-full'
  | 'keep-alive'
  | 'keep-alive-ack'
  | 'lost-segment'
  | 'acked-unseen'
  | 'rst-exact'
  | 'rst-in-window'
  | 'rst-out-of-window'
  | 'challenge-ack'
  | 'bad-checksum';

export interface SessionSummary {
  id: number;
  a: Endpoint;
  b: Endpoint;
  packets: number;
  bytes: number; // bytes on the wire (frame lengths) in both directions
  payloadBytes: { a: number; b: number };
  firstTime: number;
  lastTime: number;
  outcome: SessionOutcome;
  /** One sentence for people: "refused: B answered the SYN with RST". */
  outcomeText: string;
  /** Zeek conn_state code (S0, S1, SF, REJ, RSTO, RSTR, SH, …). */
  connState: string;
  /** RFC 9293 states at the end of the capture. */
  states: { a: TcpState; b: TcpState };
  /** Count of each analysis flag in the session. */
  analysis: Partial<Record<SegmentAnalysis, number>>;
  isn: { a: number | null; b: number | null };
  mss: { a: number | null; b: number | null };
}

/** One segment of a session, as a ladder row. `dir` is a→b or b→a. */
export interface SegmentRow {
  /** Index within the session, 0-based. */
  index: number;
  /** Frame number in the file (1-based). */
  frame: number;
  time: number;
  dir: 'ab' | 'ba';
  flags: number;
  seq: number;
  ack: number;
  /** Relative to the sender's ISN (or first seq seen), as Wireshark does. */
  relSeq: number;
  /** Relative to the receiver's ISN; 0 when ACK is not set. */
  relAck: number;
  len: number;
  /** Window in bytes: the field scaled by the negotiated window scale when known (Wireshark's calculated window). */
  win: number;
  options: TcpOption[];
  /** States after this segment is seen: the sender's state may change when it sends, the receiver's when it receives. */
  stateA: TcpState;
  stateB: TcpState;
  analysis: SegmentAnalysis[];
  /** Arrival time at the receiver when known (simulations): the ladder slants the arrow by it. */
  arrive?: number;
  /** Why the sender sent it: the rule that fired, its RFC section and a sentence (simulations, injections). */
  explain?: { rule: string; rfc: string; text: string };
  /** The segment was lost on the way (simulated link loss, filtered port). */
  dropped?: boolean;
  /** The learner injected this segment. */
  injected?: boolean;
  /** State changes this segment caused, for annotations like "SYN-SENT → ESTABLISHED". */
  changes?: Array<{ side: 'a' | 'b'; from: TcpState; to: TcpState }>;
}
