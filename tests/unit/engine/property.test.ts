/**
 * Property tests with a seeded generator: two hosts exchange data in both
 * directions and close, over links that lose, duplicate, reorder and jitter
 * segments at random. Whatever happens, both sides agree at the end: every
 * byte arrived exactly once and in order, and each side is CLOSED or in
 * TIME-WAIT. The same seed always gives the same trace.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../src-main/engine/prng';
import { Simulation } from '../../../src-main/engine/simulation';
import type { Socket } from '../../../src-main/engine/host';

function checkPattern(data: Uint8Array, n: number, label: string): void {
  expect(data.length, `${label}: byte count`).toBe(n);
  for (let i = 0; i < n; i++)
    if (data[i] !== i % 251) throw new Error(`${label}: byte ${i} is ${data[i]}, not ${i % 251}`);
}

describe('random loss, duplication and reordering', () => {
  const seeds = Array.from({ length: 60 }, (_, i) => 1000 + i * 7919);
  for (const seed of seeds) {
    it(`seed ${seed}: no byte lost or duplicated, both sides end CLOSED or TIME-WAIT`, () => {
      const g = new Prng(seed);
      const params = {
        latency: g.int(1, 50),
        jitter: g.int(0, 20),
        loss: g.next() * 0.15,
        duplicate: g.next() * 0.1,
        reorder: g.next() * 0.2,
        bandwidth: g.next() < 0.5 ? 0 : g.int(1, 100) * 1e6,
      };
      const sim = new Simulation({
        seed,
        record: false,
        tcp: { msl: 500, synRetries: 20, synAckRetries: 20, retries2: 40 },
      });
      sim.addHost('A', {
        tcp: { mss: g.int(200, 1460), timestamps: g.next() < 0.7, sackPermitted: g.next() < 0.7 },
      });
      sim.addHost('B', {
        tcp: {
          mss: g.int(200, 1460),
          windowScale: g.next() < 0.5 ? null : g.int(0, 8),
          delayedAck: g.int(0, 1) * 40,
        },
      });
      sim.addLink('A', 'B', params);
      const aBytes = g.int(0, 60_000);
      const bBytes = g.int(0, 30_000);
      const sendAt = g.int(0, 200);
      const closeAt = sendAt + g.int(0, 3000);
      let b: Socket | null = null;
      sim.host('B').listen(80).onAccept = (s) => {
        b = s;
        s.send(bBytes);
      };
      const a = sim.host('A').connect({ to: 'B', port: 80 });
      sim.at(sendAt, () => {
        if (a.state === 'ESTABLISHED' || a.state === 'SYN-SENT') a.send(aBytes);
      });
      // A half-closes (it still reads B's data), and each side closes once it has read the other's FIN.
      sim.at(closeAt, () => a.shutdown());
      sim.on((ev) => {
        if (ev.type !== 'socket' || ev.what !== 'eof') return;
        if (ev.host === 'B' && b) b.close();
        if (ev.host === 'A') a.close();
      });
      sim.run({ until: 3_600_000 });
      const bs = b as Socket | null;
      expect(bs, `B accepted (${JSON.stringify(params)})`).not.toBeNull();
      if (!bs) return;
      checkPattern(bs.data(), aBytes, `A→B ${JSON.stringify(params)}`);
      checkPattern(a.data(), bBytes, `B→A ${JSON.stringify(params)}`);
      expect(['CLOSED', 'TIME-WAIT']).toContain(a.state);
      expect(['CLOSED', 'TIME-WAIT']).toContain(bs.state);
      expect(a.error).toBeNull();
      expect(bs.error).toBeNull();
    });
  }

  it('same seed, same trace (with loss, duplication and reordering)', () => {
    const run = (): string => {
      const sim = new Simulation({ seed: 99 });
      sim.addHost('A');
      sim.addHost('B');
      sim.addLink('A', 'B', { latency: 10, jitter: 5, loss: 0.1, duplicate: 0.05, reorder: 0.1 });
      sim.host('B').listen(80);
      const s = sim.host('A').connect({ to: 'B', port: 80 });
      sim.at(10, () => s.send(20000));
      sim.at(10, () => s.close());
      sim.run();
      return JSON.stringify(sim.events);
    };
    expect(run()).toBe(run());
  });
});
