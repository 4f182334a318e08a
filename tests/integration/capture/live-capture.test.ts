/**
 * Live capture against the real Linux kernel on loopback: the capture helper
 * opens `lo` with a BPF filter on a lab server's port, the kernel's own TCP
 * (node:net) makes a handshake and a FIN teardown, a refused connection and
 * an aborted one, and the tracker must see them with RFC 9293 end states;
 * pcapng is written incrementally and opens in tshark; a bad filter, a
 * missing interface and a missing privilege give sentences that say what to do.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptureHelperClient,
  LiveCapture,
  runCapture,
  runLabClient,
  startLabServer,
} from '../../../src-main/capture';
import type { LabServer } from '../../../src-main/capture';
import { isRoot, requireRootOnCi, sleep, until } from './root';

requireRootOnCi();

describe.skipIf(!isRoot)('live capture on lo (root)', () => {
  let client: CaptureHelperClient;
  let server: LabServer;
  let dir: string;

  beforeAll(async () => {
    client = new CaptureHelperClient();
    server = await startLabServer({ mode: 'echo' });
    dir = mkdtempSync(join(tmpdir(), 'tcplab-cap-'));
  });

  afterAll(async () => {
    await server?.close();
    await client?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists interfaces with their addresses', async () => {
    const list = await client.listInterfaces();
    const lo = list.find((i) => i.name === 'lo');
    expect(lo).toBeDefined();
    expect(lo!.loopback).toBe(true);
    expect(lo!.addresses.map((a) => a.addr)).toContain('127.0.0.1');
  });

  it('captures a real handshake and FIN teardown and tracks the end states', async () => {
    const write = join(dir, 'handshake.pcapng');
    const cap = new LiveCapture({
      client,
      iface: 'lo',
      filter: `tcp port ${server.port}`,
      write,
      keepSegments: true,
    });
    const opened = await cap.start();
    expect(opened.linkType).toBe(1); // Linux lo: Ethernet with zero MACs
    const report = await runLabClient({
      port: server.port,
      payload: 'hello\n',
      action: 'graceful',
      lingerMs: 100,
    });
    expect(report.saw).toMatch(/^connect, data\(6\), EOF, close$/);
    const session = await until(() => {
      const s = cap.tracker.summaries().find((x) => x.a.port === report.localPort);
      return s && s.outcome === 'complete' && s.states.b === 'CLOSED' ? s : null;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(cap.tracker.summaries())}`);
    });
    expect(session.a).toEqual({ ip: '127.0.0.1', port: report.localPort });
    expect(session.b).toEqual({ ip: '127.0.0.1', port: server.port });
    expect(session.states.a).toBe('TIME-WAIT');
    expect(session.connState).toBe('SF');
    expect(session.payloadBytes).toEqual({ a: 6, b: 6 });
    expect(session.mss.a).toBe(65495);
    const rows = cap.tracker.segments(session.id);
    expect(rows[0].flags & 0x12).toBe(0x02); // SYN
    expect(rows[1].flags & 0x12).toBe(0x12); // SYN, ACK
    expect(rows[1].stateB).toBe('SYN-RECEIVED');
    expect(rows[2].stateB).toBe('ESTABLISHED');
    const result = await cap.stop();
    expect(result.packets).toBe(result.tcpPackets);
    expect(result.malformed).toBe(0);
    expect(result.packets).toBeGreaterThanOrEqual(9);
    expect(result.ended).toBe('stopped');
    // The pcapng file opens in tshark and holds every frame.
    const out = execFileSync('tshark', ['-r', write, '-T', 'fields', '-e', 'tcp.flags.str'], {
      encoding: 'utf8',
    });
    expect(out.trim().split('\n')).toHaveLength(result.packets);
  });

  it('flushes the pcapng file at least every second while capturing', async () => {
    const write = join(dir, 'incremental.pcapng');
    const cap = new LiveCapture({ client, iface: 'lo', filter: `tcp port ${server.port}`, write });
    await cap.start();
    await runLabClient({ port: server.port, action: 'graceful', lingerMs: 20 });
    await until(() => cap.counters.seen >= 9);
    await sleep(1300);
    // Still capturing: the file must already open and hold the frames.
    const out = execFileSync('tshark', ['-r', write], { encoding: 'utf8' });
    expect(out.trim().split('\n').length).toBeGreaterThanOrEqual(9);
    await cap.stop();
  });

  it('tracks a refused connection and an aborted one, and the sockets report what they saw', async () => {
    const cap = new LiveCapture({ client, iface: 'lo', filter: 'tcp and host 127.0.0.1' });
    await cap.start();
    // A port nobody listens on: grab one and close it.
    const closed = await startLabServer();
    const closedPort = closed.port;
    await closed.close();
    const refused = await runLabClient({ port: closedPort, action: 'refused' });
    expect(refused.connected).toBe(false);
    expect(refused.saw).toContain('ECONNREFUSED');
    const reset = await runLabClient({ port: server.port, action: 'reset', lingerMs: 50 });
    const peer = server.connections.find((c) => c.remotePort === reset.localPort);
    expect(await peer!.waitFor('error', 'ECONNRESET', 2000)).not.toBeNull();
    const sessions = await until(() => {
      const all = cap.tracker.summaries();
      const r = all.find((s) => s.b.port === closedPort);
      const a = all.find((s) => s.a.port === reset.localPort && s.outcome === 'reset-by-a');
      return r && a ? { r, a } : null;
    });
    expect(sessions.r.outcome).toBe('refused');
    expect(sessions.r.connState).toBe('REJ');
    expect(sessions.a.states.b).toBe('CLOSED');
    await cap.stop();
  });

  it('stops by itself after --count frames', async () => {
    const cap = new LiveCapture({ client, iface: 'lo', filter: `tcp port ${server.port}`, count: 3 });
    await cap.start();
    await runLabClient({ port: server.port, action: 'graceful', lingerMs: 20 });
    const r = await cap.done;
    expect(r.ended).toBe('count');
    expect(r.packets).toBe(3);
  });

  it('runCapture returns the analyze JSON shape after --duration', async () => {
    const run = runCapture({ iface: 'lo', filter: `tcp port ${server.port}`, durationS: 1.5 });
    await sleep(400);
    await runLabClient({ port: server.port, action: 'graceful', lingerMs: 20 });
    const r = await run;
    expect(r.ended).toBe('duration');
    expect(r.packets).toBeGreaterThanOrEqual(9);
    expect(r.tcpPackets).toBe(r.packets);
    expect(r.malformed).toBe(0);
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0].outcome).toBe('complete');
  });

  it("a bad filter gives libpcap's words and what to do, and the helper carries on", async () => {
    const err = await client.open({ iface: 'lo', filter: 'tcp port' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('bad-filter');
    expect((err as Error).message).toMatch(
      /^The capture filter "tcp port" is not valid: .*syntax error.*Fix it/,
    );
    // cap cannot clean up a failed open in place: the helper restarts, and the next open works.
    const cap = new LiveCapture({ client, iface: 'lo', filter: `tcp port ${server.port}` });
    await cap.start();
    await runLabClient({ port: server.port, action: 'graceful', lingerMs: 20 });
    await until(() => cap.counters.decoded >= 9);
    await cap.stop();
  });

  it('a missing interface names the ones that exist', async () => {
    const err = await client.open({ iface: 'tcplabnope0' }).catch((e: Error) => e);
    expect((err as { code?: string }).code).toBe('no-such-interface');
    expect((err as Error).message).toMatch(/^interface tcplabnope0 does not exist; available: .*\blo\b/);
  });

  it('without privilege, says how to grant it', async () => {
    const unprivileged = new CaptureHelperClient({
      wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    });
    try {
      const err = await unprivileged.open({ iface: 'lo', filter: 'tcp' }).catch((e: Error) => e);
      expect((err as { code?: string }).code).toBe('permission');
      expect((err as Error).message).toMatch(
        /No permission to capture on lo .*setcap cap_net_raw,cap_net_admin=eip/,
      );
    } finally {
      await unprivileged.dispose();
    }
  });

  it('the helper exits when its parent lets go', async () => {
    const c = new CaptureHelperClient();
    await c.open({ iface: 'lo', filter: 'tcp port 9' });
    const pid = c.pid!;
    await c.dispose();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
