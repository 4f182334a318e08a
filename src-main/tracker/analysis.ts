/**
 * Per-segment analysis flags, computed the way Wireshark's TCP dissector does
 * (`tcp_analyze_sequence_number` in epan/dissectors/packet-tcp.c, the
 * `tcp.analysis.*` fields): retransmission, spurious retransmission,
 * out-of-order, lost segment, ACKed-unseen, duplicate ACK, zero window, zero
 * window probe, window update, window full, keep-alive and keep-alive ACK. The
 * flags live in a bit mask while tracking (no allocation per packet); they are
 * turned into `SegmentAnalysis` names only for ladder rows and summaries. The
 * RFC 5961 flags (`rst-*`, `challenge-ack`) and `bad-checksum` are set by the
 * endpoint model (`endpoint.ts`) and the tracker, not here.
 *
 * Wireshark quirks kept on purpose so counts agree with `tshark`: a direction's
 * `nextSeq`/`lastAck` of 0 means "not seen yet", the ACK field is remembered
 * even on segments without the ACK bit, and the out-of-order test uses the
 * initial RTT (first SYN to the first ACK) or 3 ms as its time threshold.
 */
import type { SegmentAnalysis } from '../../src-shared/session';
import { TCP_FLAG, type TcpPacket } from '../../src-shared/tcp';
import { seqAdd, seqGT, seqLE, seqLT } from '../../src-shared/seqnum';
import {
  BASE,
  FIRST_RTT,
  LAST_ACK,
  LAST_ACK_TIME,
  MAX_SEQ_TO_BE_ACKED,
  MRU_SYN,
  NEXT_SEQ,
  NEXT_SEQ_TIME,
} from './columns';

/** Bit positions, in the order of `ANALYSIS_NAMES`. */
export const A = {
  RETRANSMISSION: 1 << 0,
  SPURIOUS_RETRANSMISSION: 1 << 1,
  OUT_OF_ORDER: 1 << 2,
  DUP_ACK: 1 << 3,
  ZERO_WINDOW: 1 << 4,
  ZERO_WINDOW_PROBE: 1 << 5,
  WINDOW_UPDATE: 1 << 6,
  WINDOW_FULL: 1 << 7,
  KEEP_ALIVE: 1 << 8,
  KEEP_ALIVE_ACK: 1 << 9,
  LOST_SEGMENT: 1 << 10,
  ACKED_UNSEEN: 1 << 11,
  RST_EXACT: 1 << 12,
  RST_IN_WINDOW: 1 << 13,
  RST_OUT_OF_WINDOW: 1 << 14,
  CHALLENGE_ACK: 1 << 15,
  BAD_CHECKSUM: 1 << 16,
} as const;

/** Bit i of a mask is the flag `ANALYSIS_NAMES[i]`. */
export const ANALYSIS_NAMES: readonly SegmentAnalysis[] = [
  'retransmission',
  'spurious-retransmission',
  'out-of-order',
  'dup-ack',
  'zero-window',
  'zero-window-probe',
  'window-update',
  'window-full',
  'keep-alive',
  'keep-alive-ack',
  'lost-segment',
  'acked-unseen',
  'rst-exact',
  'rst-in-window',
  'rst-out-of-window',
  'challenge-ack',
  'bad-checksum',
];

export const ANALYSIS_COUNT = ANALYSIS_NAMES.length;

const NO_FLAGS: readonly SegmentAnalysis[] = Object.freeze([]);

/** Names of the bits set in `mask`; a shared frozen empty array when none are. */
export function analysisNames(mask: number): SegmentAnalysis[] {
  if (mask === 0) return NO_FLAGS as SegmentAnalysis[];
  const out: SegmentAnalysis[] = [];
  for (let i = 0; i < ANALYSIS_COUNT; i++) if (mask & (1 << i)) out.push(ANALYSIS_NAMES[i]);
  return out;
}

/** Adds the bits of `mask` to a per-session counter array. */
export function countAnalysis(counts: Uint32Array, mask: number): void {
  for (let i = 0; mask !== 0; i++, mask >>>= 1) if (mask & 1) counts[i]++;
}

/**
 * Wireshark's per-direction sequence analysis state (`tcp_flow_t` +
 * `tcp_analyze_seq_flow_info_t`). Its sequence numbers and times (`base`,
 * `nextseq`, `maxseqtobeacked`, `lastack` and their times) live in the side
 * columns (`columns.ts`) at offset `i`; the small integers stay here.
 */
export interface WsFlow {
  /** Offset of the sending side's slots in the side columns. */
  readonly i: number;
  baseSet: boolean;
  window: number; // raw window of the last segment sent
  dupAckNum: number;
  lastSegFlags: number;
  /** -1 unknown, -2 no scaling, else the shift count. */
  winScale: number;
  /** The last window this flow sent was in a SYN (never scaled). */
  lastWasSyn: boolean;
}

export function newWsFlow(i: number): WsFlow {
  return {
    i,
    baseSet: false,
    window: 0,
    dupAckNum: 0,
    lastSegFlags: 0,
    winScale: -1,
    lastWasSyn: false,
  };
}

const SYN = TCP_FLAG.SYN;
const ACK = TCP_FLAG.ACK;
const FIN = TCP_FLAG.FIN;
const RST = TCP_FLAG.RST;

/**
 * `now - then < limit` as Wireshark computes it: in unsigned nanoseconds, so a
 * packet stamped earlier than `then` (pcapng interfaces written one after the
 * other, clock steps) is never "within" the limit.
 */
function within(now: number, then: number, limit: number): boolean {
  return now >= then && now - then < limit;
}

/**
 * Records the window scale offered in a SYN and applies Wireshark's
 * `verify_tcp_window_scaling`: scaling is used only when both SYNs carry it.
 * `wsShift` is the option's shift, or -1 when the SYN has none.
 */
export function noteSynWindowScale(fwd: WsFlow, rev: WsFlow, isSynAck: boolean, wsShift: number): void {
  if (wsShift >= 0) fwd.winScale = Math.min(wsShift, 14);
  if (fwd.winScale === -1) {
    fwd.winScale = -2;
    rev.winScale = -2;
  } else if (isSynAck && rev.winScale === -2) {
    fwd.winScale = -2;
  }
}

/**
 * Wireshark's `tcp_analyze_sequence_number` for one segment sent on `fwd`
 * (with `rev` the other direction); returns the analysis bits and updates
 * both flows. `n` is the side columns (`columns.ts`) and `t` the session's
 * row there, holding the per-session timing Wireshark keeps for the
 * out-of-order threshold (`ts_first_rtt`, `ts_mru_syn`). The segment comes as
 * the packet itself, not as numbers: a sequence number above 2^31 or a time
 * passed as an argument would be boxed in a heap number for every segment.
 */
export function analyzeSequence(n: Float64Array, fwd: WsFlow, rev: WsFlow, t: number, p: TcpPacket): number {
  const seq = p.seq;
  const ack = p.ack;
  const len = p.payloadLength;
  const flags = p.flags;
  const window = p.window;
  const time = p.time;
  let ta = 0;
  const f = fwd.i;
  const r = rev.i;
  const fwdNextSeq = n[f + NEXT_SEQ];
  const fwdLastAck = n[f + LAST_ACK];
  const revLastAck = n[r + LAST_ACK];

  // Base sequence numbers for relative numbering (non-SYN first segments start at 1).
  if (!fwd.baseSet) {
    n[f + BASE] = flags & SYN ? seq : seqAdd(seq, -1);
    fwd.baseSet = true;
  }
  if (!rev.baseSet && flags & ACK) {
    n[r + BASE] = seqAdd(ack, -1);
    rev.baseSet = true;
  }

  checks: {
    // ZERO WINDOW PROBE: 1 byte at the next expected seq while the peer's window is 0.
    if (len === 1 && seq === fwdNextSeq && rev.window === 0) {
      ta |= A.ZERO_WINDOW_PROBE;
      break checks;
    }
    // ZERO WINDOW: window 0 on a segment without SYN/FIN/RST.
    if (window === 0 && (flags & (RST | FIN | SYN)) === 0) ta |= A.ZERO_WINDOW;
    // LOST SEGMENT: starts beyond the highest nextseq seen (not for RST).
    if (fwdNextSeq !== 0 && seqGT(seq, fwdNextSeq) && (flags & RST) === 0) ta |= A.LOST_SEGMENT;
    // KEEP-ALIVE: 0 or 1 byte starting one before the next expected seq.
    if ((len === 0 || len === 1) && (flags & (SYN | FIN | RST)) === 0 && seq === seqAdd(fwdNextSeq, -1)) {
      ta |= A.KEEP_ALIVE;
    }
    const plain = len === 0 && (flags & (SYN | FIN | RST)) === 0;
    const sameSeqAck = seq === fwdNextSeq && ack === fwdLastAck;
    // WINDOW UPDATE: same seq/ack as before, no data, a new non-zero window.
    if (plain && window !== 0 && window !== fwd.window && sameSeqAck) ta |= A.WINDOW_UPDATE;
    // WINDOW FULL: data reaching exactly the right edge of the peer's advertised window.
    if (len > 0 && rev.winScale !== -1 && (flags & (SYN | FIN | RST)) === 0) {
      // The shift is 0…14, so `1 << shift` is exact (and much cheaper than `2 ** shift`).
      const shift = rev.lastWasSyn || rev.winScale === -2 ? 0 : rev.winScale;
      if (seqAdd(seq, len) === seqAdd(revLastAck, rev.window * (1 << shift))) ta |= A.WINDOW_FULL;
    }
    // KEEP-ALIVE ACK: repeats the previous ACK right after a keep-alive from the peer.
    if (plain && window !== 0 && window === fwd.window && sameSeqAck && rev.lastSegFlags & A.KEEP_ALIVE) {
      ta |= A.KEEP_ALIVE_ACK;
      break checks;
    }
    // ZERO WINDOW PROBE ACK (no flag of its own here, but it is not a duplicate ACK).
    if (plain && window === 0 && fwd.window === 0 && sameSeqAck && rev.lastSegFlags & A.ZERO_WINDOW_PROBE) {
      break checks;
    }
    // DUPLICATE ACK: no data, same seq, ack and window as the previous segment.
    if (plain && window !== 0 && window === fwd.window && sameSeqAck) {
      fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
      ta |= A.DUP_ACK;
    }
  }

  // finished_fwd: a new ack number resets the duplicate ACK counter.
  if (ack !== fwdLastAck) fwd.dupAckNum = 0;

  // ACKED UNSEEN: acknowledges beyond what we saw the other side send.
  const revMax = n[r + MAX_SEQ_TO_BE_ACKED];
  if (revMax !== 0 && seqGT(ack, revMax) && flags & ACK) {
    const revNextSeq = n[r + NEXT_SEQ];
    if (seqGT(revMax, revNextSeq)) {
      n[r + MAX_SEQ_TO_BE_ACKED] = revNextSeq;
      ta |= A.ACKED_UNSEEN;
    } else {
      if (rev.dupAckNum === 0) ta |= A.ACKED_UNSEEN;
      rev.dupAckNum = -1;
    }
  }

  // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS RETRANSMISSION.
  const synFin = flags & (SYN | FIN) ? 1 : 0;
  const nextSeq = seqAdd(seq, len + synFin);
  if ((len > 0 || synFin) && (ta & A.KEEP_ALIVE) === 0) {
    let notAdvanced = fwdNextSeq !== 0 && seqLT(seq, fwdNextSeq);
    // More than one byte starting right after a possible zero window probe is new data.
    if (notAdvanced && len > 1 && seqAdd(fwdNextSeq, -1) === seq) notAdvanced = false;
    retrans: {
      if (len > 0 && revLastAck !== 0 && seqLE(seqAdd(seq, len), revLastAck)) {
        // Wireshark also marks it `tcp.analysis.retransmission`, so filters and counts agree.
        ta |= A.SPURIOUS_RETRANSMISSION | A.RETRANSMISSION;
        break retrans;
      }
      // Fast retransmission: >= 2 dup ACKs for this seq within 20 ms (Wireshark's default precedence).
      if (
        notAdvanced &&
        rev.dupAckNum >= 2 &&
        revLastAck === seq &&
        within(time, n[r + LAST_ACK_TIME], 0.02)
      ) {
        ta |= A.RETRANSMISSION;
        break retrans;
      }
      const firstRtt = n[t + FIRST_RTT];
      const threshold = firstRtt !== 0 ? firstRtt : 0.003;
      if (notAdvanced && within(time, n[f + NEXT_SEQ_TIME], threshold) && fwdNextSeq !== nextSeq) {
        ta |= A.OUT_OF_ORDER;
        break retrans;
      }
      if (notAdvanced) ta |= A.RETRANSMISSION;
    }
  }

  // finished_checking_retransmission_type: remember the highest nextseq and the contiguous edge.
  const zwp = (ta & A.ZERO_WINDOW_PROBE) !== 0;
  if ((seqGT(nextSeq, fwdNextSeq) || fwdNextSeq === 0) && !zwp) {
    n[f + NEXT_SEQ] = nextSeq;
    n[f + NEXT_SEQ_TIME] = time;
  }
  const fwdMax = n[f + MAX_SEQ_TO_BE_ACKED];
  if ((seq === fwdMax || fwdMax === 0) && !zwp) {
    n[f + MAX_SEQ_TO_BE_ACKED] = n[f + NEXT_SEQ];
  }
  fwd.window = window;
  fwd.lastWasSyn = (flags & SYN) !== 0;
  n[f + LAST_ACK] = ack;
  n[f + LAST_ACK_TIME] = time;
  fwd.lastSegFlags = ta;
  return ta;
}

/** Wireshark's initial-RTT bookkeeping in the session row `t` of `n`; call before `analyzeSequence`. */
export function noteTiming(n: Float64Array, t: number, flags: number, time: number): void {
  const sa = flags & (SYN | ACK);
  if (sa === ACK && n[t + MRU_SYN] !== 0 && n[t + FIRST_RTT] === 0) n[t + FIRST_RTT] = time - n[t + MRU_SYN];
  if (sa === SYN) n[t + MRU_SYN] = time;
}
