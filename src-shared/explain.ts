/**
 * Why a segment seen on the wire (a capture file or a live capture) changed
 * what it changed, in the learner's words with the RFC section beside it —
 * the observed counterpart of the `explain` record the engine writes for the
 * segments it sends. The tracker gives every row both endpoints' inferred
 * states after the segment; comparing them with the previous row's says
 * which side moved: the sender moves when it sends (RFC 9293 §3.10.4–5: OPEN,
 * CLOSE, ABORT), the receiver when the segment arrives (§3.10.7). RST
 * validity and challenge ACKs follow RFC 5961. Pure: no DOM, no Node.
 */
import type { SegmentRow } from './session';
import { TCP_FLAG, flagNames, type TcpState } from './tcp';

export interface Explanation {
  rule: string;
  rfc: string;
  text: string;
}

type Side = 'a' | 'b';

/** A sentence and its reference for one side's move; `who` is "A" or "B", `peer` the other. */
type Move = (who: string, peer: string) => { text: string; rfc: string };

/** Moves of the sender, made as it sends the segment. */
const SENT: Partial<Record<string, Move>> = {
  'LISTEN>SYN-RECEIVED': (who, peer) => ({
    text: `${who} was listening and ${peer}'s SYN reached it: ${who} answers with SYN,ACK (its own SYN, acknowledging ${peer}'s) and moves to SYN-RECEIVED.`,
    rfc: 'RFC 9293 §3.10.7.2',
  }),
  'CLOSED>SYN-RECEIVED': (who, peer) => ({
    text: `${who} answers ${peer}'s SYN with SYN,ACK and moves to SYN-RECEIVED (it must have been listening, though the capture showed it closed).`,
    rfc: 'RFC 9293 §3.10.7.2',
  }),
  'CLOSE-WAIT>CLOSING': (who, peer) => ({
    text: `${who} sends its FIN before ${peer}'s FIN had reached it (the FINs cross: a simultaneous close), so ${who} counts as CLOSING.`,
    rfc: 'RFC 9293 §3.10.4, Figure 13',
  }),
  'CLOSED>SYN-SENT': (who) => ({
    text: `${who} opens the connection (active OPEN): it sends SYN with its initial sequence number and moves to SYN-SENT.`,
    rfc: 'RFC 9293 §3.10.1',
  }),
  'ESTABLISHED>FIN-WAIT-1': (who) => ({
    text: `${who} closes its side (CLOSE): it sends FIN and moves to FIN-WAIT-1, waiting for the FIN to be acknowledged.`,
    rfc: 'RFC 9293 §3.10.4',
  }),
  'SYN-RECEIVED>FIN-WAIT-1': (who) => ({
    text: `${who} closes before the handshake completed: it sends FIN and moves to FIN-WAIT-1.`,
    rfc: 'RFC 9293 §3.10.4',
  }),
  'CLOSE-WAIT>LAST-ACK': (who, peer) => ({
    text: `${who} had received ${peer}'s FIN and now closes too: it sends its own FIN and waits in LAST-ACK for the last ACK.`,
    rfc: 'RFC 9293 §3.10.4',
  }),
};

/** Moves of the receiver, made as the segment arrives. */
const RECEIVED: Partial<Record<string, Move>> = {
  'LISTEN>SYN-RECEIVED': (who, peer) => ({
    text: `${who} was listening: ${peer}'s SYN arrives, ${who} answers with SYN,ACK and moves to SYN-RECEIVED.`,
    rfc: 'RFC 9293 §3.10.7.2',
  }),
  'SYN-SENT>ESTABLISHED': (who, peer) => ({
    text: `${peer}'s SYN,ACK acknowledges ${who}'s SYN: ${who} is ESTABLISHED and will acknowledge it (the third segment of the handshake).`,
    rfc: 'RFC 9293 §3.10.7.3',
  }),
  'SYN-SENT>SYN-RECEIVED': (who, peer) => ({
    text: `${peer}'s SYN crosses ${who}'s own SYN (simultaneous open): ${who} moves to SYN-RECEIVED and answers with SYN,ACK.`,
    rfc: 'RFC 9293 §3.10.7.3, Figure 8',
  }),
  'SYN-RECEIVED>ESTABLISHED': (who, peer) => ({
    text: `${peer} acknowledges ${who}'s SYN: the handshake is complete and ${who} is ESTABLISHED.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'ESTABLISHED>CLOSE-WAIT': (who, peer) => ({
    text: `${peer}'s FIN arrives: ${peer} has no more data to send. ${who} acknowledges it and moves to CLOSE-WAIT, and may still send until it closes too.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'SYN-RECEIVED>CLOSE-WAIT': (who, peer) => ({
    text: `${peer}'s FIN arrives right after the handshake: ${who} moves to CLOSE-WAIT.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'FIN-WAIT-1>FIN-WAIT-2': (who, peer) => ({
    text: `${peer} acknowledges ${who}'s FIN: ${who} moves to FIN-WAIT-2 and waits for ${peer}'s FIN.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'FIN-WAIT-1>CLOSING': (who, peer) => ({
    text: `${peer}'s FIN arrives before ${who}'s own FIN was acknowledged (simultaneous close): ${who} moves to CLOSING.`,
    rfc: 'RFC 9293 §3.10.7.4, Figure 13',
  }),
  'FIN-WAIT-1>TIME-WAIT': (who, peer) => ({
    text: `${peer}'s FIN also acknowledges ${who}'s FIN: ${who} goes straight to TIME-WAIT (2 MSL before the connection is forgotten).`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'FIN-WAIT-2>TIME-WAIT': (who, peer) => ({
    text: `${peer}'s FIN arrives: ${who} acknowledges it and waits in TIME-WAIT (2 MSL), so a late segment of this connection cannot be taken for a new one.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'CLOSING>TIME-WAIT': (who, peer) => ({
    text: `${peer} acknowledges ${who}'s FIN: after the simultaneous close ${who} waits in TIME-WAIT.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
  'LAST-ACK>CLOSED': (who, peer) => ({
    text: `${peer} acknowledges ${who}'s FIN: ${who}'s side of the connection is CLOSED.`,
    rfc: 'RFC 9293 §3.10.7.4',
  }),
};

/** States before the first segment the tracker saw of a session. */
function initialStates(row: SegmentRow): Record<Side, TcpState> {
  const syn = (row.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === TCP_FLAG.SYN;
  if (!syn) return { a: row.stateA, b: row.stateB };
  const sender: Side = row.dir === 'ab' ? 'a' : 'b';
  const receiver: Side = sender === 'a' ? 'b' : 'a';
  const after = { a: row.stateA, b: row.stateB };
  return {
    [sender]: 'CLOSED',
    [receiver]: after[receiver] === 'CLOSED' ? 'CLOSED' : 'LISTEN',
  } as Record<Side, TcpState>;
}

/** The RFC 5961 sentence of a RST or challenge ACK, when the analysis marked one. */
function rstSentence(row: SegmentRow, who: string, peer: string): Explanation | null {
  const a = row.analysis;
  if (a.includes('rst-exact')) {
    return {
      rule: 'rst-exact',
      rfc: 'RFC 5961 §3.2',
      text: `${who}'s RST carries exactly the sequence number ${peer} expects next (RCV.NXT): ${peer} accepts it and drops the connection.`,
    };
  }
  if (a.includes('rst-in-window')) {
    return {
      rule: 'rst-in-window',
      rfc: 'RFC 5961 §3.2',
      text: `${who}'s RST is inside ${peer}'s receive window but not at RCV.NXT: it could be forged, so ${peer} must not reset; it answers with a challenge ACK instead.`,
    };
  }
  if (a.includes('rst-out-of-window')) {
    return {
      rule: 'rst-out-of-window',
      rfc: 'RFC 5961 §3.2',
      text: `${who}'s RST is outside ${peer}'s receive window: ${peer} drops it silently and the connection goes on.`,
    };
  }
  if (a.includes('challenge-ack')) {
    return {
      rule: 'challenge-ack',
      rfc: 'RFC 5961 §3.2, §4',
      text: `A challenge ACK: ${who} received a RST or SYN it could not trust and answers with its current numbers; a genuine peer replies with an exact RST.`,
    };
  }
  return null;
}

/**
 * Why `row` did what it did, given the session's previous row (null for the
 * first). Null only when there is nothing to say beyond the analysis tags.
 */
export function explainObserved(row: SegmentRow, prev: SegmentRow | null): Explanation | null {
  const sender: Side = row.dir === 'ab' ? 'a' : 'b';
  const receiver: Side = sender === 'a' ? 'b' : 'a';
  const name = (s: Side): string => s.toUpperCase();
  const before = prev === null ? initialStates(row) : { a: prev.stateA, b: prev.stateB };
  const after = { a: row.stateA, b: row.stateB };
  const texts: string[] = [];
  const rfcs: string[] = [];
  let rule = 'observed';

  const rst = rstSentence(row, name(sender), name(receiver));
  if (rst) {
    texts.push(rst.text);
    rfcs.push(rst.rfc);
    rule = rst.rule;
  }
  for (const side of [sender, receiver]) {
    const from = before[side];
    const to = after[side];
    if (from === to) continue;
    const key = `${from}>${to}`;
    const who = name(side);
    const peer = name(side === 'a' ? 'b' : 'a');
    const known = side === sender ? SENT[key] : RECEIVED[key];
    if (known) {
      const m = known(who, peer);
      texts.push(m.text);
      rfcs.push(m.rfc);
    } else if (row.flags & TCP_FLAG.RST && (to === 'CLOSED' || to === 'LISTEN')) {
      texts.push(
        side === sender
          ? `${who} aborts the connection (ABORT): it sends RST and forgets it, without the FIN exchange.`
          : `${who} accepts the RST and drops the connection (${from} → ${to}); any data not yet delivered is lost.`,
      );
      rfcs.push(side === sender ? 'RFC 9293 §3.10.5' : 'RFC 9293 §3.10.7.4');
    } else {
      texts.push(`${who} moves from ${from} to ${to}.`);
    }
  }
  if (texts.length === 0) {
    const again = row.analysis.includes('retransmission')
      ? ' It is a retransmission: the first copy was not acknowledged in time.'
      : '';
    if (row.flags & (TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST)) {
      // A control segment that changed nothing: a retransmission, or one the receiver ignored.
      texts.push(
        `${flagNames(row.flags).join(',')} changes neither side's state here (${name('a')} ${after.a}, ${name('b')} ${after.b}).${again}`,
      );
    } else if (row.len > 0) {
      texts.push(
        `${row.len} bytes of data from ${name(sender)} in ${after[sender]}; no state changes.${again}`,
      );
    } else if (row.flags & TCP_FLAG.ACK) {
      texts.push(
        `${name(sender)} acknowledges ${name(receiver)}'s bytes up to relative sequence number ${row.relAck}; no state changes.`,
      );
    } else {
      return null;
    }
  }
  return { rule, rfc: [...new Set(rfcs)].join(', ') || 'RFC 9293 §3.3.2', text: texts.join(' ') };
}
