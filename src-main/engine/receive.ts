/**
 * Segment arrival (RFC 9293 §3.10.7), in the RFC's order: LISTEN (§3.10.7.2),
 * SYN-SENT (§3.10.7.3), then for the other states (§3.10.7.4) first the
 * sequence check, second the RST check with RFC 5961 §3's exact match and
 * challenge ACK, fourth the SYN check (RFC 5961 §4: a challenge ACK whatever
 * the sequence number), fifth ACK processing (RFC 5961 §5 range, RFC 6298 RTT,
 * RFC 5681/6582 congestion control, window update), seventh the segment text
 * and eighth the FIN. Where Linux refines the RFC (a retransmitted SYN in
 * SYN-RECEIVED, a RST at RCV.NXT−1 after a FIN, reopening TIME-WAIT with a
 * newer SYN) the explanation says so.
 */
import { seqAdd, seqDiff, seqGE, seqGT, seqInWindow, seqLE, seqLT } from '../../src-shared/seqnum';
import { TCP_FLAG, type TcpState } from '../../src-shared/tcp';
import { negotiate } from './options';
import { challengeAck, ex, output, retransmitHead, rstReply, segLen, sendAck, sendSynAck } from './send';
import type { Tcb } from './tcb';
import { rttSample, touchKeepAlive } from './timers';
import type { Explain, Segment } from './types';

/** What the host must do after a segment was processed. */
export type ArrivalResult = 'ok' | 'reopen' | 'drop-child';

const SYN = TCP_FLAG.SYN;
const ACK = TCP_FLAG.ACK;
const RST = TCP_FLAG.RST;
const FIN = TCP_FLAG.FIN;

function name(tcb: Tcb): string {
  return tcb.ends.localHost;
}
function peer(tcb: Tcb): string {
  return tcb.ends.remoteHost;
}

/**
 * LISTEN (RFC 9293 §3.10.7.2): RST ignored, ACK answered with RST, SYN makes
 * a new connection in SYN-RECEIVED (returned for the host to register).
 */
export function listenArrives(l: Tcb, seg: Segment, spawn: () => Tcb | null): Tcb | null {
  const b = name(l);
  if (seg.flags & RST) {
    l.env.note(
      l,
      'listen-rst',
      'RFC 9293 §3.10.7.2',
      `${b} ignores a RST that reached its listening port ${l.ends.localPort}`,
    );
    return null;
  }
  if (seg.flags & ACK) {
    l.env.transmit(
      l,
      rstReply(
        seg,
        ex(
          'listen-ack',
          'RFC 9293 §3.10.7.2',
          `${b} has only a listening socket on port ${l.ends.localPort}, and this ACK belongs to no connection: it answers RST with SEQ = the segment's ACK number`,
        ),
      ),
    );
    return null;
  }
  if (!(seg.flags & SYN)) return null;
  const child = spawn();
  if (!child) return null;
  acceptSyn(child, seg);
  return child;
}

/** A fresh child TCB takes the SYN: IRS, options, ISS, SYN-ACK, SYN-RECEIVED. */
function acceptSyn(c: Tcb, seg: Segment): void {
  c.passive = true;
  c.state = 'LISTEN';
  c.irs = seg.seq;
  c.rcvNxt = seqAdd(seg.seq, 1);
  c.applyNegotiation(negotiate(c.cfg, seg.options));
  c.tsOff = c.tsOk ? c.env.tsOffset(c) : 0;
  if (c.tsOk) c.tsRecent = seg.options?.tsval ?? 0;
  let why: string;
  if (c.issOverride !== null) {
    c.initSend(c.issOverride);
    why = `ISN ${c.iss} = the old connection's SND.NXT + 65537, as Linux picks when a SYN reopens TIME-WAIT`;
  } else {
    const r = c.env.chooseIsn(c);
    c.initSend(r.iss);
    why = `ISN ${c.iss}: ${r.why}`;
  }
  c.sndWnd = seg.win; // never scaled on a SYN (RFC 7323 §2.2)
  c.maxSndWnd = c.sndWnd;
  c.sndWl1 = seg.seq;
  c.sndWl2 = 0;
  c.setState('SYN-RECEIVED', `a SYN arrived on listening port ${c.ends.localPort} (RFC 9293 §3.10.7.2)`);
  sendSynAck(
    c,
    ex(
      'listen-syn',
      'RFC 9293 §3.10.7.2',
      `${name(c)} answers the SYN on a listening port with SYN-ACK: it acknowledges ${peer(c)}'s ISN + 1 (${c.rcvNxt}) and sends its own ${why}`,
    ),
  );
  c.rtoAt = c.env.now() + c.rto;
}

/** Any state but CLOSED and LISTEN. */
export function segmentArrives(tcb: Tcb, seg: Segment): ArrivalResult {
  if (tcb.state === 'SYN-SENT') {
    synSentArrives(tcb, seg);
    return 'ok';
  }
  const r = otherArrives(tcb, seg);
  if (tcb.state !== 'CLOSED' && tcb.state !== 'LISTEN') {
    output(tcb);
    if (tcb.ackNow) sendAck(tcb, tcb.ackNow);
    else if (tcb.ackPending && tcb.delackAt === Infinity) {
      if (tcb.cfg.delayedAck <= 0) sendAck(tcb, ackExplain(tcb));
      else tcb.delackAt = tcb.env.now() + tcb.cfg.delayedAck;
    }
  }
  return r;
}

function ackExplain(tcb: Tcb): Explain {
  return ex('ack', 'RFC 9293 §3.10.7.4', `${name(tcb)} acknowledges everything up to ${tcb.rcvNxt}`);
}

/** SYN-SENT (RFC 9293 §3.10.7.3). */
function synSentArrives(tcb: Tcb, seg: Segment): void {
  const a = name(tcb);
  const f = seg.flags;
  let ackOk = false;
  if (f & ACK) {
    if (seqLE(seg.ack, tcb.iss) || seqGT(seg.ack, tcb.sndNxt)) {
      if (f & RST) {
        tcb.env.note(
          tcb,
          'synsent-bad-rst',
          'RFC 9293 §3.10.7.3',
          `${a} ignores a RST whose ACK does not acknowledge its SYN`,
        );
      } else {
        tcb.env.transmit(
          tcb,
          rstReply(
            seg,
            ex(
              'synsent-bad-ack',
              'RFC 9293 §3.10.7.3',
              `${a} is waiting for an answer to its SYN, but this segment acknowledges ${seg.ack}, not ISN+1 = ${tcb.sndNxt}: it answers RST with SEQ = that ACK number (this is how an old or stale connection gets cleared)`,
            ),
          ),
        );
      }
      return;
    }
    ackOk = true;
  }
  if (f & RST) {
    if (ackOk) {
      tcb.fail(
        'ECONNREFUSED',
        `${peer(tcb)} answered the SYN with RST: nothing listens on port ${tcb.ends.remotePort}, connect() fails with ECONNREFUSED (RFC 9293 §3.10.7.3)`,
      );
    } else {
      tcb.env.note(
        tcb,
        'synsent-rst-noack',
        'RFC 5961 §3',
        `${a} ignores a RST without an ACK of its SYN while in SYN-SENT`,
      );
    }
    return;
  }
  if (!(f & SYN)) return;
  tcb.irs = seg.seq;
  tcb.rcvNxt = seqAdd(seg.seq, 1);
  tcb.applyNegotiation(negotiate(tcb.cfg, seg.options));
  if (!tcb.tsOk) tcb.tsOff = 0;
  if (tcb.tsOk) tcb.tsRecent = seg.options?.tsval ?? 0;
  tcb.sndWnd = seg.win;
  tcb.maxSndWnd = seg.win;
  tcb.sndWl1 = seg.seq;
  tcb.sndWl2 = seg.ack;
  if (ackOk) {
    tcb.sndUna = seg.ack;
    if (tcb.tsOk && seg.options?.tsecr) rttSample(tcb, seqDiff(tcb.tsNow(), seg.options.tsecr));
    else if (!tcb.synRetransmitted) rttSample(tcb, tcb.env.now() - tcb.synSentAt);
    establish(
      tcb,
      `${peer(tcb)}'s SYN-ACK acknowledged ${a}'s SYN: the connection is open on ${a}'s side (RFC 9293 §3.10.7.3)`,
    );
    sendAck(
      tcb,
      ex(
        'handshake-ack',
        'RFC 9293 §3.10.7.3',
        `${a} acknowledges ${peer(tcb)}'s SYN-ACK with ACK = ${peer(tcb)}'s ISN + 1 (${tcb.rcvNxt}): the three-way handshake is complete; both sides use ${optionsSummary(tcb)}`,
      ),
    );
    output(tcb);
    return;
  }
  tcb.setState(
    'SYN-RECEIVED',
    `${a} received ${peer(tcb)}'s SYN while its own SYN was unanswered: simultaneous open (RFC 9293 §3.5, Figure 8)`,
  );
  tcb.retries = 0;
  sendSynAck(
    tcb,
    ex(
      'simultaneous-open',
      'RFC 9293 §3.10.7.3, §3.5',
      `Simultaneous open: ${a} got a SYN while in SYN-SENT, so it sends SYN-ACK with its own ISN again (${tcb.iss}) and ACK = ${peer(tcb)}'s ISN + 1`,
    ),
  );
  tcb.rtoAt = tcb.env.now() + tcb.rto;
}

function optionsSummary(tcb: Tcb): string {
  const parts = [`MSS ${tcb.effMss} per segment`];
  if (tcb.wsOk) parts.push(`window scale ×${2 ** tcb.sndShift} out / ×${2 ** tcb.rcvShift} in`);
  else parts.push('no window scaling');
  parts.push(tcb.sackOk ? 'SACK' : 'no SACK');
  parts.push(tcb.tsOk ? 'timestamps' : 'no timestamps');
  return parts.join(', ');
}

function establish(tcb: Tcb, reason: string): void {
  tcb.setState('ESTABLISHED', reason);
  tcb.retries = 0;
  if (tcb.synRetransmitted) tcb.rto = Math.max(tcb.rto, tcb.cfg.rtoFallback); // RFC 6298 §5.7
  tcb.cwnd = tcb.cfg.initialCwnd * tcb.effMss;
  tcb.rtoAt = Infinity;
  touchKeepAlive(tcb);
  tcb.env.notify(tcb, 'established');
  if (tcb.finPending) {
    tcb.finPending = false;
    tcb.sndShut = false;
    tcb.shutdown();
  }
}

/** RFC 9293 §3.10.7.4 acceptability test. */
function acceptable(tcb: Tcb, seq: number, slen: number): boolean {
  const wnd = tcb.rcvWnd;
  const nxt = tcb.rcvNxt;
  if (slen === 0) return wnd === 0 ? seq === nxt : seqInWindow(seq, nxt, wnd);
  if (wnd === 0) return false;
  return seqInWindow(seq, nxt, wnd) || seqInWindow(seqAdd(seq, slen - 1), nxt, wnd);
}

const FIN_SEEN: ReadonlySet<TcpState> = new Set<TcpState>(['CLOSE-WAIT', 'LAST-ACK', 'CLOSING']);

function otherArrives(tcb: Tcb, seg: Segment): ArrivalResult {
  const f = seg.flags;
  const st = tcb.state;
  const a = name(tcb);
  const now = tcb.env.now();
  touchKeepAlive(tcb);

  // TIME-WAIT: a newer SYN may reopen the connection (RFC 9293 §3.6.1, RFC 6191); a retransmitted FIN is re-ACKed.
  if (st === 'TIME-WAIT') {
    if (f & SYN && !(f & (ACK | RST))) {
      const tsNewer = tcb.tsOk && seg.options?.tsval !== undefined && seqGT(seg.options.tsval, tcb.tsRecent);
      const higher = seqGT(seg.seq, tcb.rcvNxt);
      if (higher || tsNewer) {
        tcb.setState(
          'CLOSED',
          `a new SYN with a ${higher ? 'higher sequence number' : 'newer timestamp'} than the old connection reopens the 4-tuple from TIME-WAIT (RFC 9293 §3.6.1, RFC 6191)`,
        );
        return 'reopen';
      }
    }
    if (f & FIN && !(f & RST) && seqAdd(seg.seq, seg.len + 1) === tcb.rcvNxt) {
      tcb.twAt = now + 2 * tcb.cfg.msl;
      sendAck(
        tcb,
        ex(
          'time-wait-fin',
          'RFC 9293 §3.10.7.4 (eighth), §3.6',
          `${peer(tcb)} sent its FIN again, so ${a}'s last ACK must have been lost: ${a}, in TIME-WAIT, acknowledges it again and restarts the 2×MSL timer. This is why TIME-WAIT exists`,
        ),
      );
      return 'ok';
    }
  }

  if (st === 'SYN-RECEIVED' && f & SYN && !(f & RST)) {
    // Linux (tcp_check_req): the peer retransmitted its SYN, so our SYN-ACK was probably lost.
    if (!(f & ACK) && seg.seq === tcb.irs) {
      if (now - tcb.lastSynAckAt >= tcb.cfg.invalidRateLimit) {
        sendSynAck(
          tcb,
          ex(
            'dup-syn',
            'RFC 9293 §3.10.7.4, Linux tcp_check_req',
            `${peer(tcb)} sent its SYN again, so ${a}'s SYN-ACK was probably lost: ${a} sends the SYN-ACK again at once`,
          ),
        );
      } else {
        tcb.env.note(
          tcb,
          'dup-syn-limited',
          'Linux tcp_invalid_ratelimit',
          `${a} just sent a SYN-ACK, so it does not answer the repeated SYN again`,
        );
      }
      return 'ok';
    }
    // Simultaneous open: the peer's SYN-ACK acknowledges our SYN (RFC 9293 Figure 8; RFC 5961 §4.2 exception).
    if (f & ACK && seg.seq === tcb.irs && seg.ack === tcb.sndNxt) {
      tcb.sndUna = seg.ack;
      tcb.sndWnd = seg.win;
      tcb.maxSndWnd = Math.max(tcb.maxSndWnd, seg.win);
      tcb.sndWl1 = seg.seq;
      tcb.sndWl2 = seg.ack;
      establish(
        tcb,
        `${peer(tcb)}'s SYN-ACK acknowledged ${a}'s SYN: the simultaneous open is complete (RFC 9293 §3.5, Figure 8)`,
      );
      return 'ok';
    }
  }

  // Fourth check, done first as Linux and RFC 5961 §4.2 do: a SYN in a synchronized state.
  if (f & SYN && !(f & RST)) {
    if (st === 'SYN-RECEIVED' && tcb.passive) {
      tcb.setState(
        'LISTEN',
        `a different SYN arrived during the handshake: the half-open connection returns to LISTEN (RFC 9293 §3.10.7.4, fourth)`,
      );
      return 'drop-child';
    }
    challengeAck(
      tcb,
      ex(
        'challenge-ack-syn',
        'RFC 5961 §4.2, RFC 9293 §3.10.7.4 (fourth)',
        `${a} is ${st} and a SYN arrived: whatever its sequence number, ${a} does not reset but sends a challenge ACK with its real numbers (SEQ ${tcb.sndNxt}, ACK ${tcb.rcvNxt}). A peer that really restarted answers it with a RST that matches exactly`,
      ),
    );
    return 'ok';
  }

  // First: sequence number check.
  const slen = segLen(seg);
  const rst = (f & RST) !== 0;
  const finAfter = FIN_SEEN.has(st) && rst && seg.seq === seqAdd(tcb.rcvNxt, -1);
  if (!finAfter && !acceptable(tcb, seg.seq, slen)) {
    if (rst) {
      tcb.env.note(
        tcb,
        'rst-out-of-window',
        'RFC 9293 §3.10.7.4 (first), RFC 5961 §3.2',
        `${a} drops a RST whose sequence number ${seg.seq} is outside its receive window [${tcb.rcvNxt}, ${seqAdd(tcb.rcvNxt, tcb.rcvWnd)}): no answer`,
      );
      return 'ok';
    }
    const probe = seg.len === 0 && seg.seq === seqAdd(tcb.rcvNxt, -1);
    sendAck(
      tcb,
      ex(
        'not-acceptable',
        'RFC 9293 §3.10.7.4 (first)',
        probe
          ? `${peer(tcb)} sent a segment one byte before RCV.NXT (a keep-alive or window probe): ${a} answers with an ACK that shows what it expects (${tcb.rcvNxt}) and its window (${tcb.rcvWnd})`
          : `The segment (SEQ ${seg.seq}, ${slen} in sequence space) is not acceptable in ${a}'s window [${tcb.rcvNxt}, ${seqAdd(tcb.rcvNxt, tcb.rcvWnd)}): ${a} drops it and sends an ACK with what it expects`,
      ),
    );
    return 'ok';
  }

  // RFC 7323 §4.3: remember the peer's newest timestamp to echo it.
  const tsval = seg.options?.tsval;
  if (tcb.tsOk && tsval !== undefined && seqLE(seg.seq, tcb.rcvNxt) && seqGE(tsval, tcb.tsRecent))
    tcb.tsRecent = tsval;

  // Second: RST (RFC 5961 §3).
  if (rst) {
    if (seg.seq === tcb.rcvNxt || finAfter) {
      const how = finAfter
        ? `SEQ = RCV.NXT−1 after ${peer(tcb)}'s FIN, which Linux also accepts`
        : `SEQ exactly RCV.NXT (${tcb.rcvNxt})`;
      if (st === 'SYN-RECEIVED') {
        if (tcb.passive) {
          tcb.setState(
            'LISTEN',
            `a RST with ${how} arrived: the half-open connection returns to LISTEN (RFC 9293 §3.10.7.4, second)`,
          );
          return 'drop-child';
        }
        tcb.fail(
          'ECONNREFUSED',
          `a RST with ${how} arrived during a simultaneous open: connection refused (RFC 9293 §3.10.7.4)`,
        );
        return 'ok';
      }
      if (st === 'CLOSING' || st === 'LAST-ACK' || st === 'TIME-WAIT') {
        tcb.setState(
          'CLOSED',
          `a RST with ${how} arrived while closing: the connection is deleted (RFC 9293 §3.10.7.4, second)`,
        );
        return 'ok';
      }
      tcb.fail(
        'ECONNRESET',
        `a RST with ${how} arrived: ${a} resets the connection and its application sees ECONNRESET (RFC 9293 §3.10.7.4, RFC 5961 §3.2)`,
      );
      return 'ok';
    }
    challengeAck(
      tcb,
      ex(
        'challenge-ack-rst',
        'RFC 5961 §3.2',
        `The RST's sequence number ${seg.seq} is inside ${a}'s window but not exactly RCV.NXT (${tcb.rcvNxt}), so it may be forged: instead of resetting, ${a} sends a challenge ACK. Only a RST at exactly ${tcb.rcvNxt} would reset`,
      ),
    );
    return 'ok';
  }

  // Fifth: ACK.
  if (!(f & ACK)) {
    tcb.env.note(tcb, 'no-ack', 'RFC 9293 §3.10.7.4 (fifth)', `${a} drops a segment without the ACK bit`);
    return 'ok';
  }
  if (st === 'SYN-RECEIVED') {
    if (seqLT(tcb.sndUna, seg.ack) && seqLE(seg.ack, tcb.sndNxt)) {
      tcb.sndWnd = seg.win * 2 ** tcb.sndShift;
      tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
      tcb.sndWl1 = seg.seq;
      tcb.sndWl2 = seg.ack;
      if (tcb.tsOk && seg.options?.tsecr) rttSample(tcb, seqDiff(tcb.tsNow(), seg.options.tsecr));
      else if (!tcb.synRetransmitted) rttSample(tcb, now - tcb.lastSynAckAt);
      establish(
        tcb,
        `${peer(tcb)} acknowledged ${a}'s SYN-ACK: the three-way handshake is complete (RFC 9293 §3.10.7.4, fifth)`,
      );
    } else {
      tcb.env.transmit(
        tcb,
        rstReply(
          seg,
          ex(
            'synrcvd-bad-ack',
            'RFC 9293 §3.10.7.4 (fifth)',
            `${a} is in SYN-RECEIVED and this ACK (${seg.ack}) does not acknowledge its SYN-ACK: it answers RST with SEQ = that ACK number`,
          ),
        ),
      );
      return 'ok';
    }
  }
  if (seqGT(seg.ack, tcb.sndNxt)) {
    challengeAck(
      tcb,
      ex(
        'ack-unsent',
        'RFC 9293 §3.10.7.4 (fifth), RFC 5961 §5.2',
        `The segment acknowledges ${seg.ack}, beyond anything ${a} has sent (SND.NXT ${tcb.sndNxt}): ${a} drops it and sends an ACK`,
      ),
    );
    return 'ok';
  }
  if (seqLT(seg.ack, seqAdd(tcb.sndUna, -Math.max(tcb.maxSndWnd, 1)))) {
    challengeAck(
      tcb,
      ex(
        'ack-too-old',
        'RFC 5961 §5.2',
        `The segment acknowledges ${seg.ack}, further back than SND.UNA − MAX.SND.WND: it may be blind data injection, so ${a} drops it and sends a challenge ACK`,
      ),
    );
    return 'ok';
  }
  const finAcked = ackArrived(tcb, seg);
  if (tcb.state === 'FIN-WAIT-1' && finAcked) {
    tcb.setState(
      'FIN-WAIT-2',
      `${peer(tcb)} acknowledged ${a}'s FIN; ${a} now waits for ${peer(tcb)}'s FIN (RFC 9293 §3.10.7.4)`,
    );
  } else if (tcb.state === 'CLOSING' && finAcked) {
    tcb.setState(
      'TIME-WAIT',
      `${peer(tcb)} acknowledged ${a}'s FIN after both sent FINs: simultaneous close ends in TIME-WAIT (RFC 9293 §3.6)`,
    );
  } else if (tcb.state === 'LAST-ACK' && finAcked) {
    tcb.setState(
      'CLOSED',
      `${peer(tcb)} acknowledged ${a}'s FIN: the connection is closed (RFC 9293 §3.10.7.4, LAST-ACK)`,
    );
    tcb.env.notify(tcb, 'closed');
    return 'ok';
  }

  // Seventh: segment text.
  const cur = tcb.state;
  if (seg.len > 0) {
    if (cur === 'ESTABLISHED' || cur === 'FIN-WAIT-1' || cur === 'FIN-WAIT-2') {
      if (tcb.rcvShut && seqGT(seqAdd(seg.seq, seg.len), tcb.rcvNxt)) {
        tcb.abort(
          'rst-data-after-close',
          'RFC 9293 §3.10.4, RFC 2525 §2.17, Linux tcp_rcv_state_process',
          `${a}'s application has closed the socket, yet new data arrived: nobody can read it, so ${a} resets the connection`,
        );
        return 'ok';
      }
      acceptText(tcb, seg);
    } else if (cur !== 'TIME-WAIT') {
      tcb.env.note(
        tcb,
        'text-after-fin',
        'RFC 9293 §3.10.7.4 (seventh)',
        `${a} already received ${peer(tcb)}'s FIN and ignores data after it`,
      );
    }
  }

  // Eighth: FIN.
  if (f & FIN && !tcb.finReceived) {
    const finSeq = seqAdd(seg.seq, seg.len);
    if (finSeq === tcb.rcvNxt) finArrived(tcb);
    else if (seqGT(finSeq, tcb.rcvNxt) && seqLT(finSeq, seqAdd(tcb.rcvNxt, Math.max(tcb.rcvWnd, 1))))
      tcb.peerFinSeq = finSeq;
  }
  return 'ok';
}

/** ACK processing for the synchronized states (RFC 9293 §3.10.7.4 fifth; RFC 6298; RFC 5681; RFC 6582). Returns true when our FIN is now acknowledged. */
function ackArrived(tcb: Tcb, seg: Segment): boolean {
  const now = tcb.env.now();
  const ackv = seg.ack;
  const una = tcb.sndUna;
  const wndBytes = seg.win * 2 ** tcb.sndShift;
  let finAcked = false;
  if (seqGT(ackv, una)) {
    let acked = seqDiff(ackv, una);
    if (una === tcb.iss) acked -= 1; // our SYN
    if (tcb.finQueued && seqGT(ackv, tcb.finSeq)) {
      finAcked = true;
      acked -= 1;
    }
    acked = Math.min(acked, tcb.sndBuf.length);
    tcb.sndBuf.drop(acked);
    tcb.bufSeq = seqAdd(tcb.bufSeq, acked);
    tcb.sndUna = ackv;
    if (seqLT(tcb.sndPtr, ackv)) tcb.sndPtr = ackv;
    if (tcb.tsOk && seg.options?.tsecr) rttSample(tcb, seqDiff(tcb.tsNow(), seg.options.tsecr));
    else if (tcb.rttTime >= 0 && seqGE(ackv, tcb.rttSeq)) {
      rttSample(tcb, now - tcb.rttTime);
      tcb.rttTime = -1;
    }
    tcb.retries = 0;
    const mss = tcb.effMss;
    if (tcb.inRecovery) {
      if (seqGE(ackv, tcb.recover)) {
        tcb.inRecovery = false;
        tcb.cwnd = tcb.ssthresh;
      } else {
        retransmitHead(
          tcb,
          ex(
            'partial-ack-retransmit',
            'RFC 6582 §3.2',
            `A partial ACK during fast recovery (up to ${ackv}, not ${tcb.recover}) shows the next hole: ${name(tcb)} retransmits the segment at ${ackv} at once`,
          ),
        );
        tcb.cwnd = Math.max(tcb.cwnd - acked + mss, mss);
      }
    } else if (tcb.cwnd < tcb.ssthresh) tcb.cwnd += Math.min(acked, mss);
    else tcb.cwnd += Math.max(1, Math.floor((mss * mss) / tcb.cwnd));
    tcb.dupAcks = 0;
    tcb.rtoAt = tcb.sndUna === tcb.sndNxt ? Infinity : now + tcb.rto;
  } else if (
    ackv === una &&
    seg.len === 0 &&
    !(seg.flags & (FIN | SYN)) &&
    tcb.sndUna !== tcb.sndNxt &&
    wndBytes === tcb.sndWnd
  ) {
    tcb.dupAcks++;
    if (tcb.dupAcks === 3 && !tcb.inRecovery) {
      tcb.ssthresh = Math.max(Math.floor(tcb.flight / 2), 2 * tcb.effMss);
      tcb.recover = tcb.sndNxt;
      tcb.inRecovery = true;
      retransmitHead(
        tcb,
        ex(
          'fast-retransmit',
          'RFC 5681 §3.2',
          `Three duplicate ACKs for ${ackv}: the segment there was most likely lost, so ${name(tcb)} retransmits it now instead of waiting for the RTO (fast retransmit)`,
        ),
      );
      tcb.cwnd = tcb.ssthresh + 3 * tcb.effMss;
    } else if (tcb.inRecovery) tcb.cwnd += tcb.effMss;
  }
  // Window update (RFC 9293 §3.10.7.4): only from a segment newer than the last one that set it.
  if (seqLT(tcb.sndWl1, seg.seq) || (tcb.sndWl1 === seg.seq && seqLE(tcb.sndWl2, ackv))) {
    tcb.sndWnd = wndBytes;
    tcb.sndWl1 = seg.seq;
    tcb.sndWl2 = ackv;
    if (wndBytes > tcb.maxSndWnd) tcb.maxSndWnd = wndBytes;
    if (wndBytes > 0) tcb.persistAt = Infinity;
  }
  return finAcked;
}

/** Seventh step: in-order bytes go to the application, early ones wait in the reassembly queue. */
function acceptText(tcb: Tcb, seg: Segment): void {
  const a = name(tcb);
  let start = seg.seq;
  let data = seg.data ?? new Uint8Array(seg.len);
  if (seqLT(start, tcb.rcvNxt)) {
    const cut = seqDiff(tcb.rcvNxt, start);
    if (cut >= data.length) {
      tcb.ackNow = ex(
        'dup-data',
        'RFC 9293 §3.10.7.4, RFC 5681 §4.2',
        `${a} already has these bytes (a retransmission or duplicate): it acknowledges at once with ACK ${tcb.rcvNxt}`,
      );
      return;
    }
    data = data.subarray(cut);
    start = tcb.rcvNxt;
  }
  const room = seqDiff(seqAdd(tcb.rcvNxt, tcb.rcvWnd), start);
  if (data.length > room) data = data.subarray(0, room);
  if (data.length === 0) return;
  if (start !== tcb.rcvNxt) {
    tcb.ofo.insert(start, data);
    tcb.ackNow = ex(
      'out-of-order',
      'RFC 5681 §4.2, RFC 2018',
      `Bytes from ${start} arrived but ${a} still waits for ${tcb.rcvNxt} (a hole): it keeps them and sends a duplicate ACK at once${tcb.sackOk ? ', with SACK blocks telling what it already has' : ''}`,
    );
    return;
  }
  const hadHole = !tcb.ofo.empty;
  deliver(tcb, data);
  if (hadHole) {
    for (const more of tcb.ofo.pull(tcb.rcvNxt)) deliver(tcb, more);
    tcb.ackNow = ex(
      'hole-filled',
      'RFC 5681 §4.2',
      `The missing bytes arrived and ${a} joins them with what it kept: it acknowledges at once, up to ${tcb.rcvNxt}`,
    );
  }
  if (tcb.peerFinSeq !== null && tcb.peerFinSeq === tcb.rcvNxt) {
    tcb.peerFinSeq = null;
    finArrived(tcb);
  }
  tcb.ackPending = true;
  if (!tcb.ackNow && (tcb.unackedBytes >= 2 * tcb.cfg.mss - 80 || tcb.cfg.delayedAck <= 0)) {
    tcb.ackNow = ex(
      'ack-every-second',
      'RFC 9293 §3.8.6.3, RFC 5681 §4.2',
      `${a} received at least two full segments since its last ACK, so it acknowledges at once (up to ${tcb.rcvNxt}) instead of delaying`,
    );
  }
}

function deliver(tcb: Tcb, data: Uint8Array): void {
  tcb.rcvNxt = seqAdd(tcb.rcvNxt, data.length);
  tcb.unackedBytes += data.length;
  tcb.bytesReceived += data.length;
  if (tcb.onData) tcb.onData(data);
  else tcb.rcvBuf.push(data);
}

/** Eighth step: the peer's FIN, in order. */
function finArrived(tcb: Tcb): void {
  const a = name(tcb);
  const b = peer(tcb);
  tcb.rcvNxt = seqAdd(tcb.rcvNxt, 1);
  tcb.finReceived = true;
  tcb.ackPending = true;
  const st = tcb.state;
  if (st === 'SYN-RECEIVED' || st === 'ESTABLISHED') {
    tcb.setState(
      'CLOSE-WAIT',
      `${b} sent FIN: ${b} has no more data; ${a} waits for its application to close (RFC 9293 §3.10.7.4, eighth)`,
    );
    if (tcb.cfg.delayedAck <= 0) {
      tcb.ackNow = ex(
        'fin-ack',
        'RFC 9293 §3.10.7.4 (eighth)',
        `${a} acknowledges ${b}'s FIN (ACK = FIN + 1 = ${tcb.rcvNxt})`,
      );
    }
  } else if (st === 'FIN-WAIT-1') {
    tcb.setState(
      'CLOSING',
      `${b}'s FIN arrived before the ACK of ${a}'s own FIN: both sides are closing at once (RFC 9293 §3.6, simultaneous close)`,
    );
    tcb.ackNow = ex(
      'fin-ack-closing',
      'RFC 9293 §3.10.7.4 (eighth), §3.6',
      `${a} acknowledges ${b}'s FIN at once (ACK ${tcb.rcvNxt}); its own FIN is still unacknowledged, so it waits in CLOSING`,
    );
  } else if (st === 'FIN-WAIT-2') {
    tcb.setState(
      'TIME-WAIT',
      `${b}'s FIN arrived after ${b} acknowledged ${a}'s FIN: ${a} waits 2×MSL in TIME-WAIT (RFC 9293 §3.10.7.4, eighth)`,
    );
    tcb.ackNow = ex(
      'fin-ack-timewait',
      'RFC 9293 §3.10.7.4 (eighth)',
      `${a} acknowledges ${b}'s FIN (ACK ${tcb.rcvNxt}) and stays in TIME-WAIT for 2×MSL in case this ACK is lost and ${b} repeats its FIN`,
    );
  }
  tcb.env.notify(tcb, 'eof');
}
