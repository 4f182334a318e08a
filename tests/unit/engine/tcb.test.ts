/**
 * Segment scripts for the TCB on virtual time, smoltcp style: one fixture
 * per state, each built from the previous one by real segments (CLOSED →
 * SYN-SENT → ESTABLISHED → FIN-WAIT-1 → …), with both ISNs just below 2^32 so
 * every script crosses the sequence-number wrap. A harness stands in for the
 * host: it records what the TCB transmits and which states it passes.
 */
import { describe, expect, it } from 'vitest';
import { seqAdd } from '../../../src-shared/seqnum';
import { TCP_FLAG, flagBits, flagNames, type TcpState } from '../../../src-shared/tcp';
import { listenArrives, segmentArrives } from '../../../src-main/engine/receive';
import { Tcb, type TcbEnv } from '../../../src-main/engine/tcb';
import { poll, pollAt } from '../../../src-main/engine/timers';
import { DEFAULT_TCP, type Segment, type SegOptions, type TcpConfig } from '../../../src-main/engine/types';

const LOCAL_ISS = 0xffff_fff0; // our SYN at 2^32-16: data crosses the wrap after 15 bytes
const REMOTE_ISS = 0xffff_ff00; // theirs at 2^32-256
const R1 = seqAdd(REMOTE_ISS, 1);
const L1 = seqAdd(LOCAL_ISS, 1);

class Harness implements TcbEnv {
  t = 0;
  out: Segment[] = [];
  states: string[] = [];
  events: string[] = [];
  notes: string[] = [];
  now(): number {
    return this.t;
  }
  transmit(_t: Tcb, seg: Segment): void {
    this.out.push(seg);
  }
  stateChanged(_t: Tcb, from: TcpState, to: TcpState): void {
    this.states.push(`${from}>${to}`);
  }
  notify(_t: Tcb, what: string, extra?: { code?: string }): void {
    this.events.push(extra?.code ? `${what}:${extra.code}` : what);
  }
  note(_t: Tcb, rule: string): void {
    this.notes.push(rule);
  }
  chooseIsn(): { iss: number; why: string } {
    return { iss: LOCAL_ISS, why: 'test' };
  }
  tsOffset(): number {
    return 0;
  }
  allowChallengeAck(): boolean {
    return true;
  }
  take(): string[] {
    const o = this.out.map(show);
    this.out = [];
    return o;
  }
  /** Advance the clock to `t`, firing timers in order. */
  until(tcb: Tcb, t: number): void {
    for (;;) {
      const due = pollAt(tcb);
      if (due > t || tcb.state === 'CLOSED') break;
      this.t = Math.max(this.t, due);
      poll(tcb);
    }
    this.t = t;
  }
}

/** "SYN,ACK seq ack len win" with absolute numbers. */
function show(s: Segment): string {
  return `${flagNames(s.flags).join(',')} ${s.seq} ${s.ack}${s.len ? ` len=${s.len}` : ''}`;
}

const CFG: TcpConfig = {
  ...DEFAULT_TCP,
  timestamps: false,
  sackPermitted: false,
  windowScale: null,
  delayedAck: 0,
  rcvBuf: 8192,
  msl: 1000,
};

function newTcb(cfg: Partial<TcpConfig> = {}): { tcb: Tcb; h: Harness } {
  const h = new Harness();
  const tcb = new Tcb(
    h,
    { ...CFG, ...cfg },
    {
      localHost: 'A',
      localAddr: '10.0.0.1',
      localPort: 1000,
      remoteHost: 'B',
      remoteAddr: '10.0.0.2',
      remotePort: 80,
    },
  );
  return { tcb, h };
}

function seg(
  flags: string,
  seq: number,
  ack = 0,
  data: Uint8Array | number = 0,
  opts: SegOptions | null = null,
  win = 8192,
): Segment {
  const d = typeof data === 'number' ? (data ? new Uint8Array(data).fill(7) : null) : data;
  return {
    src: 'B',
    dst: 'A',
    srcPort: 80,
    dstPort: 1000,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags: flagBits(flags.split(',').filter(Boolean)),
    win,
    wnd: win,
    len: d ? d.length : 0,
    data: d,
    options: opts,
    explain: { rule: 'test', rfc: '-', text: 'test' },
  };
}

function arrive(tcb: Tcb, s: Segment): string {
  return segmentArrives(tcb, s);
}

// ---- fixtures, each from the one before ----

function synSent(cfg: Partial<TcpConfig> = {}): { tcb: Tcb; h: Harness } {
  const f = newTcb(cfg);
  f.tcb.open();
  return f;
}

function established(): { tcb: Tcb; h: Harness } {
  const f = synSent();
  f.h.t = 10;
  arrive(f.tcb, seg('SYN,ACK', REMOTE_ISS, L1, 0, { mss: 1000 }));
  f.h.take();
  f.h.states = [];
  return f;
}

function finWait1(): { tcb: Tcb; h: Harness } {
  const f = established();
  f.tcb.close();
  f.h.take();
  return f;
}

function finWait2(): { tcb: Tcb; h: Harness } {
  const f = finWait1();
  arrive(f.tcb, seg('ACK', R1, seqAdd(L1, 1)));
  return f;
}

function timeWait(): { tcb: Tcb; h: Harness } {
  const f = finWait2();
  arrive(f.tcb, seg('FIN,ACK', R1, seqAdd(L1, 1)));
  f.h.take();
  return f;
}

function closing(): { tcb: Tcb; h: Harness } {
  const f = finWait1();
  arrive(f.tcb, seg('FIN,ACK', R1, L1));
  f.h.take();
  return f;
}

function closeWait(): { tcb: Tcb; h: Harness } {
  const f = established();
  arrive(f.tcb, seg('FIN,ACK', R1, L1));
  f.h.take();
  return f;
}

function lastAck(): { tcb: Tcb; h: Harness } {
  const f = closeWait();
  f.tcb.close();
  f.h.take();
  return f;
}

describe('CLOSED → SYN-SENT', () => {
  it('open sends SYN with the ISS and the options on offer', () => {
    const { tcb, h } = newTcb({ timestamps: true, sackPermitted: true, windowScale: 7 });
    tcb.open();
    expect(tcb.state).toBe('SYN-SENT');
    expect(h.out[0].options).toEqual({ mss: 1460, sackPermitted: true, tsval: 0, tsecr: 0, wscale: 7 });
    expect(h.take()).toEqual([`SYN ${LOCAL_ISS} 0`]);
    expect(h.states).toEqual(['CLOSED>SYN-SENT']);
  });
});

describe('SYN-SENT', () => {
  it('SYN-ACK → ESTABLISHED, ACK = their ISN + 1 across the wrap; MSS negotiated', () => {
    const { tcb, h } = synSent();
    h.take();
    arrive(tcb, seg('SYN,ACK', REMOTE_ISS, L1, 0, { mss: 536 }));
    expect(tcb.state).toBe('ESTABLISHED');
    expect(h.take()).toEqual([`ACK ${L1} ${R1}`]);
    expect(tcb.effMss).toBe(536);
    expect(h.events).toContain('established');
  });

  it('RST acknowledging the SYN → CLOSED with ECONNREFUSED', () => {
    const { tcb, h } = synSent();
    h.take();
    arrive(tcb, seg('RST,ACK', 0, L1));
    expect(tcb.state).toBe('CLOSED');
    expect(h.events).toContain('error:ECONNREFUSED');
    expect(h.take()).toEqual([]);
  });

  it('RST without an acceptable ACK is ignored (RFC 5961 §3)', () => {
    const { tcb, h } = synSent();
    h.take();
    arrive(tcb, seg('RST', 12345));
    arrive(tcb, seg('RST,ACK', 0, seqAdd(L1, 5)));
    expect(tcb.state).toBe('SYN-SENT');
    expect(h.take()).toEqual([]);
  });

  it('an ACK for something else is answered with RST <SEQ=SEG.ACK>', () => {
    const { tcb, h } = synSent();
    h.take();
    arrive(tcb, seg('SYN,ACK', REMOTE_ISS, 4242));
    expect(h.take()).toEqual(['RST 4242 0']);
    expect(tcb.state).toBe('SYN-SENT');
  });

  it('a SYN without ACK is a simultaneous open: SYN-RECEIVED and SYN-ACK with our ISS', () => {
    const { tcb, h } = synSent();
    h.take();
    arrive(tcb, seg('SYN', REMOTE_ISS));
    expect(tcb.state).toBe('SYN-RECEIVED');
    expect(h.take()).toEqual([`SYN,ACK ${LOCAL_ISS} ${R1}`]);
    arrive(tcb, seg('SYN,ACK', REMOTE_ISS, L1));
    expect(tcb.state).toBe('ESTABLISHED');
    expect(h.take()).toEqual([]);
  });

  it('retransmits the SYN at 1, 3, 7 s and fails with ETIMEDOUT (RFC 6298 backoff)', () => {
    const { tcb, h } = synSent({ synRetries: 3 });
    h.take();
    const times: number[] = [];
    h.transmit = (_t, s) => {
      times.push(h.t);
      h.out.push(s);
    };
    h.until(tcb, 20_000);
    expect(times).toEqual([1000, 3000, 7000]);
    expect(h.take()).toEqual([`SYN ${LOCAL_ISS} 0`, `SYN ${LOCAL_ISS} 0`, `SYN ${LOCAL_ISS} 0`]);
    expect(tcb.state).toBe('CLOSED');
    expect(h.events).toContain('error:ETIMEDOUT');
  });
});

describe('LISTEN → SYN-RECEIVED', () => {
  it('SYN → a child in SYN-RECEIVED answers SYN-ACK; ACK → ESTABLISHED', () => {
    const { tcb: l, h } = newTcb();
    l.setState('LISTEN', 'test');
    const child = listenArrives(
      l,
      seg('SYN', REMOTE_ISS, 0, 0, { mss: 1200 }),
      () => new Tcb(h, l.cfg, { ...l.ends }),
    ) as Tcb;
    expect(child.state).toBe('SYN-RECEIVED');
    expect(h.take()).toEqual([`SYN,ACK ${LOCAL_ISS} ${R1}`]);
    expect(h.out).toEqual([]);
    // a retransmitted SYN is answered with the SYN-ACK again (once the rate limit allows)
    h.t = 600;
    expect(arrive(child, seg('SYN', REMOTE_ISS))).toBe('ok');
    expect(h.take()).toEqual([`SYN,ACK ${LOCAL_ISS} ${R1}`]);
    arrive(child, seg('ACK', R1, L1));
    expect(child.state).toBe('ESTABLISHED');
    expect(child.effMss).toBe(1200);
    expect(h.states).toEqual(['CLOSED>LISTEN', 'LISTEN>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED']);
  });

  it('LISTEN answers a stray ACK with RST and ignores a RST', () => {
    const { tcb: l, h } = newTcb();
    l.setState('LISTEN', 'test');
    expect(listenArrives(l, seg('ACK', 5, 777), () => null)).toBeNull();
    expect(listenArrives(l, seg('RST', 5), () => null)).toBeNull();
    expect(h.take()).toEqual(['RST 777 0']);
  });

  it('SYN-RECEIVED: a wrong ACK draws RST; an exact RST returns to LISTEN; the SYN-ACK is retransmitted', () => {
    const { tcb: l, h } = newTcb();
    l.setState('LISTEN', 'test');
    const c = listenArrives(l, seg('SYN', REMOTE_ISS), () => new Tcb(h, l.cfg, { ...l.ends })) as Tcb;
    h.take();
    arrive(c, seg('ACK', R1, 99));
    expect(h.take()).toEqual(['RST 99 0']);
    h.until(c, 1000);
    expect(h.take()).toEqual([`SYN,ACK ${LOCAL_ISS} ${R1}`]);
    expect(arrive(c, seg('RST', R1))).toBe('drop-child');
    expect(c.state).toBe('LISTEN');
  });
});

describe('ESTABLISHED', () => {
  it('receives data across the 2^32 wrap and acknowledges it', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('ACK', R1, L1, 300));
    expect(tcb.rcvNxt).toBe(seqAdd(REMOTE_ISS, 301));
    expect(tcb.rcvNxt).toBeLessThan(REMOTE_ISS); // wrapped
    expect(h.take()).toEqual([`ACK ${L1} ${seqAdd(R1, 300)}`]);
    expect(tcb.read().length).toBe(300);
  });

  it('sends data in MSS-sized segments across the wrap and frees it when acknowledged', () => {
    const { tcb, h } = established();
    tcb.send(new Uint8Array(2500));
    // the 500-byte tail waits: Nagle holds a small segment while data is unacknowledged (RFC 9293 §3.7.4)
    expect(h.take()).toEqual([`ACK ${L1} ${R1} len=1000`, `ACK ${seqAdd(L1, 1000)} ${R1} len=1000`]);
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 2000)));
    expect(h.take()).toEqual([`PSH,ACK ${seqAdd(L1, 2000)} ${R1} len=500`]);
    expect(tcb.sndNxt).toBe(seqAdd(L1, 2500));
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 2500)));
    expect(tcb.sndUna).toBe(tcb.sndNxt);
    expect(tcb.sndBuf.length).toBe(0);
    expect(tcb.rtoAt).toBe(Infinity);
  });

  it('an in-window RST draws a challenge ACK; only an exact one resets (RFC 5961 §3.2)', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('RST', seqAdd(R1, 100)));
    expect(tcb.state).toBe('ESTABLISHED');
    expect(h.take()).toEqual([`ACK ${L1} ${R1}`]);
    arrive(tcb, seg('RST', seqAdd(R1, 100000)));
    expect(h.take()).toEqual([]);
    expect(h.notes).toContain('rst-out-of-window');
    arrive(tcb, seg('RST', R1));
    expect(tcb.state).toBe('CLOSED');
    expect(h.events).toContain('error:ECONNRESET');
  });

  it('a SYN, in window or not, draws a challenge ACK (RFC 5961 §4)', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('SYN', seqAdd(R1, 5)));
    arrive(tcb, seg('SYN', 12345));
    expect(h.take()).toEqual([`ACK ${L1} ${R1}`, `ACK ${L1} ${R1}`]);
    expect(tcb.state).toBe('ESTABLISHED');
  });

  it('an unacceptable segment is answered with an ACK and dropped', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('ACK', seqAdd(R1, 50000), L1, 10));
    expect(h.take()).toEqual([`ACK ${L1} ${R1}`]);
    expect(tcb.rcvNxt).toBe(R1);
  });

  it('an ACK of unsent data draws an ACK and is dropped', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 10)));
    expect(h.take()).toEqual([`ACK ${L1} ${R1}`]);
  });

  it('out-of-order bytes wait for the hole; the duplicate ACK goes out at once', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('ACK', seqAdd(R1, 100), L1, 100));
    expect(h.take()).toEqual([`ACK ${L1} ${R1}`]);
    arrive(tcb, seg('ACK', R1, L1, 100));
    expect(h.take()).toEqual([`ACK ${L1} ${seqAdd(R1, 200)}`]);
    expect(tcb.read().length).toBe(200);
  });

  it('retransmits on RTO with backoff, then fast-retransmits on three duplicate ACKs', () => {
    const { tcb, h } = established();
    tcb.send(new Uint8Array(1000));
    h.take();
    const rto = tcb.rto;
    h.until(tcb, h.t + rto);
    expect(h.take()).toEqual([`PSH,ACK ${L1} ${R1} len=1000`]);
    expect(tcb.rto).toBe(Math.min(2 * rto, CFG.rtoMax));
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 1000)));
    tcb.send(new Uint8Array(4000));
    h.take();
    for (let i = 0; i < 2; i++) arrive(tcb, seg('ACK', R1, seqAdd(L1, 1000)));
    expect(h.out).toEqual([]);
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 1000)));
    expect(h.out[0].explain.rule).toBe('fast-retransmit');
    expect(h.take()[0]).toBe(`ACK ${seqAdd(L1, 1000)} ${R1} len=1000`);
  });

  it('a zero window stops sending and the persist timer probes with SND.UNA−1', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('ACK', R1, L1, 0, null, 0));
    expect(tcb.sndWnd).toBe(0);
    tcb.send(new Uint8Array(100));
    expect(h.take()).toEqual([]);
    h.until(tcb, h.t + tcb.rto);
    expect(h.take()).toEqual([`ACK ${LOCAL_ISS} ${R1}`]);
    arrive(tcb, seg('ACK', R1, L1, 0, null, 4096));
    expect(h.take()).toEqual([`PSH,ACK ${L1} ${R1} len=100`]);
  });

  it('the receiver closes its window when the application does not read, and reopens it', () => {
    const { tcb, h } = established();
    arrive(tcb, seg('ACK', R1, L1, 8192));
    expect(h.out[0].win).toBe(0);
    h.take();
    arrive(tcb, seg('ACK', seqAdd(R1, 8192), L1, 10));
    expect(h.take()).toEqual([`ACK ${L1} ${seqAdd(R1, 8192)}`]);
    tcb.read();
    expect(h.out[0].win).toBe(8192);
  });

  it('keep-alives probe an idle connection, then give up with RST and ETIMEDOUT', () => {
    const { tcb, h } = established();
    tcb.keepAlive = true;
    arrive(tcb, seg('ACK', R1, L1));
    h.take();
    h.until(tcb, h.t + CFG.keepIdle + CFG.keepInterval * CFG.keepCount + 1);
    const out = h.take();
    expect(out.slice(0, 2)).toEqual([`ACK ${LOCAL_ISS} ${R1}`, `ACK ${LOCAL_ISS} ${R1}`]);
    expect(out.length).toBe(CFG.keepCount + 1);
    expect(out[out.length - 1]).toBe(`RST,ACK ${L1} ${R1}`);
    expect(h.events).toContain('error:ETIMEDOUT');
  });

  it('abort sends RST,ACK with SEQ = SND.NXT and closes', () => {
    const { tcb, h } = established();
    tcb.abort();
    expect(h.take()).toEqual([`RST,ACK ${L1} ${R1}`]);
    expect(tcb.state).toBe('CLOSED');
  });
});

describe('closing states', () => {
  it('ESTABLISHED → FIN-WAIT-1 on close, with FIN', () => {
    const { tcb, h } = established();
    tcb.close();
    expect(tcb.state).toBe('FIN-WAIT-1');
    expect(h.take()).toEqual([`FIN,ACK ${L1} ${R1}`]);
  });

  it('FIN-WAIT-1 → FIN-WAIT-2 on the ACK of our FIN', () => {
    const { tcb } = finWait2();
    expect(tcb.state).toBe('FIN-WAIT-2');
  });

  it('FIN-WAIT-2 → TIME-WAIT on their FIN, ACKed at once; CLOSED after 2×MSL', () => {
    const { tcb, h } = finWait2();
    arrive(tcb, seg('FIN,ACK', R1, seqAdd(L1, 1)));
    expect(tcb.state).toBe('TIME-WAIT');
    expect(h.take()).toEqual([`ACK ${seqAdd(L1, 1)} ${seqAdd(R1, 1)}`]);
    h.until(tcb, h.t + 2 * CFG.msl);
    expect(tcb.state).toBe('CLOSED');
  });

  it('TIME-WAIT re-acknowledges a retransmitted FIN and restarts 2×MSL', () => {
    const { tcb, h } = timeWait();
    h.until(tcb, h.t + 1500);
    arrive(tcb, seg('FIN,ACK', R1, seqAdd(L1, 1)));
    expect(h.take()).toEqual([`ACK ${seqAdd(L1, 1)} ${seqAdd(R1, 1)}`]);
    h.until(tcb, h.t + 1999);
    expect(tcb.state).toBe('TIME-WAIT');
    h.until(tcb, h.t + 1);
    expect(tcb.state).toBe('CLOSED');
  });

  it('TIME-WAIT: a SYN with a higher sequence number reopens the connection', () => {
    const { tcb } = timeWait();
    expect(arrive(tcb, seg('SYN', seqAdd(R1, 100000)))).toBe('reopen');
    expect(tcb.state).toBe('CLOSED');
  });

  it('FIN-WAIT-1 → CLOSING on their FIN (simultaneous close) → TIME-WAIT on our FIN’s ACK', () => {
    const { tcb, h } = finWait1();
    arrive(tcb, seg('FIN,ACK', R1, L1));
    expect(tcb.state).toBe('CLOSING');
    expect(h.take()).toEqual([`ACK ${seqAdd(L1, 1)} ${seqAdd(R1, 1)}`]);
    arrive(tcb, seg('ACK', seqAdd(R1, 1), seqAdd(L1, 1)));
    expect(tcb.state).toBe('TIME-WAIT');
  });

  it('CLOSING: the fixture is reached from FIN-WAIT-1', () => {
    expect(closing().tcb.state).toBe('CLOSING');
  });

  it('FIN-WAIT-1 → TIME-WAIT on FIN that also acknowledges our FIN', () => {
    const { tcb } = finWait1();
    arrive(tcb, seg('FIN,ACK', R1, seqAdd(L1, 1)));
    expect(tcb.state).toBe('TIME-WAIT');
  });

  it('ESTABLISHED → CLOSE-WAIT on FIN; close → LAST-ACK with FIN; its ACK → CLOSED', () => {
    const { tcb, h } = lastAck();
    expect(tcb.state).toBe('LAST-ACK');
    expect(h.states.slice(-2)).toEqual(['ESTABLISHED>CLOSE-WAIT', 'CLOSE-WAIT>LAST-ACK']);
    arrive(tcb, seg('ACK', seqAdd(R1, 1), seqAdd(L1, 1)));
    expect(tcb.state).toBe('CLOSED');
  });

  it('LAST-ACK retransmits its FIN on RTO', () => {
    const { tcb, h } = lastAck();
    h.until(tcb, h.t + tcb.rto);
    expect(h.take()).toEqual([`FIN,ACK ${L1} ${seqAdd(R1, 1)}`]);
  });

  it('CLOSE-WAIT accepts a RST at RCV.NXT−1 (Linux, after the peer’s FIN)', () => {
    const { tcb } = closeWait();
    arrive(tcb, seg('RST', R1));
    expect(tcb.state).toBe('CLOSED');
  });

  it('half-close: FIN-WAIT-2 keeps receiving data', () => {
    const { tcb, h } = finWait2();
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 1), 0));
    tcb.rcvShut = false;
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 1), 500));
    expect(tcb.rcvNxt).toBe(seqAdd(R1, 500));
    expect(h.take()).toEqual([`ACK ${seqAdd(L1, 1)} ${seqAdd(R1, 500)}`]);
  });

  it('data arriving after close() (orphaned socket) is answered with RST', () => {
    const { tcb, h } = finWait2();
    arrive(tcb, seg('ACK', R1, seqAdd(L1, 1), 10));
    expect(tcb.state).toBe('CLOSED');
    expect(h.take()).toEqual([`RST,ACK ${seqAdd(L1, 1)} ${R1}`]);
  });
});

describe('flags helper', () => {
  it('TCP_FLAG bits used by the scripts', () => {
    expect(flagBits(['SYN', 'ACK'])).toBe(TCP_FLAG.SYN | TCP_FLAG.ACK);
  });
});
