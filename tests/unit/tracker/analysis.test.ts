import { describe, expect, it } from 'vitest';
import { Script } from './helpers';

const ISA = 1000;
const ISB = 5000;

/** Handshake with a 20 ms initial RTT (Wireshark's out-of-order threshold). */
function open(): Script {
  const s = new Script();
  s.ab('SYN', ISA, 0);
  s.ba('SYN,ACK', ISB, ISA + 1, { dt: 0.01 });
  s.ab('ACK', ISA + 1, ISB + 1, { dt: 0.01 });
  return s;
}

describe('tracker: Wireshark-style analysis flags', () => {
  it('tells retransmission, lost segment and out-of-order apart', () => {
    const s = open();
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    s.ab('PSH,ACK', ISA + 11, ISB + 1, { len: 10 });
    const rtx = s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10, dt: 0.5 });
    const gap = s.ab('PSH,ACK', ISA + 31, ISB + 1, { len: 10, dt: 0.001 });
    const ooo = s.ab('PSH,ACK', ISA + 21, ISB + 1, { len: 10, dt: 0.001 });
    expect(rtx.row!.analysis).toEqual(['retransmission']);
    expect(gap.row!.analysis).toEqual(['lost-segment']);
    expect(ooo.row!.analysis).toEqual(['out-of-order']);
  });

  it('uses the initial RTT, not 3 ms, as the out-of-order time threshold once it is known', () => {
    const s = open(); // iRTT 20 ms
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    s.ab('PSH,ACK', ISA + 21, ISB + 1, { len: 10, dt: 0.001 });
    expect(s.ab('PSH,ACK', ISA + 11, ISB + 1, { len: 10, dt: 0.01 }).row!.analysis).toEqual(['out-of-order']);
    expect(s.ab('PSH,ACK', ISA + 11, ISB + 1, { len: 10, dt: 0.05 }).row!.analysis).toEqual([
      'retransmission',
    ]);
  });

  it('flags a retransmission of data already acknowledged as spurious', () => {
    const s = open();
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    s.ba('ACK', ISB + 1, ISA + 11);
    const r = s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10, dt: 1 });
    expect(r.row!.analysis).toEqual(['retransmission', 'spurious-retransmission']);
  });

  it('counts duplicate ACKs and a fast retransmission', () => {
    const s = open();
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    s.ab('PSH,ACK', ISA + 11, ISB + 1, { len: 10 });
    s.ba('ACK', ISB + 1, ISA + 11);
    s.ba('ACK', ISB + 1, ISA + 11, { dt: 0.001 });
    s.ba('ACK', ISB + 1, ISA + 11, { dt: 0.001 });
    const fast = s.ab('PSH,ACK', ISA + 11, ISB + 1, { len: 10, dt: 0.001 });
    expect(s.flags().slice(5, 8)).toEqual([[], ['dup-ack'], ['dup-ack']]);
    expect(fast.row!.analysis).toEqual(['retransmission']);
    expect(s.tracker.summary(0)!.analysis).toEqual({ 'dup-ack': 2, retransmission: 1 });
  });

  it('flags zero window, zero window probe and the window update', () => {
    const s = open();
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 100 });
    const zw = s.ba('ACK', ISB + 1, ISA + 101, { win: 0 });
    const probe = s.ab('ACK', ISA + 101, ISB + 1, { len: 1 });
    s.ba('ACK', ISB + 1, ISA + 101, { win: 0 });
    const update = s.ba('ACK', ISB + 1, ISA + 101, { win: 4096 });
    expect(zw.row!.analysis).toEqual(['zero-window']);
    expect(probe.row!.analysis).toEqual(['zero-window-probe']);
    expect(update.row!.analysis).toEqual(['window-update']);
  });

  it('flags keep-alives (seq = next − 1) and their ACKs, not as retransmissions', () => {
    const s = open();
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    s.ba('ACK', ISB + 1, ISA + 11);
    const ka = s.ab('ACK', ISA + 10, ISB + 1, { dt: 60 });
    const kaAck = s.ba('ACK', ISB + 1, ISA + 11);
    const ka1 = s.ab('ACK', ISA + 10, ISB + 1, { len: 1, dt: 60 });
    expect(ka.row!.analysis).toEqual(['keep-alive']);
    expect(kaAck.row!.analysis).toEqual(['keep-alive-ack']);
    expect(ka1.row!.analysis).toEqual(['keep-alive']);
  });

  it('flags an ACK for data the capture never saw', () => {
    const s = open();
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    expect(s.ba('ACK', ISB + 1, ISA + 500).row!.analysis).toEqual(['acked-unseen']);
  });

  it('flags a bad checksum', () => {
    const s = open();
    expect(s.ab('ACK', ISA + 1, ISB + 1, { checksumOk: false }).row!.analysis).toContain('bad-checksum');
    expect(s.ab('ACK', ISA + 1, ISB + 1, { checksumOk: null }).row!.analysis).not.toContain('bad-checksum');
  });
});
