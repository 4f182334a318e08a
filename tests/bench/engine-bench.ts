/**
 * Engine benchmark (issue 5, part 7): simulated segments per second on a bulk
 * transfer (target ≥ 500,000/s), and 10,000 concurrent connections taken
 * through their whole life — handshake, a request and an answer, teardown,
 * TIME-WAIT — in one simulation. `run()` prints the figures and returns them;
 * `npm run bench` calls it. Wall-clock time is measured here, never in the engine.
 */
import { performance } from 'node:perf_hooks';
import { Simulation } from '../../src-main/engine/simulation';

function bulk(bytes: number): { segments: number; ms: number } {
  const sim = new Simulation({ seed: 1, record: false, tcp: { msl: 1000, rcvBuf: 4 << 20, windowScale: 7 } });
  sim.addHost('A', { keepData: false });
  sim.addHost('B', { keepData: false });
  sim.addLink('A', 'B', { latency: 5, bandwidth: 10e9 });
  sim.host('B').listen(80).onAccept = (b) => {
    b.onEvent = (what) => {
      if (what === 'eof') b.close();
    };
  };
  const s = sim.host('A').connect({ to: 'B', port: 80 });
  const data = new Uint8Array(bytes);
  sim.at(20, () => {
    s.send(data);
    s.close();
  });
  const t0 = performance.now();
  sim.run();
  const ms = performance.now() - t0;
  const got = sim.host('B').allSockets()[0].bytesRead;
  if (got !== bytes) throw new Error(`bulk transfer delivered ${got} of ${bytes} bytes`);
  return { segments: sim.stats.segments, ms };
}

function concurrent(n: number): { segments: number; ms: number; closed: number; virtualMs: number } {
  const sim = new Simulation({ seed: 2, record: false, tcp: { msl: 1000, backlog: n + 1 } });
  sim.addHost('A', { keepData: false });
  sim.addHost('B', { keepData: false });
  sim.addLink('A', 'B', { latency: 10, jitter: 5 });
  sim.host('B').listen(80).onAccept = (s) => {
    s.send(2000);
    s.onEvent = (what) => {
      if (what === 'eof') s.close();
    };
  };
  for (let i = 0; i < n; i++) {
    const at = (i * 1000) / n;
    sim.at(at, () => {
      const c = sim.host('A').connect({ to: 'B', port: 80 });
      c.send(500);
      sim.at(at + 500, () => c.close());
    });
  }
  const t0 = performance.now();
  sim.run();
  const ms = performance.now() - t0;
  let closed = 0;
  for (const h of sim.hosts.values())
    for (const s of h.allSockets()) if (s.state === 'CLOSED' && !s.error) closed++;
  return { segments: sim.stats.segments, ms, closed: closed / 2, virtualMs: sim.now };
}

export async function run(): Promise<Record<string, number>> {
  bulk(5_000_000); // warm-up
  const b = bulk(400_000_000);
  const c = concurrent(10_000);
  const figures = {
    'bulk segments': b.segments,
    'bulk wall ms': Math.round(b.ms),
    'simulated segments per second': Math.round((b.segments / b.ms) * 1000),
    'concurrent connections': 10_000,
    'concurrent connections closed cleanly': c.closed,
    'concurrent segments': c.segments,
    'concurrent wall ms': Math.round(c.ms),
    'concurrent segments per second': Math.round((c.segments / c.ms) * 1000),
    'concurrent virtual ms': Math.round(c.virtualMs),
  };
  for (const [k, v] of Object.entries(figures))
    console.log(`engine: ${k.padEnd(40)} ${v.toLocaleString('en-US')}`);
  if (c.closed !== 10_000) throw new Error(`only ${c.closed} of 10,000 connections closed cleanly`);
  return figures;
}
