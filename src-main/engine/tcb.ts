/**
 * The transmission control block (RFC 9293 §3.3.1) and its user interface
 * (§3.10.1–§3.10.6: OPEN, SEND, RECEIVE, CLOSE, ABORT, plus shutdown for a
 * half-close). Like smoltcp's `socket/tcp.rs` the TCB has no I/O of its own:
 * time, ISNs and the wire come through a `TcbEnv`, and every state change goes
 * through `setState`, which records `A→B` with the reason. Segment arrival
 * lives in `receive.ts`, segment output in `send.ts`, timers in `timers.ts`
 * (gVisor's split). SND.NXT is the RFC's "next new sequence number"; `sndPtr`
 * is the point output continues from, which an RTO moves back to SND.UNA.
 */
import { seqAdd, seqDiff } from '../../src-shared/seqnum';
import { isSynchronized, TCP_FLAG, type TcpState } from '../../src-shared/tcp';
import { RecvBuffer, ReassemblyQueue, SendBuffer } from './buffers';
import type { Negotiated } from './options';
import { output, sendRst, sendSyn, emit, windowUpdateIfWorth, ex } from './send';
import type { Explain, Segment, SocketEvent, TcpConfig } from './types';

export interface TcbEnv {
  now(): number;
  transmit(tcb: Tcb, seg: Segment): void;
  stateChanged(tcb: Tcb, from: TcpState, to: TcpState, reason: string): void;
  notify(
    tcb: Tcb,
    what: SocketEvent['what'],
    extra?: { code?: string; bytes?: number; detail?: string },
  ): void;
  /** Something a learner should know that sent no segment ("B ignored the RST"). */
  note(tcb: Tcb, rule: string, rfc: string, text: string): void;
  chooseIsn(tcb: Tcb): { iss: number; why: string };
  tsOffset(tcb: Tcb): number;
  /** Host-wide challenge-ACK budget (RFC 5961 §7). */
  allowChallengeAck(): boolean;
}

export interface Endpoints {
  localHost: string;
  localAddr: string;
  localPort: number;
  remoteHost: string;
  remoteAddr: string;
  remotePort: number;
}

export class TcbError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export { isSynchronized };

export class Tcb {
  state: TcpState = 'CLOSED';
  readonly ends: Endpoints;
  /** `A:49152-B:80`; a listener is `B:80`. */
  conn: string;
  passive = false;
  /** Listener this connection came from, until accepted or gone. */
  parent: Tcb | null = null;

  // Send sequence variables (RFC 9293 §3.3.1).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Where output continues: SND.NXT normally, SND.UNA after an RTO (go-back-N). */
  sndPtr = 0;
  maxSndWnd = 0;
  // Receive sequence variables.
  irs = 0;
  rcvNxt = 0;

  // Negotiated options.
  peerMss = 536;
  effMss = 536;
  sndShift = 0;
  rcvShift = 0;
  wsOk = false;
  sackOk = false;
  tsOk = false;
  tsRecent = 0;
  tsOff = 0;

  // Data.
  readonly sndBuf = new SendBuffer();
  /** Sequence number of the first byte in `sndBuf`. */
  bufSeq = 0;
  finQueued = false;
  finSeq = 0;
  /** shutdown() before the handshake finished: send FIN once established. */
  finPending = false;
  readonly rcvBuf = new RecvBuffer();
  readonly ofo = new ReassemblyQueue();
  peerFinSeq: number | null = null;
  finReceived = false;
  /** The application closed (not just shut down): data arriving now draws a RST (Linux). */
  rcvShut = false;
  sndShut = false;
  /** Deliver data straight to the application instead of buffering it (window stays open). */
  onData: ((data: Uint8Array) => void) | null = null;
  bytesReceived = 0;
  bytesSent = 0;

  // Timers: absolute virtual times, Infinity when off.
  rtoAt = Infinity;
  delackAt = Infinity;
  persistAt = Infinity;
  keepAt = Infinity;
  twAt = Infinity;
  fw2At = Infinity;
  /** Time of the queued wake-up (owned by the scheduler). */
  wakeAt = Infinity;

  // RTO estimation (RFC 6298).
  rto: number;
  srtt = 0;
  rttvar = 0;
  hasRtt = false;
  retries = 0;
  rttSeq = 0;
  rttTime = -1;
  synSentAt = 0;
  synRetransmitted = false;
  lastSynAckAt = -Infinity;
  persistBackoff = 0;
  keepProbes = 0;
  keepAlive: boolean;

  // Congestion control (RFC 5681, RFC 6582).
  cwnd = 0;
  ssthresh = Infinity;
  dupAcks = 0;
  recover = 0;
  inRecovery = false;

  // ACK policy.
  ackPending = false;
  ackNow: Explain | null = null;
  unackedBytes = 0;
  lastAdvWnd = 0;

  /** Why the connection ended (errno name), if it failed. */
  error: string | null = null;
  /** ISS override for a connection reopened from TIME-WAIT (Linux: old SND.NXT + 65537). */
  issOverride: number | null = null;

  constructor(
    readonly env: TcbEnv,
    readonly cfg: TcpConfig,
    ends: Endpoints,
  ) {
    this.ends = ends;
    this.conn = connId(ends);
    this.rto = cfg.rtoInitial;
    this.keepAlive = cfg.keepAlive;
  }

  /** Bytes we can still take in: the receive window RCV.WND. */
  get rcvWnd(): number {
    return Math.max(0, this.cfg.rcvBuf - this.rcvBuf.length);
  }

  /** The one place a state changes; records `from→to` and why. */
  setState(to: TcpState, reason: string): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.env.stateChanged(this, from, to, reason);
    if (to === 'TIME-WAIT') {
      this.clearTimers();
      this.twAt = this.env.now() + 2 * this.cfg.msl;
    } else if (to === 'CLOSED') {
      this.clearTimers();
    } else if (to === 'FIN-WAIT-2' && this.rcvShut) {
      this.fw2At = this.env.now() + this.cfg.finTimeout;
    }
  }

  clearTimers(): void {
    this.rtoAt = this.delackAt = this.persistAt = this.keepAt = this.twAt = this.fw2At = Infinity;
    this.ackPending = false;
  }

  applyNegotiation(n: Negotiated): void {
    this.peerMss = n.peerMss;
    this.effMss = n.effMss;
    this.sndShift = n.sndShift;
    this.rcvShift = n.rcvShift;
    this.wsOk = n.wsOk;
    this.sackOk = n.sackOk;
    this.tsOk = n.tsOk;
  }

  /** Our timestamp clock: milliseconds plus a per-connection offset (RFC 7323 §5.4). */
  tsNow(): number {
    return (Math.floor(this.env.now()) + this.tsOff) >>> 0;
  }

  // ---- user calls (RFC 9293 §3.10) ----

  /** Active OPEN (RFC 9293 §3.10.1): choose the ISS, send SYN, enter SYN-SENT. */
  open(): void {
    if (this.state !== 'CLOSED') throw new TcbError('EISCONN', `${this.conn} is ${this.state}, not CLOSED`);
    this.passive = false;
    this.tsOff = this.cfg.timestamps ? this.env.tsOffset(this) : 0;
    const { iss, why } = this.env.chooseIsn(this);
    this.initSend(iss);
    this.setState(
      'SYN-SENT',
      `the application called connect(): ${this.ends.localHost} sends a SYN (RFC 9293 §3.10.1)`,
    );
    sendSyn(this, false, why);
    this.synSentAt = this.env.now();
    this.rtoAt = this.env.now() + this.rto;
  }

  initSend(iss: number): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = seqAdd(iss, 1);
    this.sndPtr = this.sndNxt;
    this.bufSeq = this.sndNxt;
  }

  /** SEND (RFC 9293 §3.10.2): queue bytes; they leave as the windows allow. */
  send(data: Uint8Array): number {
    const s = this.state;
    if (
      this.sndShut ||
      s === 'FIN-WAIT-1' ||
      s === 'FIN-WAIT-2' ||
      s === 'CLOSING' ||
      s === 'LAST-ACK' ||
      s === 'TIME-WAIT'
    ) {
      throw new TcbError('EPIPE', `${this.ends.localHost} cannot send: the connection is closing (${s})`);
    }
    if (s === 'CLOSED' || s === 'LISTEN') {
      throw new TcbError('ENOTCONN', `${this.ends.localHost} cannot send: the socket is ${s}`);
    }
    this.sndBuf.push(data);
    this.bytesSent += data.length;
    if (isSynchronized(s)) output(this);
    return data.length;
  }

  /** RECEIVE (RFC 9293 §3.10.3): everything buffered; may open the window again. */
  read(): Uint8Array {
    const data = this.rcvBuf.take();
    if (data.length > 0 && isSynchronized(this.state)) windowUpdateIfWorth(this);
    return data;
  }

  /** shutdown(SHUT_WR): send FIN after queued data, keep receiving (half-close). */
  shutdown(why = 'the application shut down its sending side (shutdown SHUT_WR)'): void {
    const s = this.state;
    if (this.sndShut) return;
    if (s === 'SYN-SENT' || s === 'SYN-RECEIVED') {
      this.finPending = true;
      this.sndShut = true;
      return;
    }
    if (s === 'ESTABLISHED') {
      this.queueFin();
      this.setState('FIN-WAIT-1', `${why}: FIN queued after any data (RFC 9293 §3.10.4)`);
    } else if (s === 'CLOSE-WAIT') {
      this.queueFin();
      this.setState(
        'LAST-ACK',
        `the application closed after the peer's FIN: ${this.ends.localHost} sends its own FIN (RFC 9293 §3.10.4)`,
      );
    } else return;
    output(this);
  }

  /** CLOSE (RFC 9293 §3.10.4). Unread data makes it an abort (RFC 2525 §2.17, as Linux does). */
  close(): void {
    const s = this.state;
    if (s === 'CLOSED') return;
    if (this.rcvBuf.length > 0 && isSynchronized(s) && s !== 'TIME-WAIT') {
      this.abort(
        'rst-unread',
        'RFC 2525 §2.17',
        `${this.ends.localHost} closed the socket with ${this.rcvBuf.length} unread bytes: it resets the connection instead of a FIN, so the peer knows data was lost`,
      );
      return;
    }
    this.rcvShut = true;
    if (s === 'LISTEN') {
      this.setState('CLOSED', 'the application closed the listening socket (RFC 9293 §3.10.4)');
      return;
    }
    if (s === 'SYN-SENT') {
      this.setState(
        'CLOSED',
        'the application closed the socket before any answer: the TCB is deleted (RFC 9293 §3.10.4)',
      );
      return;
    }
    if (s === 'SYN-RECEIVED') {
      this.queueFin();
      this.setState(
        'FIN-WAIT-1',
        'the application closed during the handshake: FIN follows (RFC 9293 §3.10.4)',
      );
      output(this);
      return;
    }
    if (s === 'ESTABLISHED' || s === 'CLOSE-WAIT') {
      this.shutdown('the application called close()');
      return;
    }
    if (s === 'FIN-WAIT-2' && this.fw2At === Infinity) this.fw2At = this.env.now() + this.cfg.finTimeout;
  }

  /** ABORT (RFC 9293 §3.10.5): RST where Linux sends one (SO_LINGER 0), then CLOSED. */
  abort(rule = 'abort', rfc = 'RFC 9293 §3.10.5', text?: string): void {
    const s = this.state;
    if (s === 'CLOSED') return;
    const needRst =
      s === 'ESTABLISHED' ||
      s === 'CLOSE-WAIT' ||
      s === 'FIN-WAIT-1' ||
      s === 'FIN-WAIT-2' ||
      s === 'SYN-RECEIVED';
    if (needRst) {
      sendRst(
        this,
        ex(
          rule,
          rfc,
          text ??
            `${this.ends.localHost}'s application aborted the connection (close with SO_LINGER 0): RST with SEQ = SND.NXT, and all queued data is thrown away`,
        ),
      );
    }
    this.rcvShut = this.sndShut = true;
    this.setState(
      'CLOSED',
      text ? 'reset: ' + text : 'the application aborted the connection (RFC 9293 §3.10.5)',
    );
  }

  queueFin(): void {
    this.sndShut = true;
    this.finQueued = true;
    this.finSeq = seqAdd(this.bufSeq, this.sndBuf.length);
  }

  /** Bytes sent and not yet acknowledged (SYN and FIN count one each). */
  get flight(): number {
    return seqDiff(this.sndNxt, this.sndUna);
  }

  /** Fail the connection with an errno the application sees. */
  fail(code: string, reason: string): void {
    this.error = code;
    this.setState('CLOSED', reason);
    this.env.notify(this, 'error', { code, detail: reason });
  }

  /** Send a bare ACK (used by the timers and receive path). */
  ackNowWith(explain: Explain): void {
    emit(this, TCP_FLAG.ACK, this.sndNxt, null, explain);
  }
}

export function connId(e: Endpoints): string {
  return e.remoteHost
    ? `${e.localHost}:${e.localPort}-${e.remoteHost}:${e.remotePort}`
    : `${e.localHost}:${e.localPort}`;
}
