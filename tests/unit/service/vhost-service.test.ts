/**
 * The "Real peer" commands without root: schema rejections at the bridge;
 * the not-permitted and not-Linux sentences (the lab-network layer faked);
 * the fallback to the virtual host's own delay and loss where the kernel has
 * no netem; clean-up of the lab networks the service made; and a whole
 * session on an in-memory cable — the service's virtual host against a
 * second virtual host standing in for the kernel — checked on the mixed
 * ladder (lane A exact, lane B inferred from the wire, a challenge ACK for an
 * in-window RST, FIN close), with live updates coalesced. `mixKernelStates`
 * is pinned down on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LabEvent, VhostState } from '../../../src-shared/contract';
import type { SegmentRow } from '../../../src-shared/session';
import { TCP_FLAG } from '../../../src-shared/tcp';
import { describeLabnet, LabNetError, type LabNetwork } from '../../../src-main/labnet';
import { LabService } from '../../../src-main/service/lab-service';
import { mixKernelStates, type LabnetLayer, type VhostIo } from '../../../src-main/service/vhost-service';
import { VirtualHost, type FrameIo } from '../../../src-main/vhost';

type Frame = { linkType: number; data: Uint8Array; time: number };

/** Two ends of a cable: what one sends, the other receives (asynchronously, as a capture would). */
function cable(): [VhostIo, FrameIo] {
  const listeners: Array<Set<(f: Frame[]) => void>> = [new Set(), new Set()];
  const end = (me: number): VhostIo => ({
    open: async () => ({ linkType: 1 }),
    onFrames(cb) {
      listeners[me].add(cb);
      return () => listeners[me].delete(cb);
    },
    async send(frame: Uint8Array) {
      const copy = frame.slice();
      setImmediate(() => {
        for (const l of listeners[1 - me]) l([{ linkType: 1, data: copy, time: 0 }]);
      });
      return { bytes: frame.length };
    },
    async close() {},
    async dispose() {},
  });
  return [end(0), end(1)];
}

function fakeLabnet(over: Partial<LabnetLayer> = {}): Partial<LabnetLayer> & { downs: number[] } {
  const made = new Set<number>();
  const downs: number[] = [];
  return {
    downs,
    unsupported: () => null,
    up: (): LabNetwork => {
      const i = made.size + 1;
      made.add(i);
      return describeLabnet(i);
    },
    down: (i) => {
      downs.push(i);
      return made.delete(i);
    },
    list: () => [...made],
    describe: (i) => describeLabnet(i),
    ...over,
  };
}

const services: LabService[] = [];
const extra: VirtualHost[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) s.dispose();
  for (const h of extra.splice(0)) await h.stop();
});

function service(vhost: ConstructorParameters<typeof LabService>[0]['vhost'] = {}): LabService {
  const s = new LabService({ host: 'cli', settingsFile: null, vhost });
  services.push(s);
  return s;
}

async function poll<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 4000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end)
      throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('vhost.* and labnet.* arguments are checked at the bridge', () => {
  it.each([
    ['labnet.up', { lossPct: 101 }],
    ['labnet.up', { delayMs: -1 }],
    ['labnet.up', { netem: true }],
    ['labnet.down', {}],
    ['labnet.down', { index: 0 }],
    ['vhost.start', { iface: 'eth0; rm -rf /', ip: '10.0.0.3/24' }],
    ['vhost.start', { labnet: 1, mac: '02:00:00:00:00' }],
    ['vhost.start', { iface: 'veth0', ip: '10.0.0.3/24 ; x' }],
    ['vhost.connect', { port: 0 }],
    ['vhost.connect', { port: 80, ip: 'example.com' }],
    ['vhost.listen', { port: 70000 }],
    ['vhost.send', { text: '' }],
    ['vhost.send', { text: 5 }],
    ['vhost.close', { how: 'abort' }],
    ['vhost.inject', { flag: 'ACK', seqMode: 'exact' }],
    ['vhost.inject', { flag: 'RST', seqMode: 'exact', seq: 2 ** 32 }],
    ['vhost.inject', { flag: 'RST', seqMode: 'nearly' }],
    ['vhost.state', { since: -1 }],
    ['vhost.stop', { now: true }],
  ])('%s %j is refused', async (name, args) => {
    const r = await service().handle(name, args);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad-request');
  });

  it('explains what is missing when starting, sending or injecting too early', async () => {
    const s = service({ labnet: fakeLabnet() });
    const none = await s.handle('vhost.start', {});
    expect(none).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    if (!none.ok) expect(none.error.message).toMatch(/lab network|interface/);
    const missing = await s.handle('vhost.start', { labnet: 7 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    for (const [name, args] of [
      ['vhost.send', { text: 'x' }],
      ['vhost.connect', { port: 80 }],
      ['vhost.inject', { flag: 'RST', seqMode: 'exact' }],
    ] as const) {
      const r = await s.handle(name, args);
      expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      if (!r.ok) expect(r.error.message).toMatch(/Start the virtual host first/);
    }
    expect((await s.call('vhost.state', {})).running).toBe(false);
  });
});

describe('where lab networks are not permitted', () => {
  const permission = new LabNetError(
    'permission',
    'Creating a network namespace needs root (CAP_NET_ADMIN): run `sudo tcplab labnet up`, or start TCP Lab with sudo.',
  );

  it('labnet.list says so with a sentence, and labnet.up fails with it (no capture advice)', async () => {
    const s = service({ labnet: fakeLabnet({ unsupported: () => permission }) });
    const list = await s.call('labnet.list', {});
    expect(list.supported).toBe(false);
    expect(list.networks).toEqual([]);
    expect(list.reason).toMatch(/root/);
    const up = await s.handle('labnet.up', {});
    expect(up.ok).toBe(false);
    if (!up.ok) {
      expect(up.error.code).toBe('permission');
      expect(up.error.message).toMatch(/root \(CAP_NET_ADMIN\)/);
      expect(up.error.message).not.toMatch(/setcap|capture helper/i);
    }
    const start = await s.handle('vhost.start', { labnet: 1 });
    expect(start).toMatchObject({ ok: false, error: { code: 'permission' } });
  });

  it('on another system than Linux, says the feature is unavailable and why', async () => {
    const notLinux = new LabNetError(
      'not-linux',
      'A lab network needs Linux network namespaces; this is darwin.',
    );
    const s = service({ labnet: fakeLabnet({ unsupported: () => notLinux }) });
    expect((await s.call('labnet.list', {})).reason).toMatch(/needs Linux/);
    const up = await s.handle('labnet.up', { delayMs: 10 });
    expect(up).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('a failing ip command reaches the UI as its sentence', async () => {
    const s = service({
      labnet: fakeLabnet({
        up: () => {
          throw new LabNetError('missing-tool', '`ip` is not installed: install iproute2.');
        },
      }),
    });
    const up = await s.handle('labnet.up', {});
    expect(up).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: '`ip` is not installed: install iproute2.' },
    });
  });
});

describe('lab networks the service makes', () => {
  it('falls back to the virtual host’s own delay and loss where the kernel has no netem', async () => {
    let calls = 0;
    const fake = fakeLabnet();
    const up = fake.up!;
    fake.up = (o) => {
      calls++;
      if ((o.delayMs ?? 0) > 0) throw new LabNetError('netem-missing', 'This kernel has no netem');
      return up(o);
    };
    const events: LabEvent[] = [];
    const s = service({ labnet: fake });
    s.subscribe((b) => events.push(...b));
    const n = await s.call('labnet.up', { delayMs: 20, lossPct: 5 });
    expect(calls).toBe(2);
    expect(n).toMatchObject({ index: 1, owned: true, impairment: { delayMs: 20, lossPct: 5, by: 'vhost' } });
    expect(n.peer.ipv4).toBe('10.213.1.2/24');
    expect(n.vhost.ipv6).toBe('fd00:7cb:0:1::3/64');
    const list = await s.call('labnet.list', {});
    expect(list).toMatchObject({ supported: true, networks: [{ index: 1, owned: true }] });
    s.events.flush();
    expect(events.some((e) => e.type === 'labnet.changed')).toBe(true);
  });

  it('removes them on labnet.down and on dispose', async () => {
    const fake = fakeLabnet();
    const s = service({ labnet: fake });
    const a = await s.call('labnet.up', {});
    const b = await s.call('labnet.up', {});
    expect(await s.call('labnet.down', { index: a.index })).toEqual({ removed: true });
    s.dispose();
    expect(fake.downs).toEqual([a.index, b.index]);
  });
});

describe('a session on an in-memory cable (a second virtual host stands in for the kernel)', () => {
  async function session(): Promise<{ s: LabService; events: LabEvent[] }> {
    const [mine, theirs] = cable();
    const peer = new VirtualHost({
      iface: 'fake0',
      addresses: ['10.9.0.2/24'],
      mac: '02:00:00:00:00:02',
      io: theirs,
      mtu: 1500,
      name: 'peer',
      seed: 2,
    });
    extra.push(peer);
    await peer.start();
    const l = peer.listen(7);
    l.onAccept = (sock) => {
      sock.onEvent = (what) => {
        if (what === 'eof') sock.close();
      };
    };
    const s = service({ createIo: () => mine, updateMs: 20 });
    const events: LabEvent[] = [];
    s.subscribe((b) => events.push(...b));
    const st = await s.call('vhost.start', { iface: 'fake0', ip: '10.9.0.1/24', mac: '02:00:00:00:00:01' });
    expect(st).toMatchObject({ running: true, iface: 'fake0', mac: '02:00:00:00:00:01', labnet: null });
    expect(st.addresses).toEqual(['10.9.0.1/24']);
    return { s, events };
  }
  const state = (s: LabService) => () => s.call('vhost.state', {});

  it('shows the handshake with exact and inferred states, a challenge ACK, and a FIN close', async () => {
    const { s, events } = await session();
    const first = await s.call('vhost.connect', { port: 7, ip: '10.9.0.2' });
    expect(first.virtual?.state).toBe('SYN-SENT');
    let st: VhostState = await poll(state(s), (x) => x.kernel?.state === 'ESTABLISHED' && x.rows.length >= 3);
    expect(st.laneHosts).toEqual({ a: 'vhost', b: '10.9.0.2' });
    expect(st.rows.slice(0, 3).map((r) => [r.dir, r.stateA, r.stateB])).toEqual([
      ['ab', 'SYN-SENT', 'LISTEN'],
      ['ba', 'ESTABLISHED', 'SYN-RECEIVED'],
      ['ab', 'ESTABLISHED', 'ESTABLISHED'],
    ]);
    expect(st.rows[0].changes).toEqual([{ side: 'a', from: 'CLOSED', to: 'SYN-SENT' }]);
    expect(st.rows[1].changes).toContainEqual({ side: 'a', from: 'SYN-SENT', to: 'ESTABLISHED' });
    expect(st.rows[1].changes).toContainEqual({ side: 'b', from: 'LISTEN', to: 'SYN-RECEIVED' });
    expect(st.virtual).toMatchObject({
      role: 'virtual',
      inferred: false,
      state: 'ESTABLISHED',
      port: st.endpoints?.a.port,
    });
    expect(st.kernel).toMatchObject({ role: 'kernel', inferred: true, tcb: null });
    expect(st.log.some((e) => e.kind === 'neighbor' && /ARP/.test(e.text))).toBe(true);

    // `since`: a caller holding the settled rows gets only what follows.
    const part = await s.call('vhost.state', { since: st.rowsSettled });
    expect(part.rowsOffset).toBe(st.rowsSettled);
    expect(part.rows.length).toBe(part.rowCount - part.rowsOffset);

    const n = st.rows.length;
    await s.call('vhost.inject', { flag: 'RST', seqMode: 'in-window' });
    st = await poll(state(s), (x) => x.rows.slice(n).some((r) => r.analysis.includes('challenge-ack')));
    const rst = st.rows[n];
    expect(rst).toMatchObject({ injected: true, flags: TCP_FLAG.RST, dir: 'ab', stateB: 'ESTABLISHED' });
    expect(rst.analysis).toContain('rst-in-window');

    await s.call('vhost.send', { text: 'hi' });
    await s.call('vhost.close', { how: 'fin' });
    st = await poll(state(s), (x) => x.virtual?.state === 'TIME-WAIT' && x.kernel?.state === 'CLOSED');
    const fins = st.rows.filter((r) => r.flags & TCP_FLAG.FIN);
    expect(fins.map((r) => r.dir)).toEqual(['ab', 'ba']);
    expect(fins[0].stateA).toBe('FIN-WAIT-1');

    // Live updates: a handful of coalesced events, not one per segment.
    s.events.flush();
    const ups = events.filter((e) => e.type === 'vhost.updated');
    expect(ups.length).toBeGreaterThan(0);
    expect(ups.length).toBeLessThan(st.rows.length + 10);

    const stopped = await s.call('vhost.stop', {});
    expect(stopped.running).toBe(false);
    expect(stopped.rows.length).toBe(st.rows.length);
    const late = await s.handle('vhost.send', { text: 'x' });
    expect(late).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('refuses to send on a connection that is not established, and a typed SEQ without a number', async () => {
    const { s } = await session();
    await s.call('vhost.connect', { port: 8, ip: '10.9.0.2' }); // nothing listens on 8: RST
    await poll(state(s), (x) => x.virtual?.state === 'CLOSED');
    const send = await s.handle('vhost.send', { text: 'x' });
    expect(send.ok).toBe(false);
    if (!send.ok) expect(send.error.message).toMatch(/CLOSED/);
    const inj = await s.handle('vhost.inject', { flag: 'SYN', seqMode: 'value' });
    expect(inj.ok).toBe(false);
    if (!inj.ok) expect(inj.error.message).toMatch(/Type the sequence number/);
  });
});

describe('mixKernelStates', () => {
  const row = (
    i: number,
    dir: 'ab' | 'ba',
    flags: number,
    seq: number,
    extra: Partial<SegmentRow> = {},
  ): SegmentRow => ({
    index: i,
    frame: i + 1,
    time: i,
    dir,
    flags,
    seq,
    ack: 0,
    relSeq: 0,
    relAck: 0,
    len: 0,
    win: 0,
    options: [],
    stateA: 'ESTABLISHED',
    stateB: 'CLOSED',
    analysis: [],
    ...extra,
  });
  const wire = (
    fromKernel: boolean,
    flags: number,
    seq: number,
    kernelState: SegmentRow['stateB'],
    analysis: SegmentRow['analysis'] = [],
  ) => ({
    fromKernel,
    flags,
    seq,
    ack: 0,
    len: 0,
    kernelState,
    analysis,
  });

  it('takes the kernel state from the matching frame on the wire, skips lost ones, and says what is still awaited', () => {
    const S = TCP_FLAG.SYN;
    const A = TCP_FLAG.ACK;
    const rows = [
      row(0, 'ab', S, 100, { dropped: true }), // lost by the virtual host: never on the wire
      row(1, 'ab', S, 100), // its retransmission
      row(2, 'ba', S | A, 500),
      row(3, 'ab', A, 101), // the tracker's dup-ack verdict is not kept for the virtual host's own segment
      row(4, 'ab', TCP_FLAG.RST, 9999), // not on the wire yet
    ];
    const r = mixKernelStates(
      rows,
      [
        wire(false, S, 100, 'LISTEN'),
        wire(true, S | A, 500, 'SYN-RECEIVED', ['window-update']),
        wire(false, A, 101, 'ESTABLISHED', ['dup-ack']),
      ],
      'LISTEN',
    );
    expect(rows.map((x) => x.stateB)).toEqual([
      'LISTEN',
      'LISTEN',
      'SYN-RECEIVED',
      'ESTABLISHED',
      'ESTABLISHED',
    ]);
    expect(rows[2].changes).toEqual([{ side: 'b', from: 'LISTEN', to: 'SYN-RECEIVED' }]);
    expect(rows[3].analysis).toEqual([]);
    expect(rows[2].analysis).toEqual(['window-update']);
    expect(rows[0].changes).toBeUndefined();
    expect(r).toEqual({ awaiting: 4, kernelState: 'ESTABLISHED' });
  });
});
