/**
 * Every scenario's trace, segment by segment: flags, relative SEQ/ACK,
 * length, losses and each host's state changes, as a ladder diagram would
 * show them. Also: the JSON shape of `tcplab simulate --json`, determinism
 * (same seed, same trace), and the errors each application sees.
 */
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, runScenario } from '../../../src-main/engine/scenarios';
import { buildSimulation } from '../../../src-main/engine/scenario';
import type { SegmentEvent, SocketEvent } from '../../../src-main/engine/types';
import { compact } from './trace';

const EXPECTED: Record<string, string[]> = {
  abort: [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A>B ACK 1 1 len=100',
    'B>A ACK 1 101',
    'A>B RST,ACK 101 1',
    'A ESTABLISHED>CLOSED',
    'B ESTABLISHED>CLOSED',
  ],
  'blind-rst': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A>B RST 32121 0 injected',
    'B>A ACK 1 1',
    'A>B RST 1073806065 0 injected',
    'A>B RST 1 0 injected',
    'B ESTABLISHED>CLOSED',
    'A>B ACK 1 1 len=100',
    'B>A RST 1 0',
    'A ESTABLISHED>CLOSED',
  ],
  filtered: [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0 lost',
    'A>B SYN 0 0 lost',
    'A>B SYN 0 0 lost',
    'A>B SYN 0 0 lost',
    'A SYN-SENT>CLOSED',
  ],
  'final-ack-lost': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1 lost',
    'B>A SYN,ACK 0 1',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
  ],
  'half-close': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A>B ACK 1 1 len=18',
    'A ESTABLISHED>FIN-WAIT-1',
    'A>B FIN,ACK 19 1',
    'B ESTABLISHED>CLOSE-WAIT',
    'B>A ACK 1 20 len=1448',
    'B>A ACK 1449 20 len=1448',
    'B>A ACK 2897 20 len=1448',
    'A FIN-WAIT-1>FIN-WAIT-2',
    'A>B ACK 20 2897',
    'A>B ACK 20 4345',
    'B>A ACK 4345 20 len=656',
    'A>B ACK 20 5001',
    'B CLOSE-WAIT>LAST-ACK',
    'B>A FIN,ACK 5001 20',
    'A FIN-WAIT-2>TIME-WAIT',
    'A>B ACK 20 5002',
    'B LAST-ACK>CLOSED',
    'A TIME-WAIT>CLOSED',
  ],
  handshake: [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
  ],
  'mss-mismatch': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A>B ACK 1 1 len=524',
    'A>B ACK 525 1 len=524',
    'A>B ACK 1049 1 len=524',
    'B>A ACK 1 1 len=524',
    'B>A ACK 525 1 len=524',
    'B>A ACK 1049 1049',
    'B>A ACK 1049 1573',
    'A>B ACK 1573 1049',
    'A>B ACK 1573 1049 len=428',
    'B>A ACK 1049 1573 len=152',
    'B>A ACK 1201 2001',
    'A>B ACK 2001 1201',
    'A ESTABLISHED>FIN-WAIT-1',
    'A>B FIN,ACK 2001 1201',
    'B ESTABLISHED>CLOSE-WAIT',
    'B CLOSE-WAIT>LAST-ACK',
    'B>A FIN,ACK 1201 2002',
    'A FIN-WAIT-1>FIN-WAIT-2',
    'A FIN-WAIT-2>TIME-WAIT',
    'A>B ACK 2002 1202',
    'B LAST-ACK>CLOSED',
    'A TIME-WAIT>CLOSED',
  ],
  refused: ['A CLOSED>SYN-SENT', 'A>B SYN 0 0', 'B>A RST,ACK 0 1', 'A SYN-SENT>CLOSED'],
  'simultaneous-close': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A ESTABLISHED>FIN-WAIT-1',
    'A>B FIN,ACK 1 1',
    'B ESTABLISHED>FIN-WAIT-1',
    'B>A FIN,ACK 1 1',
    'B FIN-WAIT-1>CLOSING',
    'B>A ACK 2 2',
    'A FIN-WAIT-1>CLOSING',
    'A>B ACK 2 2',
    'A CLOSING>TIME-WAIT',
    'B CLOSING>TIME-WAIT',
    'A TIME-WAIT>CLOSED',
    'B TIME-WAIT>CLOSED',
  ],
  'simultaneous-open': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B CLOSED>SYN-SENT',
    'B>A SYN 0 0',
    'B SYN-SENT>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>SYN-RECEIVED',
    'A>B SYN,ACK 0 1',
    'A SYN-RECEIVED>ESTABLISHED',
    'B SYN-RECEIVED>ESTABLISHED',
  ],
  'syn-established': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A ESTABLISHED>CLOSED',
    'A CLOSED>SYN-SENT',
    'A>B SYN 50000 0',
    'B>A ACK 1 1',
    'A>B RST 1 0',
    'B ESTABLISHED>CLOSED',
    'A>B SYN 50000 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 300000 50001',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 50001 300001',
    'B SYN-RECEIVED>ESTABLISHED',
  ],
  'syn-lost': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0 lost',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
  ],
  'syn-scan': [
    'A>B SYN 0 0 lost injected',
    'A>B SYN 0 0 injected',
    'A>B SYN 0 0 injected',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'B>A RST,ACK 0 1',
    'A>B RST 1 0',
    'B SYN-RECEIVED>LISTEN',
  ],
  'synack-lost': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1 lost',
    'A>B SYN 0 0',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
  ],
  'teardown-piggybacked': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A ESTABLISHED>FIN-WAIT-1',
    'A>B FIN,ACK 1 1',
    'B ESTABLISHED>CLOSE-WAIT',
    'B CLOSE-WAIT>LAST-ACK',
    'B>A FIN,ACK 1 2',
    'A FIN-WAIT-1>FIN-WAIT-2',
    'A FIN-WAIT-2>TIME-WAIT',
    'A>B ACK 2 2',
    'B LAST-ACK>CLOSED',
    'A TIME-WAIT>CLOSED',
  ],
  teardown: [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'A ESTABLISHED>FIN-WAIT-1',
    'A>B FIN,ACK 1 1',
    'B ESTABLISHED>CLOSE-WAIT',
    'B>A ACK 1 2',
    'A FIN-WAIT-1>FIN-WAIT-2',
    'B CLOSE-WAIT>LAST-ACK',
    'B>A FIN,ACK 1 2',
    'A FIN-WAIT-2>TIME-WAIT',
    'A>B ACK 2 2',
    'B LAST-ACK>CLOSED',
    'A TIME-WAIT>CLOSED',
  ],
  'time-wait-reuse': [
    'A CLOSED>SYN-SENT',
    'A>B SYN 0 0',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 0 1',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 1 1',
    'B SYN-RECEIVED>ESTABLISHED',
    'B ESTABLISHED>FIN-WAIT-1',
    'B>A FIN,ACK 1 1',
    'A ESTABLISHED>CLOSE-WAIT',
    'A CLOSE-WAIT>LAST-ACK',
    'A>B FIN,ACK 1 2',
    'B FIN-WAIT-1>FIN-WAIT-2',
    'B FIN-WAIT-2>TIME-WAIT',
    'B>A ACK 2 2',
    'A LAST-ACK>CLOSED',
    'A CLOSED>SYN-SENT',
    'A>B SYN 250000 0',
    'B TIME-WAIT>CLOSED',
    'B LISTEN>SYN-RECEIVED',
    'B>A SYN,ACK 65539 250001',
    'A SYN-SENT>ESTABLISHED',
    'A>B ACK 250001 65540',
    'B SYN-RECEIVED>ESTABLISHED',
    'A ESTABLISHED>FIN-WAIT-1',
    'A>B FIN,ACK 250001 65540',
    'B ESTABLISHED>FIN-WAIT-1',
    'B>A FIN,ACK 65540 250001',
    'B FIN-WAIT-1>CLOSING',
    'B>A ACK 65541 250002',
    'A FIN-WAIT-1>CLOSING',
    'A>B ACK 250002 65541',
    'A CLOSING>TIME-WAIT',
    'B CLOSING>TIME-WAIT',
    'A TIME-WAIT>CLOSED',
    'B TIME-WAIT>CLOSED',
  ],
};

const NAMES = [
  'handshake',
  'teardown',
  'teardown-piggybacked',
  'simultaneous-open',
  'simultaneous-close',
  'half-close',
  'refused',
  'filtered',
  'abort',
  'syn-lost',
  'synack-lost',
  'final-ack-lost',
  'syn-scan',
  'blind-rst',
  'syn-established',
  'time-wait-reuse',
  'data-loss',
  'mss-mismatch',
];

function errors(events: ReturnType<typeof runScenario>['events']): string[] {
  return events
    .filter((e): e is SocketEvent => e.type === 'socket' && e.what === 'error')
    .map((e) => `${e.t} ${e.host} ${e.code}`);
}

describe('scenario library', () => {
  it('has every scenario of issue 5, each with a title and description', () => {
    const list = listScenarios();
    expect(list.map((s) => s.name).sort()).toEqual([...NAMES].sort());
    for (const s of list) {
      expect(s.title.length).toBeGreaterThan(3);
      expect(s.description.length).toBeGreaterThan(40);
    }
  });

  for (const name of Object.keys(EXPECTED)) {
    it(`${name}: trace segment by segment`, () => {
      expect(compact(runScenario(name).events)).toEqual(EXPECTED[name]);
    });
  }

  it('every segment carries an explanation naming a rule and an RFC', () => {
    for (const name of NAMES) {
      for (const e of runScenario(name).events) {
        if (e.type !== 'segment') continue;
        expect(e.explain.rule, name).toMatch(/^[a-z-]+$/);
        expect(e.explain.rfc, name).toMatch(/RFC|Linux/);
        expect(e.explain.text.length, name).toBeGreaterThan(20);
      }
    }
  });

  it('produces the tcplab simulate --json shape', () => {
    const r = runScenario('handshake', { seed: 5 });
    expect(r.scenario).toBe('handshake');
    expect(r.seed).toBe(5);
    const seg = r.events.find((e): e is SegmentEvent => e.type === 'segment') as SegmentEvent;
    expect(Object.keys(seg)).toEqual(
      expect.arrayContaining([
        't',
        'type',
        'from',
        'to',
        'flags',
        'seq',
        'ack',
        'len',
        'win',
        'options',
        'dropped',
        'explain',
      ]),
    );
    expect(seg).toMatchObject({
      t: 0,
      from: 'A',
      to: 'B',
      flags: ['SYN'],
      ack: 0,
      len: 0,
      win: 64240,
      dropped: false,
    });
    expect(seg.options).toMatchObject({ mss: 1460, wscale: 7, sackPermitted: true, tsecr: 0 });
    const st = r.events.find((e) => e.type === 'state' && e.host === 'B' && e.from === 'LISTEN');
    expect(st).toMatchObject({ type: 'state', host: 'B', from: 'LISTEN', to: 'SYN-RECEIVED' });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('is deterministic: same seed, identical trace; another seed, other ISNs', () => {
    for (const name of NAMES) {
      expect(JSON.stringify(runScenario(name, { seed: 42 }))).toBe(
        JSON.stringify(runScenario(name, { seed: 42 })),
      );
    }
    const isn = (seed: number): number =>
      (runScenario('handshake', { seed }).events.find((e) => e.type === 'segment') as SegmentEvent).seq;
    expect(isn(1)).not.toBe(isn(2));
  });

  it('applications see ECONNREFUSED, ETIMEDOUT after the SYN retries, ECONNRESET', () => {
    expect(errors(runScenario('refused').events)).toEqual(['20 A ECONNREFUSED']);
    expect(errors(runScenario('filtered').events)).toEqual(['15000 A ETIMEDOUT']);
    expect(errors(runScenario('abort').events)).toEqual(['210 B ECONNRESET']);
    expect(errors(runScenario('blind-rst').events)).toEqual(['310 B ECONNRESET', '420 A ECONNRESET']);
  });

  it('filtered: SYN retransmissions back off exponentially (RFC 6298 §5.5)', () => {
    const t = runScenario('filtered')
      .events.filter((e) => e.type === 'segment')
      .map((e) => e.t);
    expect(t).toEqual([0, 1000, 3000, 7000]);
  });

  it('mss-mismatch: no segment is larger than the smaller MSS less the timestamp option', () => {
    const segs = runScenario('mss-mismatch').events.filter((e): e is SegmentEvent => e.type === 'segment');
    expect(Math.max(...segs.map((s) => s.len))).toBe(524);
    expect(segs.filter((s) => s.len === 524).length).toBe(5);
  });

  it('data-loss: every byte arrives exactly once despite losses, with fast retransmit', () => {
    const sim = buildSimulation(loadScenario('data-loss'));
    sim.run();
    const b = sim.host('B').allSockets()[0];
    const got = b.data();
    expect(got.length).toBe(30000);
    for (let i = 0; i < got.length; i++) if (got[i] !== i % 251) throw new Error(`byte ${i} is wrong`);
    const rules = sim.events
      .filter((e): e is SegmentEvent => e.type === 'segment')
      .map((e) => e.explain.rule);
    expect(rules).toContain('fast-retransmit');
    expect(rules).toContain('out-of-order');
    expect(sim.host('A').allSockets()[0].state).toBe('CLOSED');
    expect(b.state).toBe('CLOSED');
  });

  it('every scenario ends with each connection CLOSED, TIME-WAIT or deliberately open', () => {
    for (const name of NAMES) {
      const sim = buildSimulation(loadScenario(name));
      sim.run();
      for (const h of sim.hosts.values()) {
        for (const s of h.allSockets())
          expect(['CLOSED', 'ESTABLISHED'], `${name} ${s.conn}`).toContain(s.state);
      }
    }
  });
});
