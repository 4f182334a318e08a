/**
 * Segment output of a TCB: building segments with the right window field and
 * options, the SYN and SYN-ACK, bare and challenge ACKs, RSTs (the RFC 9293
 * §3.10.7.1 reply rule for segments that belong to no connection), and
 * `output`, which segments queued data by the effective MSS within
 * min(SND.WND, cwnd) (RFC 9293 §3.8.6, RFC 5681), applies Nagle (§3.7.4) and
 * sender-side SWS avoidance (§3.8.6.2.1), piggybacks the FIN on the last data
 * segment and arms the retransmission and persist timers. Every segment gets
 * an `explain` record.
 */
import { seqAdd, seqDiff, seqGT, seqLT } from '../../src-shared/seqnum';
import { TCP_FLAG } from '../../src-shared/tcp';
import { negotiatedFrom, optionsText, synAckOptions, synOffer } from './options';
import type { Tcb } from './tcb';
import type { Explain, SegOptions, Segment } from './types';

export function ex(rule: string, rfc: string, text: string): Explain {
  return { rule, rfc, text };
}

/** Sequence space a segment occupies: payload plus one each for SYN and FIN. */
export function segLen(seg: Segment): number {
  return seg.len + (seg.flags & TCP_FLAG.SYN ? 1 : 0) + (seg.flags & TCP_FLAG.FIN ? 1 : 0);
}

/** Build and transmit one segment from a TCB. */
export function emit(
  tcb: Tcb,
  flags: number,
  seq: number,
  data: Uint8Array | null,
  explain: Explain,
  synOptions: SegOptions | null = null,
): Segment {
  const syn = (flags & TCP_FLAG.SYN) !== 0;
  const rst = (flags & TCP_FLAG.RST) !== 0;
  const free = tcb.rcvWnd;
  let win: number;
  let wnd: number;
  if (rst) win = wnd = 0;
  else if (syn) win = wnd = Math.min(free, 65535);
  else {
    win = Math.min(Math.floor(free / 2 ** tcb.rcvShift), 65535);
    wnd = win * 2 ** tcb.rcvShift;
  }
  let options = synOptions;
  if (!syn && !rst && (tcb.tsOk || (tcb.sackOk && !tcb.ofo.empty))) {
    options = {};
    if (tcb.tsOk) {
      options.tsval = tcb.tsNow();
      options.tsecr = tcb.tsRecent;
    }
    if (tcb.sackOk && !tcb.ofo.empty && flags & TCP_FLAG.ACK)
      options.sack = tcb.ofo.sackBlocks(tcb.tsOk ? 3 : 4);
  }
  const hasAck = (flags & TCP_FLAG.ACK) !== 0;
  const seg: Segment = {
    src: tcb.ends.localHost,
    dst: tcb.ends.remoteHost,
    srcPort: tcb.ends.localPort,
    dstPort: tcb.ends.remotePort,
    seq,
    ack: hasAck ? tcb.rcvNxt : 0,
    flags,
    win,
    wnd,
    len: data ? data.length : 0,
    data,
    options,
    explain,
  };
  if (hasAck && !rst) {
    tcb.ackPending = false;
    tcb.ackNow = null;
    tcb.delackAt = Infinity;
    tcb.unackedBytes = 0;
    tcb.lastAdvWnd = wnd;
  }
  tcb.env.transmit(tcb, seg);
  return seg;
}

/** The SYN of an active open, or its retransmission. */
export function sendSyn(tcb: Tcb, retransmit: boolean, isnWhy = ''): void {
  const a = tcb.ends.localHost;
  const opts = synOffer(tcb.cfg, tcb.tsNow());
  const explain = retransmit
    ? ex(
        'syn-retransmit',
        'RFC 6298 §5.5, RFC 9293 §3.8.1',
        `No SYN-ACK came back within the retransmission timeout: ${a} sends its SYN again (try ${tcb.retries + 1} of ${tcb.cfg.synRetries + 1}) and doubles the timeout to ${tcb.rto} ms`,
      )
    : ex(
        'active-open',
        'RFC 9293 §3.10.1, §3.4.1',
        `${a} opens a connection to ${tcb.ends.remoteHost}:${tcb.ends.remotePort} with a SYN: ISN ${tcb.iss}${isnWhy ? ` (${isnWhy})` : ''}; it offers ${optionsText(opts)}`,
      );
  emit(tcb, TCP_FLAG.SYN, tcb.iss, null, explain, opts);
}

/** The SYN-ACK of a passive open (or a simultaneous open), or its retransmission. */
export function sendSynAck(tcb: Tcb, explain: Explain): void {
  const n = negotiatedFrom(tcb);
  emit(
    tcb,
    TCP_FLAG.SYN | TCP_FLAG.ACK,
    tcb.iss,
    null,
    explain,
    synAckOptions(tcb.cfg, n, tcb.tsNow(), tcb.tsRecent),
  );
  tcb.lastSynAckAt = tcb.env.now();
}

/** A bare ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
export function sendAck(tcb: Tcb, explain: Explain): void {
  emit(tcb, TCP_FLAG.ACK, tcb.sndNxt, null, explain);
}

/** A challenge ACK (RFC 5961 §3.2, §4.2), within the host's rate limit (§7). */
export function challengeAck(tcb: Tcb, explain: Explain): void {
  if (!tcb.env.allowChallengeAck()) {
    tcb.env.note(
      tcb,
      'challenge-ack-limited',
      'RFC 5961 §7',
      `${tcb.ends.localHost} would send a challenge ACK but has used up its per-second budget of ${tcb.cfg.challengeAckLimit}`,
    );
    return;
  }
  emit(tcb, TCP_FLAG.ACK, tcb.sndNxt, null, explain);
}

/** RST|ACK <SEQ=SND.NXT><ACK=RCV.NXT> from a connection (abort, keep-alive failure, data after close). */
export function sendRst(tcb: Tcb, explain: Explain): void {
  emit(tcb, TCP_FLAG.RST | TCP_FLAG.ACK, tcb.sndNxt, null, explain);
}

/**
 * The reply to a segment that belongs to no connection (RFC 9293 §3.10.7.1):
 * if it had ACK, <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function rstReply(seg: Segment, explain: Explain): Segment {
  const hasAck = (seg.flags & TCP_FLAG.ACK) !== 0;
  return {
    src: seg.dst,
    dst: seg.src,
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: hasAck ? seg.ack : 0,
    ack: hasAck ? 0 : seqAdd(seg.seq, segLen(seg)),
    flags: hasAck ? TCP_FLAG.RST : TCP_FLAG.RST | TCP_FLAG.ACK,
    win: 0,
    wnd: 0,
    len: 0,
    data: null,
    options: null,
    explain,
  };
}

const SENDING = new Set(['ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK']);

/** Send what the windows allow, from `sndPtr` on (RFC 9293 §3.8.6, RFC 5681 §3.1). */
export function output(tcb: Tcb): void {
  if (!SENDING.has(tcb.state)) return;
  const now = tcb.env.now();
  for (;;) {
    const off = seqDiff(tcb.sndPtr, tcb.bufSeq);
    const avail = tcb.sndBuf.length - off;
    const finToSend = tcb.finQueued && !seqGT(tcb.sndPtr, tcb.finSeq);
    if (avail <= 0 && !finToSend) break;
    const inflight = seqDiff(tcb.sndPtr, tcb.sndUna);
    const retransmit = seqLT(tcb.sndPtr, tcb.sndNxt);
    if (avail > 0) {
      const usable = Math.min(tcb.sndWnd, tcb.cwnd) - inflight;
      let n = Math.min(avail, tcb.effMss);
      if (usable < n) {
        if (usable <= 0 || usable < Math.min(tcb.effMss, tcb.maxSndWnd / 2)) {
          if (tcb.sndWnd === 0 && tcb.sndUna === tcb.sndNxt && tcb.persistAt === Infinity) {
            tcb.persistBackoff = 0;
            tcb.persistAt = now + tcb.rto;
          }
          break;
        }
        n = usable;
      }
      if (n < tcb.effMss && n === avail && inflight > 0 && tcb.cfg.nagle && !tcb.finQueued && !retransmit)
        break;
      const fin = finToSend && n === avail;
      const data = tcb.sndBuf.slice(off, n);
      const flags = TCP_FLAG.ACK | (n === avail ? TCP_FLAG.PSH : 0) | (fin ? TCP_FLAG.FIN : 0);
      emit(tcb, flags, tcb.sndPtr, data, dataExplain(tcb, off, n, fin, retransmit));
      if (!retransmit && tcb.rttTime < 0 && !tcb.tsOk) {
        tcb.rttTime = now;
        tcb.rttSeq = seqAdd(tcb.sndPtr, n);
      }
      tcb.sndPtr = seqAdd(tcb.sndPtr, n + (fin ? 1 : 0));
    } else {
      emit(tcb, TCP_FLAG.FIN | TCP_FLAG.ACK, tcb.sndPtr, null, finExplain(tcb, retransmit));
      tcb.sndPtr = seqAdd(tcb.sndPtr, 1);
    }
    if (seqGT(tcb.sndPtr, tcb.sndNxt)) tcb.sndNxt = tcb.sndPtr;
    if (tcb.rtoAt === Infinity) tcb.rtoAt = now + tcb.rto;
  }
}

/** Retransmit one segment at SND.UNA without moving the output pointer (fast retransmit, partial ACK, RTO). */
export function retransmitHead(tcb: Tcb, explain: Explain): number {
  const avail = tcb.sndBuf.length;
  const n = Math.min(avail, tcb.effMss);
  const fin = tcb.finQueued && n === avail;
  if (n === 0 && !fin) return 0;
  const flags = TCP_FLAG.ACK | (n > 0 && n === avail ? TCP_FLAG.PSH : 0) | (fin ? TCP_FLAG.FIN : 0);
  emit(tcb, flags, tcb.sndUna, n > 0 ? tcb.sndBuf.slice(0, n) : null, explain);
  tcb.rttTime = -1; // Karn: no RTT sample from a retransmitted segment
  return n + (fin ? 1 : 0);
}

function dataExplain(tcb: Tcb, off: number, n: number, fin: boolean, retransmit: boolean): Explain {
  const a = tcb.ends.localHost;
  const first = seqDiff(seqAdd(tcb.bufSeq, off), tcb.iss);
  const range = `bytes ${first}–${first + n - 1}`;
  const finText = fin ? ', with its FIN on the same segment' : '';
  if (retransmit) {
    return ex(
      'rto-retransmit',
      'RFC 6298 §5.4, RFC 5681 §3.1',
      `After the retransmission timeout ${a} sends ${range} again (${n} bytes${finText}), going back to the oldest unacknowledged byte`,
    );
  }
  const why =
    n === tcb.effMss
      ? `a full segment: ${tcb.effMss} bytes is the effective MSS (${tcb.ends.remoteHost} offered MSS ${tcb.peerMss}${tcb.tsOk ? ', less 12 bytes of timestamp option' : ''}, RFC 9293 §3.7.1)`
      : `${n} bytes`;
  return ex('data', 'RFC 9293 §3.8.6, §3.7.1', `${a} sends ${range}, ${why}${finText}`);
}

function finExplain(tcb: Tcb, retransmit: boolean): Explain {
  const a = tcb.ends.localHost;
  if (retransmit) {
    return ex(
      'fin-retransmit',
      'RFC 6298 §5.4',
      `${a}'s FIN was not acknowledged in time: ${a} sends it again`,
    );
  }
  const why =
    tcb.state === 'LAST-ACK'
      ? `its application closed after ${tcb.ends.remoteHost}'s FIN, so ${a} sends its own FIN and waits in LAST-ACK`
      : `${a}'s application closed (or shut down its sending side): ${a} has no more data to send and sends FIN`;
  return ex('fin', 'RFC 9293 §3.10.4, §3.6', `${why}`);
}

/** After the application read: announce a window that opened by a useful amount (RFC 9293 §3.8.6.2.2). */
export function windowUpdateIfWorth(tcb: Tcb): void {
  const free = tcb.rcvWnd;
  const unit = 2 ** tcb.rcvShift;
  const nowWnd = Math.floor(free / unit) * unit;
  const gain = nowWnd - tcb.lastAdvWnd;
  if (gain >= Math.min(tcb.cfg.rcvBuf / 2, tcb.effMss) || (tcb.lastAdvWnd === 0 && nowWnd > 0)) {
    sendAck(
      tcb,
      ex(
        'window-update',
        'RFC 9293 §3.8.6.2.2',
        `${tcb.ends.localHost}'s application read data, so its receive window opened to ${nowWnd} bytes: it sends a window update`,
      ),
    );
  }
}
