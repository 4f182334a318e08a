/**
 * Two virtual hosts on an in-memory Ethernet (a fake capture helper that hands
 * each frame to the other end): they resolve each other with ARP or neighbour
 * discovery, handshake, move data larger than one MSS and close — real frames
 * built and parsed by the wire layer, real timers on the wall-clock driver.
 * Also: a segment with a bad checksum is dropped with a note, a neighbour that
 * never answers is given up after the retries, the driver arms one timer per
 * TCB, and the link impairment drops frames.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { patternBytes, type Socket } from '../../../src-main/engine';
import { buildFrame } from '../../../src-main/wire';
import { TCP_FLAG } from '../../../src-shared/tcp';
import { NeighborCache, VirtualHost, type FrameIo, type Timers } from '../../../src-main/vhost';

type Frame = { linkType: number; data: Uint8Array; time: number };

/** Two ends of a cable: what one sends, the other receives (asynchronously, as a capture would). */
function cable(): [
  FrameIo & { sent: Uint8Array[]; inject(f: Uint8Array): void },
  FrameIo & { sent: Uint8Array[]; inject(f: Uint8Array): void },
] {
  const listeners: Array<Set<(f: Frame[]) => void>> = [new Set(), new Set()];
  const end = (me: number) => ({
    sent: [] as Uint8Array[],
    open: async () => ({ linkType: 1 }),
    onFrames(cb: (f: Frame[]) => void) {
      listeners[me].add(cb);
      return () => listeners[me].delete(cb);
    },
    async send(frame: Uint8Array) {
      this.sent.push(frame);
      const copy = frame.slice();
      setImmediate(() => {
        for (const l of listeners[1 - me]) l([{ linkType: 1, data: copy, time: 0 }]);
      });
      return { bytes: frame.length };
    },
    inject(frame: Uint8Array) {
      for (const l of listeners[me]) l([{ linkType: 1, data: frame, time: 0 }]);
    },
    async close() {},
  });
  return [end(0), end(1)];
}

async function until<T>(f: () => T | null | undefined | false, ms = 4000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const hosts: VirtualHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
});

function pair(
  opts: { impair?: { lossPct: number; seed: number } } = {},
): [VirtualHost, VirtualHost, ReturnType<typeof cable>] {
  const c = cable();
  const a = new VirtualHost({
    iface: 'fake0',
    addresses: ['10.9.0.1/24', 'fd00::1/64'],
    mac: '02:00:00:00:00:01',
    io: c[0],
    mtu: 1500,
    name: 'a',
    impair: opts.impair ?? null,
    seed: 1,
  });
  const b = new VirtualHost({
    iface: 'fake0',
    addresses: ['10.9.0.2/24', 'fd00::2/64'],
    mac: '02:00:00:00:00:02',
    io: c[1],
    mtu: 1500,
    name: 'b',
    seed: 2,
  });
  hosts.push(a, b);
  return [a, b, c];
}

describe.each([
  { v: 4, peer: '10.9.0.2', mss: 1460 },
  { v: 6, peer: 'fd00::2', mss: 1440 },
])('two virtual hosts over IPv$v', ({ v, peer, mss }) => {
  it('resolve each other, handshake, move 10 kB each way in MSS-sized segments and close', async () => {
    const [a, b] = pair();
    await a.start();
    await b.start();
    const l = b.listen(80);
    const s = a.connect(peer, 80);
    await until(() => s.state === 'ESTABLISHED');
    const t = await until(() => l.accepted[0]);
    expect(a.events.some((e) => e.type === 'neighbor' && e.what === (v === 4 ? 'arp-request' : 'ns'))).toBe(
      true,
    );
    expect(b.events.some((e) => e.type === 'neighbor' && e.what === (v === 4 ? 'arp-reply' : 'na'))).toBe(
      true,
    );
    s.send(10_000);
    t.send(10_000);
    await until(() => s.bytesRead === 10_000 && t.bytesRead === 10_000);
    expect(Buffer.from(t.data()).equals(Buffer.from(patternBytes(0, 10_000)))).toBe(true);
    const lens = a.events
      .filter((e) => e.type === 'segment' && e.from === 'a' && e.len > 0)
      .map((e) => (e as { len: number }).len);
    expect(Math.max(...lens)).toBe(mss - 12);
    s.close();
    await until(() => t.eof);
    t.close();
    await until(() => s.state === 'TIME-WAIT' && t.state === 'CLOSED');
    // The kernel-state inference treats the peer as "the kernel": here it is b, seen from a.
    const inferred = a.events
      .filter((e) => e.type === 'state' && 'inferred' in e)
      .map((e) => (e as { to: string }).to);
    expect(inferred.at(-1)).toBe('CLOSED');
  });
});

describe('virtual host', () => {
  it('drops a segment with a bad checksum and says so (RFC 9293 §3.1)', async () => {
    const [a, , c] = pair();
    await a.start();
    const f = buildFrame({
      src: '10.9.0.2',
      dst: '10.9.0.1',
      srcPort: 5,
      dstPort: 80,
      seq: 1,
      flags: TCP_FLAG.SYN,
      srcMac: '02:00:00:00:00:02',
      dstMac: '02:00:00:00:00:01',
      corruptChecksum: true,
    });
    c[0].inject(f);
    expect(a.stats.badChecksum).toBe(1);
    expect(a.events.find((e) => e.type === 'note')).toMatchObject({ rule: 'bad-checksum' });
    expect(c[0].sent).toHaveLength(0);
  });

  it('answers a SYN to a closed port with RST,ACK after resolving the sender', async () => {
    const [a, , c] = pair();
    await a.start();
    c[0].inject(
      buildFrame({
        src: '10.9.0.2',
        dst: '10.9.0.1',
        srcPort: 5,
        dstPort: 81,
        seq: 100,
        flags: TCP_FLAG.SYN,
        srcMac: '02:00:00:00:00:02',
        dstMac: '02:00:00:00:00:01',
      }),
    );
    const seg = a.events.find((e) => e.type === 'segment' && e.from === 'a');
    expect(seg).toMatchObject({ flags: ['RST', 'ACK'], ack: 101 });
  });

  it('drops frames under the loss impairment and still delivers every byte', async () => {
    const [a, b] = pair({ impair: { lossPct: 20, seed: 3 } });
    await a.start();
    await b.start();
    b.listen(80);
    const s: Socket = a.connect('10.9.0.2', 80);
    await until(() => s.state === 'ESTABLISHED', 10_000);
    s.send(20_000);
    const t = await until(() => b.host(4).allSockets()[0]);
    await until(() => t.bytesRead === 20_000, 15_000);
    expect(a.events.some((e) => e.type === 'segment' && e.dropped)).toBe(true);
    expect(Buffer.from(t.data()).equals(Buffer.from(patternBytes(0, 20_000)))).toBe(true);
  }, 30_000);

  it('refuses bad addresses and MACs with a sentence', () => {
    const [io] = cable();
    expect(() => new VirtualHost({ iface: 'x', addresses: [], io })).toThrow(/IPv4 or IPv6 address/);
    expect(() => new VirtualHost({ iface: 'x', addresses: ['10.0.0.1', '10.0.0.2'], io })).toThrow(
      /at most one IPv4/,
    );
    expect(
      () => new VirtualHost({ iface: 'x', addresses: ['10.0.0.1'], mac: '01:00:5e:00:00:01', io }),
    ).toThrow(/multicast MAC/);
  });

  it('refuses an interface that is not Ethernet', async () => {
    const [io] = cable();
    io.open = async () => ({ linkType: 113 });
    const h = new VirtualHost({ iface: 'any', addresses: ['10.0.0.1'], io, mtu: 1500 });
    await expect(h.start()).rejects.toThrow(/not an Ethernet interface/);
  });
});

describe('neighbour cache', () => {
  function fakeTimers(): Timers & { fire(): void } {
    let pending: Array<() => void> = [];
    return {
      setTimeout: (fn) => {
        pending.push(fn);
        return pending.length;
      },
      clearTimeout: () => {},
      fire() {
        const p = pending;
        pending = [];
        for (const f of p) f();
      },
    };
  }

  it('asks three times, then drops what waited (RFC 4861 §7.2.2)', () => {
    const asked: number[] = [];
    const gone: Array<[string, number]> = [];
    const timers = fakeTimers();
    const n = new NeighborCache(
      { solicit: (_ip, k) => asked.push(k), unreachable: (ip, d) => gone.push([ip, d]) },
      { timers },
    );
    const sent: string[] = [];
    n.whenResolved('10.0.0.9', (m) => sent.push(m));
    n.whenResolved('10.0.0.9', (m) => sent.push(m));
    timers.fire();
    timers.fire();
    expect(asked).toEqual([1, 2, 3]);
    timers.fire();
    expect(gone).toEqual([['10.0.0.9', 2]]);
    expect(sent).toEqual([]);
  });

  it('sends queued frames in order once the answer comes, and at once after that', () => {
    const timers = fakeTimers();
    const n = new NeighborCache({ solicit: () => {}, unreachable: () => {} }, { timers });
    const sent: string[] = [];
    n.whenResolved('10.0.0.9', () => sent.push('first'));
    n.whenResolved('10.0.0.9', () => sent.push('second'));
    n.learn('10.0.0.9', '02:00:00:00:00:09');
    n.whenResolved('10.0.0.9', (m) => sent.push(m));
    expect(sent).toEqual(['first', 'second', '02:00:00:00:00:09']);
  });
});
