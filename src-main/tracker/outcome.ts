/**
 * How a session ended, in two vocabularies: plain words for learners
 * (`SessionOutcome` plus one sentence) and Zeek's `conn_state` code. The Zeek
 * code is computed the way Zeek does it: each endpoint moves through Zeek's
 * own endpoint states (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL,
 * ESTABLISHED, CLOSED, RESET) on the segments it sends only
 * (`TCPSessionAdapter::UpdateStateMachine`), and `conn_state()` of
 * base/protocols/conn/main.zeek maps the final pair to S0, S1, SF, REJ, S2,
 * S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR or OTH. Zeek's originator is our `a`
 * (Zeek also flips roles when the first packet is a SYN,ACK). The plain
 * outcome is judged from what the tracker saw: who sent SYN, SYN,ACK, FIN and
 * which RSTs the receiver would act on (RFC 5961, see `endpoint.ts`).
 */
import type { SessionOutcome } from '../../src-shared/session';
import { TCP_FLAG } from '../../src-shared/tcp';
import { Z, type Side } from './endpoint';

const SYN = TCP_FLAG.SYN;
const ACK = TCP_FLAG.ACK;
const FIN = TCP_FLAG.FIN;
const RST = TCP_FLAG.RST;

/** Facts about a session the outcome is judged from; updated per segment by the tracker. */
export class Facts {
  /** The first segment was neither SYN nor SYN,ACK. */
  midstream = false;
  /** The first segment was a pure SYN from a (Zeek history starts with "S"). */
  startsWithSyn = false;
  /** a sent something Zeek writes as H, A, F, I or Q before its first RST (rules out RSTOS0). */
  aBusyBeforeRst = false;
  refused = false;
  synScan = false;
  /** a acknowledged b's SYN (handshake complete from a's side). */
  handshakeAcked = false;
  /** The last RST the receiver acted on (or could not be judged): 'a', 'b' or null. */
  lastRst: 'a' | 'b' | null = null;
  /** A RST came after FINs both ways (the connection had closed already). */
  trailingRst = false;
}

function zSet(e: Side, st: number): void {
  e.zPrev = e.z;
  e.z = st;
}

/** Zeek's per-endpoint state machine for one segment sent by `ep` (`isOrig`: ep is a). */
export function zeekUpdate(ep: Side, peer: Side, isOrig: boolean, flags: number, len: number): void {
  switch (ep.z) {
    case Z.INACTIVE: {
      if (flags & SYN) {
        if (isOrig) {
          zSet(ep, flags & ACK ? Z.SYN_ACK_SENT : Z.SYN_SENT);
        } else {
          if (peer.z === Z.SYN_SENT) zSet(peer, Z.ESTABLISHED);
          zSet(ep, Z.ESTABLISHED);
        }
      }
      if (flags & FIN) zSet(ep, Z.CLOSED);
      if (flags & RST) zSet(ep, Z.RESET);
      if (ep.z === Z.INACTIVE) {
        if (!isOrig && len === 0 && peer.z === Z.SYN_SENT) {
          // An ACK of the SYN before the SYN,ACK: not a partial connection.
        } else if (flags & ACK && peer.z === Z.ESTABLISHED) {
          zSet(ep, Z.ESTABLISHED);
        } else {
          zSet(ep, Z.PARTIAL);
        }
      }
      break;
    }
    case Z.SYN_SENT:
    case Z.SYN_ACK_SENT:
      if (flags & FIN) zSet(ep, Z.CLOSED);
      if (flags & RST) zSet(ep, Z.RESET);
      break;
    case Z.ESTABLISHED:
    case Z.PARTIAL:
      if (flags & SYN && ep.z === Z.PARTIAL && peer.z === Z.INACTIVE && (flags & ACK) === 0) {
        zSet(ep, Z.SYN_SENT);
      }
      if (flags & FIN && (flags & RST) === 0) {
        zSet(ep, Z.CLOSED);
        // A FIN after the peer's FIN-then-RST: that was a normal close.
        if (peer.z === Z.RESET && peer.zPrev === Z.CLOSED) zSet(peer, Z.CLOSED);
      }
      if (flags & RST) zSet(ep, Z.RESET);
      break;
    case Z.CLOSED:
      if (flags & RST && peer.z !== Z.CLOSED) zSet(ep, Z.RESET);
      break;
    default:
      break;
  }
}

/** Zeek's `conn_state()` for TCP. */
export function zeekConnState(a: Side, b: Side, f: Facts): string {
  const os = a.z;
  const rs = b.z;
  const oInactive = os === Z.INACTIVE || os === Z.PARTIAL;
  const rInactive = rs === Z.INACTIVE || rs === Z.PARTIAL;
  if (rs === Z.RESET) {
    if (
      os === Z.SYN_SENT ||
      os === Z.SYN_ACK_SENT ||
      (os === Z.RESET && a.payload === 0 && b.payload === 0)
    ) {
      return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === Z.RESET) {
    if (rInactive) return f.startsWithSyn && !f.aBusyBeforeRst ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === Z.CLOSED && os === Z.CLOSED) return 'SF';
  if (os === Z.CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === Z.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === Z.SYN_SENT && rs === Z.INACTIVE) return 'S0';
  if (os === Z.ESTABLISHED && rs === Z.ESTABLISHED) return 'S1';
  return 'OTH';
}

export interface OutcomeResult {
  outcome: SessionOutcome;
  outcomeText: string;
  connState: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Classifies a session from its facts and endpoint records. */
export function classify(a: Side, b: Side, f: Facts, bPort: number): OutcomeResult {
  const connState = zeekConnState(a, b, f);
  const both = a.finSent && b.finSent;
  const r = (outcome: SessionOutcome, outcomeText: string): OutcomeResult => ({
    outcome,
    outcomeText,
    connState,
  });

  if (f.midstream) {
    let end = 'still open at the end of the capture';
    if (f.lastRst) end = `ended by a RST from ${f.lastRst.toUpperCase()}`;
    else if (both) end = 'closed by FINs both ways';
    else if (a.finSent || b.finSent) end = `half-closed by ${a.finSent ? 'A' : 'B'}`;
    return r('midstream', `mid-stream: the capture started after the handshake; ${end}.`);
  }
  if (f.refused) {
    return r('refused', `refused: B answered the SYN with RST (nothing listening on port ${bPort}).`);
  }
  if (f.synScan && f.lastRst === 'a') {
    return r('syn-scan', 'SYN scan: B answered SYN,ACK and A reset instead of completing the handshake.');
  }
  if (both && f.lastRst === null) {
    const tail = f.trailingRst ? ', then a RST' : '';
    if (a.synSent && b.synSent) {
      return r(
        'simultaneous-open',
        `simultaneous open: both sides sent SYN; closed by FINs both ways${tail}.`,
      );
    }
    return r('complete', `complete: handshake done and closed by FINs both ways${tail}.`);
  }
  if (f.lastRst === 'a') {
    if (!b.sentAny)
      return r('reset-by-a', 'reset by A: A sent a SYN and then RST without any answer from B.');
    return r('reset-by-a', 'reset by A: A aborted the connection with RST.');
  }
  if (f.lastRst === 'b') return r('reset-by-b', 'reset by B: B aborted the connection with RST.');
  if (a.synSent && b.synSent) {
    return r('simultaneous-open', 'simultaneous open: both sides sent SYN and each answered the other.');
  }
  if (a.finSent || b.finSent) {
    const who = a.finSent ? 'A' : 'B';
    const other = a.finSent ? 'B' : 'A';
    return r('half-open', `half-open: ${who} closed its side with FIN but ${other} never sent its FIN.`);
  }
  if (b.synAckSent && !f.handshakeAcked) {
    return r(
      'handshake-incomplete',
      "handshake incomplete: B answered SYN,ACK but A's final ACK was not seen.",
    );
  }
  if (a.synSent && !b.sentAny) {
    return r('no-answer', `no answer: A sent ${plural(a.packets, 'SYN')} and B never replied.`);
  }
  return r('open', 'open: established and still open at the end of the capture.');
}
