/**
 * The capture service through the LabService's bridge surface, with a fake
 * capture helper (no root, no libpcap): interfaces and the injection
 * allowlist, a bad filter's words, batched events (a burst of frames makes a
 * handful of messages, never one per packet), the followed session's rows,
 * pausing the drawing while the capture goes on, the pcapng written as it
 * runs and reopened as a Files entry, the injection policy's refusals, and
 * the lab-target client's report of a refused connection on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabService } from '../../../src-main/service';
import {
  CaptureFailure,
  type CaptureHelperClient,
  type CapturedFrame,
  type CaptureInterface,
  type OpenOptions,
} from '../../../src-main/capture';
import { buildFrame } from '../../../src-main/wire';
import { TCP_FLAG } from '../../../src-shared/tcp';
import type { LabEvent } from '../../../src-shared/contract';

const ZERO = '00:00:00:00:00:00';

/** Just enough of CaptureHelperClient for LiveCapture and the service. */
class FakeHelper {
  frames = new Set<(f: CapturedFrame[]) => void>();
  errors = new Set<(e: CaptureFailure) => void>();
  opened: OpenOptions | null = null;
  sent: Uint8Array[] = [];
  ifaces: CaptureInterface[] = [
    {
      name: 'lo',
      description: '',
      loopback: true,
      addresses: [{ addr: '127.0.0.1', netmask: null, broadaddr: null }],
    },
    {
      name: 'eth0',
      description: '',
      loopback: false,
      addresses: [{ addr: '192.0.2.2', netmask: null, broadaddr: null }],
    },
  ];
  async listInterfaces() {
    return this.ifaces;
  }
  async open(o: OpenOptions) {
    if (o.filter === 'tcp port (') {
      throw new CaptureFailure('bad-filter', 'The capture filter "tcp port (" is not valid: syntax error.');
    }
    if (!this.ifaces.some((i) => i.name === o.iface)) {
      throw new CaptureFailure(
        'no-such-interface',
        `interface ${o.iface} does not exist; available: lo, eth0`,
      );
    }
    this.opened = o;
    return { iface: o.iface, linkType: 1, linkTypeName: 'ETHERNET' };
  }
  async stats() {
    return {
      seen: 0,
      delivered: 0,
      dropped: 0,
      sent: this.sent.length,
      open: this.opened !== null,
      iface: null,
    };
  }
  async close() {
    this.opened = null;
  }
  async send(f: Uint8Array) {
    this.sent.push(f);
    return { bytes: f.length };
  }
  async dispose() {}
  onFrames(cb: (f: CapturedFrame[]) => void) {
    this.frames.add(cb);
    return () => this.frames.delete(cb);
  }
  onError(cb: (e: CaptureFailure) => void) {
    this.errors.add(cb);
    return () => this.errors.delete(cb);
  }
  onLog() {
    return () => undefined;
  }
  push(frames: Uint8Array[]) {
    const batch = frames.map((data) => ({
      time: Date.now() / 1000,
      linkType: 1,
      caplen: data.length,
      origLength: data.length,
      data,
    }));
    for (const l of this.frames) l(batch);
  }
}

function seg(sport: number, dport: number, flags: number, seq: number, ack: number): Uint8Array {
  return buildFrame({
    src: '127.0.0.1',
    dst: '127.0.0.1',
    srcPort: sport,
    dstPort: dport,
    seq,
    ack,
    flags,
    srcMac: ZERO,
    dstMac: ZERO,
  });
}

/** A whole connection: handshake, FIN each way. */
function conversation(cport: number, sport = 7000): Uint8Array[] {
  const { SYN, ACK, FIN } = TCP_FLAG;
  return [
    seg(cport, sport, SYN, 100, 0),
    seg(sport, cport, SYN | ACK, 900, 101),
    seg(cport, sport, ACK, 101, 901),
    seg(cport, sport, FIN | ACK, 101, 901),
    seg(sport, cport, FIN | ACK, 901, 102),
    seg(cport, sport, ACK, 102, 902),
  ];
}

const tick = (ms = 80) => new Promise((r) => setTimeout(r, ms));

describe('capture service', () => {
  let dir: string;
  let fake: FakeHelper;
  let service: LabService;
  let events: LabEvent[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-capsvc-'));
    fake = new FakeHelper();
    service = new LabService({
      host: 'web',
      dataDir: dir,
      capture: { createClient: () => fake as unknown as CaptureHelperClient, tickMs: 20 },
    });
    events = [];
    service.subscribe((b) => events.push(...b));
  });
  afterEach(async () => {
    await service.capture.dispose();
    service.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the capture has decoded `seen` frames (it decodes in slices) and a tick has passed. */
  async function settle(seen: number): Promise<void> {
    const end = Date.now() + 5000;
    while ((await service.call('capture.status', {})).counters.seen < seen) {
      if (Date.now() > end) throw new Error(`the capture did not reach ${seen} frames`);
      await tick(10);
    }
    await tick(60);
  }

  const ofType = <T extends LabEvent['type']>(t: T) =>
    events.filter((e): e is Extract<LabEvent, { type: T }> => e.type === t);

  it('lists interfaces with their addresses and whether injection is allowed', async () => {
    const list = await service.call('capture.interfaces', {});
    expect(list).toEqual([
      { name: 'lo', description: '', loopback: true, addresses: ['127.0.0.1'], injectAllowed: true },
      { name: 'eth0', description: '', loopback: false, addresses: ['192.0.2.2'], injectAllowed: false },
    ]);
  });

  it("answers a bad filter with libpcap's words, as data and as an event", async () => {
    const r = await service.handle('capture.start', { iface: 'lo', filter: 'tcp port (' });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-filter' } });
    expect(!r.ok && r.error.message).toMatch(/syntax error/);
    service.events.flush();
    expect(ofType('capture.error')[0].message).toMatch(/not valid/);
    expect(await service.handle('capture.start', { iface: 'nope0' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await service.handle('capture.start', { iface: 'lo; rm -rf' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });

  it('keeps the first 256 bytes of each frame unless whole frames are asked for', async () => {
    await service.call('capture.start', { iface: 'lo', filter: 'tcp' });
    expect(fake.opened?.snaplen).toBe(256);
    await service.call('capture.stop', {});
    await service.call('capture.start', { iface: 'lo', filter: 'tcp', wholeFrames: true });
    expect(fake.opened?.snaplen).toBe(262_144);
    await service.call('capture.stop', {});
  });

  it('batches a burst of frames into a few events and streams the followed session', async () => {
    const st = await service.call('capture.start', { iface: 'lo', filter: 'tcp' });
    expect(st).toMatchObject({ id: 1, state: 'running', iface: 'lo', injectAllowed: true });
    expect(st.file).toMatch(/\.pcapng$/);
    const burst: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) burst.push(...conversation(20000 + i));
    fake.push(burst);
    await settle(3000);
    service.events.flush();
    // Changed sessions only, each time: the newest summary of each session wins.
    const latest = new Map(
      ofType('capture.sessions').flatMap((e) => e.sessions.map((x) => [x.id, x] as const)),
    );
    expect(latest.size).toBe(500);
    expect([...latest.values()].every((x) => x.outcome === 'complete')).toBe(true);
    // 3,000 packets, a handful of messages
    expect(events.length).toBeLessThan(20);
    const counters = ofType('capture.counters').at(-1)!;
    expect(counters).toMatchObject({ seen: 3000, decoded: 3000, malformed: 0 });

    // follow one session: its new rows stream, others do not
    await service.call('capture.follow', { sessionId: 500 });
    events.length = 0;
    fake.push(conversation(30000));
    fake.push(conversation(30001));
    await settle(3012);
    service.events.flush();
    const rows = ofType('capture.rows');
    expect(rows).toHaveLength(1);
    expect(rows[0].sessionId).toBe(500);
    expect(rows[0].rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const seg1 = await service.call('capture.segments', { sessionId: 500 });
    expect(seg1.total).toBe(6);

    // pause the drawing: the capture goes on, rows and summaries wait
    await service.call('capture.follow', { sessionId: 501 });
    const paused = await service.call('capture.pause', {});
    expect(paused.paused).toBe(true);
    events.length = 0;
    fake.push([seg(30001, 7000, TCP_FLAG.ACK, 200, 902)]);
    await settle(3013);
    service.events.flush();
    expect(ofType('capture.rows')).toHaveLength(0);
    expect(ofType('capture.sessions')).toHaveLength(0);
    expect(ofType('capture.counters').at(-1)!.seen).toBe(3013);
    await service.call('capture.resume', {});
    await tick();
    service.events.flush();
    expect(ofType('capture.sessions').flatMap((e) => e.sessions.map((s) => s.id))).toContain(501);

    const stopped = await service.call('capture.stop', {});
    expect(stopped.state).toBe('stopped');
    const file = await service.call('capture.reopen', {});
    expect(file.packets).toBe(3013);
    expect(file.format).toBe('pcapng');
    const dl = await service.call('capture.download', {});
    expect(dl.name).toMatch(/\.pcapng$/);
    expect(Buffer.from(dl.data, 'base64').readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it('sends only the tail of a session that outruns the view', async () => {
    await service.capture.dispose();
    service.dispose();
    service = new LabService({
      host: 'web',
      dataDir: dir,
      capture: { createClient: () => fake as unknown as CaptureHelperClient, tickMs: 20, maxRowsPerTick: 10 },
    });
    events = [];
    service.subscribe((b) => events.push(...b));
    await service.call('capture.start', { iface: 'lo' });
    fake.push(conversation(40000).slice(0, 3));
    await service.call('capture.follow', { sessionId: 0 });
    const data: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) data.push(seg(40000, 7000, TCP_FLAG.ACK | TCP_FLAG.PSH, 101 + i, 901));
    fake.push(data);
    await settle(103);
    service.events.flush();
    const rows = ofType('capture.rows').flatMap((e) => e.rows);
    expect(rows.map((r) => r.index)).toEqual([93, 94, 95, 96, 97, 98, 99, 100, 101, 102]);
    expect(ofType('capture.counters').at(-1)!.shown).toBe(10);
  });

  it('injects only under the policy: allowed interface, a session of this capture, confirmed', async () => {
    expect(
      await service.handle('capture.inject', { sessionId: 0, flag: 'RST', toward: 'b', confirm: true }),
    ).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    await service.call('capture.start', { iface: 'eth0' });
    fake.push(conversation(20000));
    await tick();
    const refused = await service.handle('capture.inject', {
      sessionId: 0,
      flag: 'RST',
      toward: 'b',
      confirm: true,
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(!refused.ok && refused.error.message).toMatch(/not allowed.*lo/);
    expect(
      await service.handle('capture.inject', { sessionId: 0, flag: 'RST', toward: 'b', confirm: false }),
    ).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(
      await service.handle('capture.inject', { sessionId: 0, flag: 'ACK', toward: 'b', confirm: true }),
    ).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    await service.call('capture.start', { iface: 'lo' });
    expect(
      await service.handle('capture.inject', { sessionId: 7, flag: 'RST', toward: 'b', confirm: true }),
    ).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(fake.sent).toHaveLength(0);
  });

  it('runs the lab client against a closed port and reports ECONNREFUSED', async () => {
    expect(await service.handle('capture.target.client', { action: 'graceful' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    const r = await service.call('capture.target.client', { action: 'refused' });
    expect(r).toMatchObject({ role: 'client', action: 'refused', connected: false });
    expect(r.saw).toMatch(/ECONNREFUSED/);
    const t = await service.call('capture.target.start', { kind: 'echo' });
    expect(await service.handle('capture.target.client', { action: 'refused', port: t.port })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const g = await service.call('capture.target.client', { action: 'graceful', port: t.port });
    expect(g.saw).toBe('connect, data(6), EOF, close');
    expect(await service.call('capture.target.stop', {})).toEqual({ stopped: 1 });
  });
});
