/**
 * One observed endpoint of a session and the inference of its RFC 9293 state
 * from the segments it sends and receives. The observer only sees the wire,
 * so the model follows two rules: the sender changes state when it sends
 * (RFC 9293 §3.10.4 CLOSE, §3.10.7 for what it must have received before),
 * the receiver when a segment reaches it (RFC 9293 §3.10.7 "SEGMENT ARRIVES":
 * §3.10.7.2 LISTEN, §3.10.7.3 SYN-SENT, §3.10.7.4 other states, ACK processing
 * before FIN processing). Where the wire shows that a peer had not yet
 * processed a segment when it sent its own (a SYN crossing a SYN, a FIN that
 * does not acknowledge the peer's FIN), the model treats the crossing the way
 * RFC 9293 Figures 8 and 13 draw simultaneous open and close.
 *
 * RST validity follows RFC 5961 §3: in a synchronized state (and
 * SYN-RECEIVED) a RST is acted on only if SEQ == RCV.NXT ("exact"); one
 * elsewhere in the receive window draws a challenge ACK, one outside is
 * ignored. Linux also accepts RCV.NXT−1 once it has received a FIN
 * (CLOSE-WAIT, CLOSING, LAST-ACK: `tcp_reset_check`). In SYN-SENT a RST is
 * judged by its ACK field (RFC 9293 §3.10.7.3: acceptable iff ACK == SND.NXT).
 * A SYN in a synchronized state also draws a challenge ACK (RFC 5961 §4).
 * RCV.NXT is inferred as the later of what the peer sent (RSTs excluded) and
 * what the receiver itself acknowledged.
 */
import type { TcpPacket, TcpState } from '../../src-shared/tcp';
import { isSynchronized, TCP_FLAG } from '../../src-shared/tcp';
import { seqAdd, seqGT, seqInWindow, seqMax } from '../../src-shared/seqnum';
import { A, newWsFlow, type WsFlow } from './analysis';
import { ACK_SENT, FIN_SEQ, ISN, SND_NXT } from './columns';

const SYN = TCP_FLAG.SYN;
const ACK = TCP_FLAG.ACK;
const FIN = TCP_FLAG.FIN;
const RST = TCP_FLAG.RST;

/** Zeek's endpoint states (`TCP_ENDPOINT_*`), used for `conn_state`. */
export const Z = {
  INACTIVE: 0,
  SYN_SENT: 1,
  SYN_ACK_SENT: 2,
  PARTIAL: 3,
  ESTABLISHED: 4,
  CLOSED: 5,
  RESET: 6,
} as const;

/**
 * Everything the tracker keeps about one endpoint; a class so every instance
 * has one shape. Its sequence numbers (ISN, SND.NXT, highest ACK sent, FIN
 * sequence number) live in the side columns at offset `i` (`columns.ts`), and
 * every function below that needs them takes the columns as `n`.
 */
export class Side {
  state: TcpState = 'CLOSED';
  /** State before a RST closed it, restored if the side keeps talking (the RST was forged or ignored). */
  beforeReset: TcpState | null = null;
  /** Opened passively (answered a SYN): RST in SYN-RECEIVED returns it to LISTEN. */
  passive = false;

  /** The side's ISN is in n[i + ISN]. */
  hasIsn = false;
  /** The ISN came from this side's own SYN (not inferred from the peer's ACK). */
  isnFromSyn = false;
  /** n[i + SND_NXT], the highest sequence number sent + 1 (SYN and FIN count one, RSTs excluded), is known. */
  hasSnd = false;
  /** n[i + ACK_SENT], the highest ACK value this side sent, is known. */
  hasAckSent = false;
  /** This side sent a FIN, whose sequence number is n[i + FIN_SEQ]. */
  finSent = false;
  /** Last advertised window, scaled when known. */
  rcvWnd = 0;
  hasWnd = false;
  /** This side owes a challenge ACK (RFC 5961 §3.2, §4). */
  challengePending = false;

  sentAny = false;
  synSent = false;
  synAckSent = false;
  rstSent = false;
  packets = 0;
  payload = 0;
  mss: number | null = null;

  /** Wireshark sequence analysis for the segments this side sends. */
  readonly ws: WsFlow;

  z: number = Z.INACTIVE;
  zPrev: number = Z.INACTIVE;

  constructor(
    readonly ip: string,
    readonly port: number,
    /** Offset of this side's slots in the side columns. */
    readonly i: number,
  ) {
    this.ws = newWsFlow(i);
  }

  setState(s: TcpState): void {
    this.state = s;
    this.beforeReset = null;
  }

  /** RCV.NXT as inferred from the peer's segments and our own ACKs; null when unknown. */
  rcvNxt(n: Float64Array, peer: Side): number | null {
    if (peer.hasSnd && this.hasAckSent) return seqMax(n[peer.i + SND_NXT], n[this.i + ACK_SENT]);
    if (peer.hasSnd) return n[peer.i + SND_NXT];
    if (this.hasAckSent) return n[this.i + ACK_SENT];
    return null;
  }
}

export { isSynchronized };

/** Linux `tcp_reset_check`: RCV.NXT−1 is accepted in these states (a FIN was received). */
function finReceived(s: TcpState): boolean {
  return s === 'CLOSE-WAIT' || s === 'CLOSING' || s === 'LAST-ACK';
}

/**
 * Judges a RST arriving at `r` (sent by `s`) per RFC 5961 §3 / RFC 9293
 * §3.10.7.3 and returns RST_EXACT, RST_IN_WINDOW, RST_OUT_OF_WINDOW or 0 when
 * it cannot be judged (receiver not listening for this connection, numbers unknown).
 */
export function judgeRst(n: Float64Array, r: Side, s: Side, seq: number, ack: number, flags: number): number {
  if (r.state === 'SYN-SENT') {
    if (flags & ACK && r.hasIsn && ack === seqAdd(n[r.i + ISN], 1)) return A.RST_EXACT;
    return A.RST_OUT_OF_WINDOW;
  }
  if (r.state === 'SYN-RECEIVED' || isSynchronized(r.state)) {
    const nxt = r.rcvNxt(n, s);
    if (nxt === null) return 0;
    if (seq === nxt || (finReceived(r.state) && seq === seqAdd(nxt, -1))) return A.RST_EXACT;
    if (r.hasWnd && seqInWindow(seq, nxt, r.rcvWnd)) return A.RST_IN_WINDOW;
    return A.RST_OUT_OF_WINDOW;
  }
  return 0;
}

/**
 * The sender's side of one segment: its state after sending it (the sender
 * must already have been in a state that allows the segment).
 */
export function onSend(n: Float64Array, s: Side, r: Side, ack: number, flags: number): void {
  if (flags & RST) {
    if (s.state !== 'CLOSED') {
      const before = s.state;
      s.setState('CLOSED');
      s.beforeReset = before;
    }
    return;
  }
  // A side we believed reset keeps talking: the RST did not come from it, or was ignored.
  if (s.state === 'CLOSED' && s.beforeReset !== null && (flags & SYN) === 0) s.setState(s.beforeReset);

  if (flags & SYN) {
    if (flags & ACK) {
      // SYN,ACK: the answer to a SYN (RFC 9293 §3.10.7.2, or §3.10.7.3 in a simultaneous open).
      if (s.state === 'LISTEN' || s.state === 'CLOSED') {
        s.passive = true;
        s.setState('SYN-RECEIVED');
      } else if (s.state === 'SYN-SENT') s.setState('SYN-RECEIVED');
    } else if (s.state === 'CLOSED' || s.state === 'LISTEN') {
      s.setState('SYN-SENT'); // active OPEN (RFC 9293 §3.10.1)
    }
  } else if (flags & ACK && s.state === 'SYN-SENT') {
    // It can only ACK after receiving the SYN,ACK (which the capture missed).
    s.setState('ESTABLISHED');
  }

  if (flags & FIN) {
    switch (s.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        s.setState('FIN-WAIT-1'); // CLOSE (RFC 9293 §3.10.4)
        break;
      case 'CLOSE-WAIT':
        // A FIN that does not acknowledge the peer's FIN was sent before that FIN
        // arrived: simultaneous close (RFC 9293 Figure 13), else the passive close.
        s.setState(flags & ACK && r.finSent && seqGT(ack, n[r.i + FIN_SEQ]) ? 'LAST-ACK' : 'CLOSING');
        break;
      default:
        break;
    }
  }
}

/**
 * The receiver's side of one segment (RFC 9293 §3.10.7); returns RFC 5961
 * analysis bits (RST validity). Takes the packet rather than its numbers, so
 * no sequence number is boxed to be passed (see `analyzeSequence`).
 */
export function onReceive(n: Float64Array, r: Side, s: Side, p: TcpPacket): number {
  const seq = p.seq;
  const ack = p.ack;
  const flags = p.flags;
  const st = r.state;
  if (st === 'CLOSED' || st === 'LISTEN') return 0;

  if (st === 'SYN-SENT') {
    // RFC 9293 §3.10.7.3.
    if (flags & RST) {
      const v = judgeRst(n, r, s, seq, ack, flags);
      if (v === A.RST_EXACT) r.setState('CLOSED');
      return v;
    }
    if (flags & SYN) {
      if (flags & ACK) {
        if (!r.hasIsn || ack === seqAdd(n[r.i + ISN], 1)) r.setState('ESTABLISHED');
      } else {
        r.setState('SYN-RECEIVED'); // simultaneous open
      }
    }
    return 0;
  }

  // SYN-RECEIVED and the synchronized states (RFC 9293 §3.10.7.4).
  if (flags & RST) {
    const v = judgeRst(n, r, s, seq, ack, flags);
    if (v === A.RST_EXACT || v === 0) {
      const before = r.state;
      r.setState(st === 'SYN-RECEIVED' && r.passive ? 'LISTEN' : 'CLOSED');
      r.beforeReset = before;
      r.challengePending = false;
    } else if (v === A.RST_IN_WINDOW) {
      r.challengePending = true;
    }
    return v;
  }
  if (flags & SYN && st !== 'SYN-RECEIVED') {
    // RFC 5961 §4: any SYN in a synchronized state draws a challenge ACK; a
    // retransmitted SYN,ACK is answered with a plain duplicate ACK.
    if ((flags & ACK) === 0) r.challengePending = true;
    return 0;
  }
  if (flags & ACK) {
    if (r.state === 'SYN-RECEIVED' && (!r.hasIsn || seqGT(ack, n[r.i + ISN]))) r.setState('ESTABLISHED');
    if (r.finSent && seqGT(ack, n[r.i + FIN_SEQ])) {
      // Our FIN is acknowledged.
      if (r.state === 'FIN-WAIT-1') r.setState('FIN-WAIT-2');
      else if (r.state === 'CLOSING') r.setState('TIME-WAIT');
      else if (r.state === 'LAST-ACK') r.setState('CLOSED');
    }
  }
  if (flags & FIN) {
    switch (r.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        r.setState('CLOSE-WAIT');
        break;
      case 'FIN-WAIT-1':
        r.setState('CLOSING');
        break;
      case 'FIN-WAIT-2':
        r.setState('TIME-WAIT');
        break;
      default:
        break;
    }
  }
  return 0;
}

/** Sequence bookkeeping of the sender after a segment (ISN, SND.NXT, FIN, ACK, window). */
export function noteSent(
  n: Float64Array,
  s: Side,
  seq: number,
  ack: number,
  len: number,
  flags: number,
  window: number,
): void {
  const i = s.i;
  s.sentAny = true;
  if (flags & ACK) {
    n[i + ACK_SENT] = s.hasAckSent ? seqMax(n[i + ACK_SENT], ack) : ack;
    s.hasAckSent = true;
  }
  if (flags & RST) return; // a RST carries no data and may be forged: it tells nothing about SND.NXT
  if (flags & SYN) {
    if (!s.isnFromSyn) {
      n[i + ISN] = seq;
      s.hasIsn = true;
      s.isnFromSyn = true;
    }
    if (flags & ACK) s.synAckSent = true;
    else s.synSent = true;
  }
  const end = seqAdd(seq, len + (flags & SYN ? 1 : 0));
  if (flags & FIN && !s.finSent) {
    s.finSent = true;
    n[i + FIN_SEQ] = end;
  }
  const nxt = flags & FIN ? seqAdd(end, 1) : end;
  n[i + SND_NXT] = s.hasSnd ? seqMax(n[i + SND_NXT], nxt) : nxt;
  s.hasSnd = true;
  const ws = s.ws;
  // The shift is 0…14 (noteSynWindowScale caps it), so `1 << shift` is exact and the scaled
  // window, at most 2^30, stays a small integer.
  const shift = flags & SYN || ws.winScale < 0 ? 0 : ws.winScale;
  s.rcvWnd = window * (1 << shift);
  s.hasWnd = true;
}
