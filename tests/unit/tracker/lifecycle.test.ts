import { describe, expect, it } from 'vitest';
import { Script } from './helpers';

// Sequence constants: A's ISN 1000, B's ISN 5000.
const ISA = 1000;
const ISB = 5000;

function handshake(s: Script): void {
  s.ab('SYN', ISA, 0, { options: [{ kind: 'mss', value: 1460 }] });
  s.ba('SYN,ACK', ISB, ISA + 1, { options: [{ kind: 'mss', value: 1400 }] });
  s.ab('ACK', ISA + 1, ISB + 1);
}

describe('tracker: connection lifecycle', () => {
  it('tracks handshake, data and a four-segment teardown, state by state', () => {
    const s = new Script();
    handshake(s);
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 100 });
    s.ba('ACK', ISB + 1, ISA + 101);
    s.ab('FIN,ACK', ISA + 101, ISB + 1);
    s.ba('ACK', ISB + 1, ISA + 102);
    s.ba('FIN,ACK', ISB + 1, ISA + 102);
    s.ab('ACK', ISA + 102, ISB + 2);
    expect(s.states()).toEqual([
      ['SYN-SENT', 'LISTEN'],
      ['ESTABLISHED', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
    const rows = s.tracker.segments(0);
    expect(rows.map((r) => [r.dir, r.relSeq, r.relAck])).toEqual([
      ['ab', 0, 0],
      ['ba', 0, 1],
      ['ab', 1, 1],
      ['ab', 1, 1],
      ['ba', 1, 101],
      ['ab', 101, 1],
      ['ba', 1, 102],
      ['ba', 1, 102],
      ['ab', 102, 2],
    ]);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.every((r) => r.analysis.length === 0)).toBe(true);

    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('complete');
    expect(sum.connState).toBe('SF');
    expect(sum.states).toEqual({ a: 'TIME-WAIT', b: 'CLOSED' });
    expect(sum.a).toEqual({ ip: '10.0.0.1', port: 40000 });
    expect(sum.b).toEqual({ ip: '10.0.0.2', port: 80 });
    expect(sum.packets).toBe(9);
    expect(sum.bytes).toBe(9 * 54 + 100);
    expect(sum.payloadBytes).toEqual({ a: 100, b: 0 });
    expect(sum.isn).toEqual({ a: ISA, b: ISB });
    expect(sum.mss).toEqual({ a: 1460, b: 1400 });
    expect(sum.firstTime).toBeCloseTo(1000.1, 6);
    expect(sum.lastTime).toBeCloseTo(1000.9, 6);
    expect(sum.analysis).toEqual({});
    expect(sum.outcomeText).toMatch(/FIN/);
  });

  it('handles a three-segment teardown with the FIN piggybacked on the ACK', () => {
    const s = new Script();
    handshake(s);
    s.ab('FIN,ACK', ISA + 1, ISB + 1);
    s.ba('FIN,ACK', ISB + 1, ISA + 2);
    s.ab('ACK', ISA + 2, ISB + 2);
    expect(s.states().slice(3)).toEqual([
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
    expect(s.tracker.summary(0)!.outcome).toBe('complete');
  });

  it('classifies a refused connection and shows B as CLOSED throughout', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    const r = s.ba('RST,ACK', 0, ISA + 1);
    expect(r.row!.analysis).toEqual(['rst-exact']);
    expect(s.states()).toEqual([
      ['SYN-SENT', 'CLOSED'],
      ['CLOSED', 'CLOSED'],
    ]);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('refused');
    expect(sum.connState).toBe('REJ');
    expect(sum.outcomeText).toContain('port 80');
  });

  it('ignores a RST in SYN-SENT whose ACK is not SND.NXT (RFC 9293 §3.10.7.3)', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    const r = s.ba('RST,ACK', 0, ISA + 7);
    expect(r.row!.analysis).toContain('rst-out-of-window');
    expect(r.row!.analysis).not.toContain('rst-exact');
    expect(r.row!.stateA).toBe('SYN-SENT');
  });

  it('classifies a reset by A after establishment', () => {
    const s = new Script();
    handshake(s);
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    const r = s.ab('RST,ACK', ISA + 11, ISB + 1);
    expect(r.row!.analysis).toEqual(['rst-exact']);
    expect([r.row!.stateA, r.row!.stateB]).toEqual(['CLOSED', 'CLOSED']);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('reset-by-a');
    expect(sum.connState).toBe('RSTO');
  });

  it('classifies a reset by B after establishment', () => {
    const s = new Script();
    handshake(s);
    s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 10 });
    s.ba('RST', ISB + 1, 0);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('reset-by-b');
    expect(sum.connState).toBe('RSTR');
    expect(sum.states).toEqual({ a: 'CLOSED', b: 'CLOSED' });
  });

  it('reports a SYN that A resets without an answer as RSTOS0', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    s.ab('SYN', ISA, 0, { dt: 1 });
    s.ab('RST', ISA + 1, 0);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('reset-by-a');
    expect(sum.connState).toBe('RSTOS0');
    expect(sum.states).toEqual({ a: 'CLOSED', b: 'LISTEN' });
  });

  it('recognises a SYN scan (SYN, SYN-ACK, RST from A)', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    s.ba('SYN,ACK', ISB, ISA + 1);
    s.ab('RST', ISA + 1, 0);
    // B was a passive opener: a RST in SYN-RECEIVED returns it to LISTEN (RFC 9293 §3.10.7.4).
    expect(s.states()[2]).toEqual(['CLOSED', 'LISTEN']);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('syn-scan');
    expect(sum.connState).toBe('RSTO');
  });

  it('follows a simultaneous open through SYN-SENT and SYN-RECEIVED on both sides', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    s.ba('SYN', ISB, 0);
    s.ba('SYN,ACK', ISB, ISA + 1);
    s.ab('SYN,ACK', ISA, ISB + 1);
    expect(s.states()).toEqual([
      ['SYN-SENT', 'LISTEN'],
      ['SYN-RECEIVED', 'SYN-SENT'],
      ['ESTABLISHED', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'ESTABLISHED'],
    ]);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('simultaneous-open');
    expect(sum.connState).toBe('S1');
  });

  it('follows a simultaneous close through CLOSING to TIME-WAIT on both sides', () => {
    const s = new Script();
    handshake(s);
    s.ab('FIN,ACK', ISA + 1, ISB + 1);
    s.ba('FIN,ACK', ISB + 1, ISA + 1); // does not acknowledge A's FIN: it crossed
    s.ab('ACK', ISA + 2, ISB + 2);
    s.ba('ACK', ISB + 2, ISA + 2);
    expect(s.states().slice(3)).toEqual([
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['CLOSING', 'CLOSING'],
      ['CLOSING', 'TIME-WAIT'],
      ['TIME-WAIT', 'TIME-WAIT'],
    ]);
    expect(s.tracker.summary(0)!.outcome).toBe('complete');
  });

  it('keeps a half-closed connection in FIN-WAIT-2 / CLOSE-WAIT while B still sends', () => {
    const s = new Script();
    handshake(s);
    s.ab('FIN,ACK', ISA + 1, ISB + 1);
    s.ba('ACK', ISB + 1, ISA + 2);
    s.ba('PSH,ACK', ISB + 1, ISA + 2, { len: 50 });
    s.ab('ACK', ISA + 2, ISB + 51);
    expect(s.states().slice(3)).toEqual([
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
    ]);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('half-open');
    expect(sum.connState).toBe('S2');
    expect(sum.payloadBytes).toEqual({ a: 0, b: 50 });
  });

  it('flags a retransmitted SYN and reports no answer (S0)', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    s.ab('SYN', ISA, 0, { dt: 1 });
    s.ab('SYN', ISA, 0, { dt: 2 });
    expect(s.flags()).toEqual([[], ['retransmission'], ['retransmission']]);
    expect(s.tracker.sessionCount).toBe(1);
    const sum = s.tracker.summary(0)!;
    expect(sum.outcome).toBe('no-answer');
    expect(sum.connState).toBe('S0');
    expect(sum.analysis).toEqual({ retransmission: 2 });
    expect(sum.states).toEqual({ a: 'SYN-SENT', b: 'LISTEN' });
  });

  it('reports a handshake without the final ACK, and an open connection', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    s.ba('SYN,ACK', ISB, ISA + 1);
    expect(s.tracker.summary(0)!.outcome).toBe('handshake-incomplete');
    expect(s.tracker.summary(0)!.connState).toBe('S1');
    s.ab('ACK', ISA + 1, ISB + 1);
    expect(s.tracker.summary(0)!.outcome).toBe('open');
    expect(s.tracker.summary(0)!.connState).toBe('S1');
  });

  it('makes the receiver of a first-seen SYN-ACK side a', () => {
    const s = new Script();
    s.ba('SYN,ACK', ISB, ISA + 1);
    s.ab('ACK', ISA + 1, ISB + 1);
    const sum = s.tracker.summary(0)!;
    expect(sum.a).toEqual(s.A);
    expect(s.states()).toEqual([
      ['ESTABLISHED', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'ESTABLISHED'],
    ]);
    expect(s.tracker.segments(0)[1].relSeq).toBe(1);
  });

  it('starts a mid-stream capture with both sides ESTABLISHED and relative numbers at 1', () => {
    const s = new Script();
    s.ba('PSH,ACK', 777_000, 333_000, { len: 20 });
    s.ab('ACK', 333_000, 777_020);
    const sum = s.tracker.summary(0)!;
    expect(sum.a).toEqual(s.B);
    expect(sum.outcome).toBe('midstream');
    expect(sum.connState).toBe('OTH');
    expect(sum.isn).toEqual({ a: null, b: null });
    const rows = s.tracker.segments(0);
    expect(rows.map((r) => [r.dir, r.relSeq, r.relAck, r.stateA, r.stateB])).toEqual([
      ['ab', 1, 1, 'ESTABLISHED', 'ESTABLISHED'],
      ['ba', 1, 21, 'ESTABLISHED', 'ESTABLISHED'],
    ]);
  });

  it('restores a side that keeps talking after a RST that did not come from it', () => {
    const s = new Script();
    handshake(s);
    s.ab('RST', ISA + 1, 0); // forged, exact: B resets
    const r = s.ab('PSH,ACK', ISA + 1, ISB + 1, { len: 5 }); // the real A did not know
    expect([r.row!.stateA, r.row!.stateB]).toEqual(['ESTABLISHED', 'CLOSED']);
  });
});
