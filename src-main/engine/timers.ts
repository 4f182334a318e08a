/**
 * Timers of a TCB on the virtual clock: retransmission (RFC 6298: SRTT,
 * RTTVAR, RTO with exponential backoff; SYN and SYN-ACK retries then
 * ETIMEDOUT), delayed ACK (RFC 9293 §3.8.6.3), persist/zero-window probes
 * (§3.8.6.1), keep-alive (§3.8.4), TIME-WAIT (2×MSL, §3.4.2) and the Linux
 * FIN-WAIT-2 timeout for orphaned sockets. Deadlines are plain numbers on the
 * TCB; `pollAt` says when to wake it and `poll` fires whatever is due, in the
 * spirit of smoltcp's `poll_at`/`dispatch`.
 */
import { seqAdd } from '../../src-shared/seqnum';
import { TCP_FLAG } from '../../src-shared/tcp';
import { emit, ex, output, retransmitHead, sendAck, sendRst, sendSyn, sendSynAck } from './send';
import type { Tcb } from './tcb';

/** Earliest deadline of the TCB, Infinity when nothing is pending. */
export function pollAt(tcb: Tcb): number {
  return Math.min(tcb.rtoAt, tcb.delackAt, tcb.persistAt, tcb.keepAt, tcb.twAt, tcb.fw2At);
}

/** A round-trip sample (ms) into SRTT/RTTVAR/RTO (RFC 6298 §2.2–2.4, clock granularity 1 ms). */
export function rttSample(tcb: Tcb, r: number): void {
  const c = tcb.cfg;
  r = Math.max(0, r);
  if (!tcb.hasRtt) {
    tcb.srtt = r;
    tcb.rttvar = r / 2;
    tcb.hasRtt = true;
  } else {
    tcb.rttvar = 0.75 * tcb.rttvar + 0.25 * Math.abs(tcb.srtt - r);
    tcb.srtt = 0.875 * tcb.srtt + 0.125 * r;
  }
  tcb.rto = Math.min(c.rtoMax, Math.max(c.rtoMin, Math.round(tcb.srtt + Math.max(1, 4 * tcb.rttvar))));
}

function backoff(tcb: Tcb): void {
  tcb.rto = Math.min(tcb.cfg.rtoMax, tcb.rto * 2);
}

/** Fire every timer that is due. */
export function poll(tcb: Tcb): void {
  const now = tcb.env.now();
  if (tcb.twAt <= now) {
    tcb.twAt = Infinity;
    tcb.setState(
      'CLOSED',
      `2×MSL (${2 * tcb.cfg.msl} ms) passed in TIME-WAIT with no retransmitted FIN: the connection is gone (RFC 9293 §3.4.2)`,
    );
    tcb.env.notify(tcb, 'closed');
    return;
  }
  if (tcb.fw2At <= now) {
    tcb.fw2At = Infinity;
    tcb.setState(
      'CLOSED',
      `the closed socket waited ${tcb.cfg.finTimeout} ms in FIN-WAIT-2 for the peer's FIN and gave up (Linux tcp_fin_timeout)`,
    );
    return;
  }
  if (tcb.rtoAt <= now) onRto(tcb);
  if (tcb.state === 'CLOSED') return;
  if (tcb.delackAt <= now) {
    tcb.delackAt = Infinity;
    if (tcb.ackPending) {
      const finOnly = tcb.finReceived && tcb.state === 'CLOSE-WAIT';
      sendAck(
        tcb,
        ex(
          'delayed-ack',
          'RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2',
          finOnly
            ? `${tcb.cfg.delayedAck} ms passed without ${tcb.ends.localHost}'s application closing, so ${tcb.ends.localHost} acknowledges ${tcb.ends.remoteHost}'s FIN on its own (its FIN will follow later: a four-segment teardown)`
            : `the delayed-ACK timer (${tcb.cfg.delayedAck} ms) expired with no data to carry the ACK: ${tcb.ends.localHost} acknowledges up to ${tcb.rcvNxt}`,
        ),
      );
    }
  }
  if (tcb.persistAt <= now) onPersist(tcb);
  if (tcb.keepAt <= now) onKeepAlive(tcb);
}

function onRto(tcb: Tcb): void {
  const c = tcb.cfg;
  const now = tcb.env.now();
  tcb.rtoAt = Infinity;
  const a = tcb.ends.localHost;
  if (tcb.state === 'SYN-SENT') {
    if (tcb.retries >= c.synRetries) {
      tcb.fail(
        'ETIMEDOUT',
        `no answer to ${c.synRetries + 1} SYNs: connect() fails with ETIMEDOUT (RFC 9293 §3.8.3 R2; Linux tcp_syn_retries=${c.synRetries})`,
      );
      return;
    }
    backoff(tcb);
    tcb.retries++;
    sendSyn(tcb, true);
    tcb.synRetransmitted = true;
    tcb.rtoAt = now + tcb.rto;
    return;
  }
  if (tcb.state === 'SYN-RECEIVED') {
    if (tcb.retries >= c.synAckRetries) {
      tcb.error = 'ETIMEDOUT';
      tcb.setState(
        'CLOSED',
        `no ACK after ${c.synAckRetries + 1} SYN-ACKs: the half-open connection is dropped (Linux tcp_synack_retries=${c.synAckRetries})`,
      );
      return;
    }
    backoff(tcb);
    tcb.retries++;
    tcb.synRetransmitted = true;
    sendSynAck(
      tcb,
      ex(
        'synack-retransmit',
        'RFC 6298 §5.5, RFC 9293 §3.8.1',
        `No ACK for ${a}'s SYN-ACK within the retransmission timeout: ${a} sends the SYN-ACK again (try ${tcb.retries + 1}) and doubles the timeout to ${tcb.rto} ms`,
      ),
    );
    tcb.rtoAt = now + tcb.rto;
    return;
  }
  if (tcb.sndUna === tcb.sndNxt) return;
  if (tcb.retries >= c.retries2) {
    tcb.fail(
      'ETIMEDOUT',
      `${c.retries2} retransmissions went unacknowledged: the connection is dropped with ETIMEDOUT (RFC 9293 §3.8.3 R2; Linux tcp_retries2)`,
    );
    return;
  }
  // RFC 5681 §3.1 eq. (4) and the loss window; RFC 6298 §5.5–5.6.
  tcb.ssthresh = Math.max(Math.floor(tcb.flight / 2), 2 * tcb.effMss);
  tcb.cwnd = tcb.effMss;
  tcb.inRecovery = false;
  tcb.dupAcks = 0;
  tcb.recover = tcb.sndNxt;
  const oldRto = tcb.rto;
  backoff(tcb);
  tcb.retries++;
  const sent = retransmitHead(
    tcb,
    ex(
      'rto-retransmit',
      'RFC 6298 §5.4–5.6',
      `${a} got no ACK for ${tcb.flight} outstanding bytes within the RTO (${oldRto} ms): it retransmits the oldest unacknowledged segment, doubles the RTO to ${tcb.rto} ms and restarts slow start with cwnd = 1 MSS`,
    ),
  );
  tcb.sndPtr = seqAdd(tcb.sndUna, sent);
  tcb.rtoAt = now + tcb.rto;
}

function onPersist(tcb: Tcb): void {
  tcb.persistAt = Infinity;
  if (tcb.sndWnd > 0 || tcb.sndBuf.length === 0) {
    output(tcb);
    return;
  }
  // Linux's tcp_xmit_probe_skb: an ACK with an old sequence number forces an ACK carrying the current window.
  emit(
    tcb,
    TCP_FLAG.ACK,
    seqAdd(tcb.sndUna, -1),
    null,
    ex(
      'zero-window-probe',
      'RFC 9293 §3.8.6.1',
      `${tcb.ends.remoteHost} advertised a zero window and ${tcb.ends.localHost} still has ${tcb.sndBuf.length} bytes to send: it probes with an old sequence number (SND.UNA−1) so ${tcb.ends.remoteHost} must answer with its current window`,
    ),
  );
  tcb.persistBackoff++;
  tcb.persistAt = tcb.env.now() + Math.min(tcb.cfg.rtoMax, tcb.rto * 2 ** tcb.persistBackoff);
}

function onKeepAlive(tcb: Tcb): void {
  const c = tcb.cfg;
  const now = tcb.env.now();
  tcb.keepAt = Infinity;
  const st = tcb.state;
  if (!tcb.keepAlive || (st !== 'ESTABLISHED' && st !== 'CLOSE-WAIT' && st !== 'FIN-WAIT-2')) return;
  if (tcb.sndUna !== tcb.sndNxt || tcb.sndBuf.length > 0) {
    tcb.keepAt = now + c.keepIdle;
    return;
  }
  if (tcb.keepProbes >= c.keepCount) {
    sendRst(
      tcb,
      ex(
        'keepalive-reset',
        'RFC 9293 §3.8.4, RFC 1122 §4.2.3.6',
        `${c.keepCount} keep-alive probes went unanswered: ${tcb.ends.localHost} resets the dead connection`,
      ),
    );
    tcb.fail('ETIMEDOUT', `the peer stopped answering keep-alive probes (RFC 1122 §4.2.3.6)`);
    return;
  }
  emit(
    tcb,
    TCP_FLAG.ACK,
    seqAdd(tcb.sndNxt, -1),
    null,
    ex(
      'keepalive',
      'RFC 9293 §3.8.4, RFC 1122 §4.2.3.6',
      `The connection was idle for ${tcb.keepProbes === 0 ? c.keepIdle : c.keepInterval} ms: ${tcb.ends.localHost} sends a keep-alive (an ACK with SEQ = SND.NXT−1) that the peer must answer`,
    ),
  );
  tcb.keepProbes++;
  tcb.keepAt = now + c.keepInterval;
}

/** A segment arrived: the connection is alive (keep-alive restarts its idle time). */
export function touchKeepAlive(tcb: Tcb): void {
  tcb.keepProbes = 0;
  if (tcb.keepAlive && tcb.state !== 'TIME-WAIT') tcb.keepAt = tcb.env.now() + tcb.cfg.keepIdle;
}
