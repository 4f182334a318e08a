import { describe, expect, it } from 'vitest';
import { Tracker } from '../../../src-main/tracker';
import { Script } from './helpers';

const ISA = 1000;
const ISB = 5000;

function fullConnection(s: Script, isa: number, isb: number): void {
  s.ab('SYN', isa, 0);
  s.ba('SYN,ACK', isb, isa + 1);
  s.ab('ACK', isa + 1, isb + 1);
  s.ab('FIN,ACK', isa + 1, isb + 1);
  s.ba('FIN,ACK', isb + 1, isa + 2);
  s.ab('ACK', isa + 2, isb + 2);
}

describe('tracker: stream split (Wireshark tcp.stream)', () => {
  it('starts a new session when a SYN with a new ISN reuses the 4-tuple', () => {
    const s = new Script();
    fullConnection(s, ISA, ISB);
    const syn = s.ab('SYN', 90_000, 0);
    s.ba('SYN,ACK', 70_000, 90_001);
    expect(syn.sessionId).toBe(1);
    expect(s.results.map((r) => r.sessionId)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(s.tracker.sessionCount).toBe(2);
    expect(s.tracker.summaries().map((x) => [x.id, x.outcome])).toEqual([
      [0, 'complete'],
      [1, 'handshake-incomplete'],
    ]);
    expect(s.tracker.segments(1)[0].relSeq).toBe(0);
    expect(s.tracker.segments(1)[0].index).toBe(0);
    expect(s.tracker.summary(1)!.isn).toEqual({ a: 90_000, b: 70_000 });
  });

  it('keeps a SYN with the same ISN in the same session (retransmission)', () => {
    const s = new Script();
    fullConnection(s, ISA, ISB);
    const syn = s.ab('SYN', ISA, 0);
    expect(syn.sessionId).toBe(0);
    expect(syn.row!.analysis).toEqual(['retransmission']);
  });

  it('splits when the old listener becomes the client, and never on a SYN-ACK', () => {
    const s = new Script();
    s.ab('SYN', ISA, 0);
    s.ba('SYN,ACK', ISB, ISA + 1);
    expect(s.ba('SYN,ACK', ISB + 99, ISA + 1).sessionId).toBe(0);
    s.ab('RST', ISA + 1, 0);
    const reverse = s.ba('SYN', 42, 0);
    expect(reverse.sessionId).toBe(1);
    expect(s.tracker.summary(1)!.a).toEqual(s.B);
  });

  it('numbers sessions in order of first packet and keeps 4-tuples and IP versions apart', () => {
    const t = new Tracker();
    const a = new Script({ ip: '10.0.0.1', port: 1 }, { ip: '10.0.0.2', port: 80 }, true, t);
    const b = new Script({ ip: '10.0.0.3', port: 1 }, { ip: '10.0.0.2', port: 80 }, true, t);
    const c = new Script({ ip: 'fe80::1', port: 1 }, { ip: 'fe80::2', port: 80 }, true, t);
    expect(a.ab('SYN', 1, 0).sessionId).toBe(0);
    expect(b.ab('SYN', 1, 0).sessionId).toBe(1);
    expect(c.ab('SYN', 1, 0).sessionId).toBe(2);
    expect(a.ba('SYN,ACK', 9, 2).sessionId).toBe(0);
    expect(c.ba('SYN,ACK', 9, 2).sessionId).toBe(2);
    expect(b.ba('RST,ACK', 0, 2).sessionId).toBe(1);
    expect(t.summaries().map((x) => x.outcome)).toEqual([
      'handshake-incomplete',
      'refused',
      'handshake-incomplete',
    ]);
    expect(t.summary(2)!.a.ip).toBe('fe80::1');
    expect(t.summary(3)).toBeUndefined();
    expect(t.segments(3)).toEqual([]);
  });

  it('keeps sessions apart when one source port talks to many hosts (large lookup buckets)', () => {
    const t = new Tracker();
    const scanner = { ip: '192.0.2.1', port: 61000 };
    const hosts = Array.from(
      { length: 40 },
      (_, i) => new Script(scanner, { ip: `198.51.100.${i}`, port: 80 }, true, t),
    );
    hosts.forEach((h, i) => expect(h.ab('SYN', 100 + i, 0).sessionId).toBe(i));
    hosts.forEach((h, i) =>
      expect((i % 2 ? h.ba('RST,ACK', 0, 101 + i) : h.ba('SYN,ACK', 9, 101 + i)).sessionId).toBe(i),
    );
    hosts.forEach((h, i) => expect(h.ab('RST', 101 + i, 0).sessionId).toBe(i));
    // Port reuse on a host inside a large bucket replaces that session only.
    expect(hosts[7].ab('SYN', 5555, 0).sessionId).toBe(40);
    expect(hosts[7].ba('RST,ACK', 0, 5556).sessionId).toBe(40);
    expect(hosts[8].ab('ACK', 109, 10).sessionId).toBe(8);
    const outcomes = t.summaries().map((x) => x.outcome);
    expect(outcomes.slice(0, 4)).toEqual(['syn-scan', 'refused', 'syn-scan', 'refused']);
    expect(outcomes[40]).toBe('refused');
  });

  it('works across the 2^32 wrap: relative numbers, states, retransmissions and RSTs', () => {
    const isa = 0xffff_fff0;
    const isb = 0xffff_ff00;
    const s = new Script();
    s.ab('SYN', isa, 0);
    s.ba('SYN,ACK', isb, isa + 1);
    s.ab('ACK', isa + 1, isb + 1);
    s.ab('PSH,ACK', isa + 1, isb + 1, { len: 100 }); // crosses 2^32
    s.ba('ACK', isb + 1, isa + 101);
    s.ab('PSH,ACK', isa + 101, isb + 1, { len: 100 });
    const rtx = s.ab('PSH,ACK', isa + 101, isb + 1, { len: 100, dt: 1 });
    s.ba('ACK', isb + 1, isa + 201);
    const rst = s.ab('RST', isa + 201, 0);
    const rows = s.tracker.segments(0);
    expect(rows[5].seq).toBe((isa + 101) % 2 ** 32);
    expect(rows[5].relSeq).toBe(101);
    expect(rows[4].relAck).toBe(101);
    expect(rtx.row!.analysis).toEqual(['retransmission']);
    expect(rst.row!.analysis).toEqual(['rst-exact']);
    expect(s.tracker.summary(0)!.analysis).toEqual({ retransmission: 1, 'rst-exact': 1 });
  });

  it('keeps only summaries when keepSegments is false, with the same results', () => {
    const script = (s: Script) => {
      fullConnection(s, ISA, ISB);
      s.ab('SYN', 90_000, 0);
      s.ba('RST,ACK', 0, 90_001);
    };
    const kept = new Script();
    const lean = new Script(undefined, undefined, false);
    script(kept);
    script(lean);
    expect(lean.results.every((r) => r.row === null)).toBe(true);
    expect(lean.tracker.segments(0)).toEqual([]);
    expect(lean.tracker.summaries()).toEqual(kept.tracker.summaries());
    expect(lean.tracker.summary(1)!.outcome).toBe('refused');
  });
});
