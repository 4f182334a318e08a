import { describe, expect, it } from 'vitest';
import { Script } from './helpers';

const ISA = 1000;
const ISB = 5000;

/** Established connection where A sent 100 bytes that B acknowledged; B advertises 1000 bytes. */
function established(): Script {
  const s = new Script();
  s.ab('SYN', ISA, 0);
  s.ba('SYN,ACK', ISB, ISA + 1, { win: 1000 });
  s.ab('ACK', ISA + 1, ISB + 1);
  s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 100 });
  s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 });
  return s;
}

describe('tracker: RST validity (RFC 5961 §3) and challenge ACKs', () => {
  it('acts on a RST whose SEQ equals RCV.NXT', () => {
    const s = established();
    const r = s.ab('RST', ISA + 101, 0);
    expect(r.row!.analysis).toEqual(['rst-exact']);
    expect([r.row!.stateA, r.row!.stateB]).toEqual(['CLOSED', 'CLOSED']);
    expect(s.tracker.summary(0)!.outcome).toBe('reset-by-a');
  });

  it('answers an in-window RST with a challenge ACK and stays ESTABLISHED', () => {
    const s = established();
    const rst = s.ab('RST', ISA + 150, 0);
    expect(rst.row!.analysis).toEqual(['rst-in-window']);
    expect(rst.row!.stateB).toBe('ESTABLISHED');
    const ack = s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 });
    expect(ack.row!.analysis).toContain('challenge-ack');
    // Only the first ACK after the RST is the challenge.
    const next = s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 });
    expect(next.row!.analysis).not.toContain('challenge-ack');
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('open');
    expect(sum.states.b).toBe('ESTABLISHED');
    expect(sum.analysis['rst-in-window']).toBe(1);
    expect(sum.analysis['challenge-ack']).toBe(1);
  });

  it('ignores a RST outside the window (no challenge ACK expected)', () => {
    const s = established();
    const rst = s.ab('RST', ISA + 101 + 5000, 0);
    expect(rst.row!.analysis).toEqual(['rst-out-of-window']);
    expect(rst.row!.stateB).toBe('ESTABLISHED');
    const ack = s.ab('ACK', ISA + 101, ISB + 1);
    expect(ack.row!.stateA).toBe('ESTABLISHED');
    expect(s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 }).row!.analysis).not.toContain('challenge-ack');
  });

  it('treats a RST just below RCV.NXT as in-window before a FIN and exact after it (Linux)', () => {
    const before = established();
    expect(before.ab('RST', ISA + 100, 0).row!.analysis).toEqual(['rst-out-of-window']);

    const s = established();
    s.ab('FIN,ACK', ISA + 101, ISB + 1);
    s.ba('ACK', ISB + 1, ISA + 102, { win: 1000 });
    expect(s.states().at(-1)).toEqual(['FIN-WAIT-2', 'CLOSE-WAIT']);
    const r = s.ab('RST', ISA + 101, 0); // RCV.NXT − 1
    expect(r.row!.analysis).toEqual(['rst-exact']);
    expect(r.row!.stateB).toBe('CLOSED');
  });

  it('judges the window with the scale negotiated in the SYNs', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0, { options: [{ kind: 'wscale', shift: 7 }] });
    s.ba('SYN,ACK', ISB, ISA + 1, { win: 1000, options: [{ kind: 'wscale', shift: 4 }] });
    s.ab('ACK', ISA + 1, ISB + 1);
    s.ba('ACK', ISB + 1, ISA + 1, { win: 1000 }); // 1000 << 4 = 16000 bytes
    expect(s.ab('RST', ISA + 1 + 15_999, 0).row!.analysis).toEqual(['rst-in-window']);
    expect(s.ab('RST', ISA + 1 + 16_000, 0).row!.analysis).toEqual(['rst-out-of-window']);
  });

  it('answers a SYN in a synchronized state with a challenge ACK (RFC 5961 §4)', () => {
    const s = established();
    const syn = s.ab('SYN', ISA, 0); // same ISN: same stream, a retransmitted SYN
    expect(s.tracker.sessionCount).toBe(1);
    expect(syn.row!.stateB).toBe('ESTABLISHED');
    const ack = s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 });
    expect(ack.row!.analysis).toContain('challenge-ack');
  });

  it('follows killcx: a SYN with a new ISN, the challenge ACK, then an exact RST', () => {
    const s = established();
    // A new SYN on the 4-tuple starts stream 1 (Wireshark), but B's old connection answers it.
    const syn = s.ab('SYN', 777_777, 0);
    expect(syn.sessionId).toBe(1);
    const challenge = s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 });
    expect(challenge.sessionId).toBe(1);
    expect(challenge.row!.analysis).toContain('challenge-ack');
    const rst = s.ab('RST', ISA + 101, 0); // SEQ = the challenge ACK's ACK = RCV.NXT
    expect(rst.sessionId).toBe(1);
    expect(rst.row!.analysis).toEqual(['rst-exact']);
    expect(rst.row!.stateB).toBe('CLOSED');
    expect(s.tracker.summary(0)!.states.b).toBe('CLOSED');
  });

  it('judges a RST with an unacceptable sequence number across the old connection', () => {
    const s = established();
    s.ab('SYN', 777_777, 0);
    s.ba('ACK', ISB + 1, ISA + 101, { win: 1000 });
    const rst = s.ab('RST', ISA + 101 + 1_000_000, 0);
    expect(rst.row!.analysis).toEqual(['rst-out-of-window']);
    expect(s.tracker.summary(0)!.states.b).toBe('ESTABLISHED');
  });
});
