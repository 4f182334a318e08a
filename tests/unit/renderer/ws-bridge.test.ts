/**
 * The web-mode bridge against a fake socket: invoke/reply by id, event
 * batches to subscribers, calls waiting for the first connection, an
 * `unavailable` error reply (never a throw) while disconnected and for calls
 * in flight when the socket drops, reconnection with a log event, and junk
 * from the server ignored.
 */
import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../src-shared/contract';
import { socketUrl } from '../../../src-renderer/src/bridge';
import { WsBridge, type SocketLike } from '../../../src-renderer/src/bridge/ws-bridge';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
  receive(msg: unknown): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number; done: boolean }> = [];
  const bridge = new WsBridge('ws://127.0.0.1:1/ws?token=t', {
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimeout: (fn, ms) => {
      const t = { fn, ms, done: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      (h as { done: boolean }).done = true;
    },
  });
  const runTimers = () => {
    for (const t of timers.splice(0)) if (!t.done) t.fn();
  };
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { bridge, sockets, timers, runTimers, flush, last: () => sockets[sockets.length - 1] };
}

describe('WsBridge', () => {
  it('builds the socket URL from the page: same host, /ws, the token', () => {
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:4321', search: '?token=ab%2Fc' })).toBe(
      'ws://127.0.0.1:4321/ws?token=ab%2Fc',
    );
    expect(socketUrl({ protocol: 'https:', host: 'h', search: '' })).toBe('wss://h/ws?token=');
  });

  it('waits for the first connection, then matches replies by id', async () => {
    const { bridge, last, flush } = setup();
    const p1 = bridge.invoke('app.info', {});
    const p2 = bridge.invoke('files.list', {});
    last().open();
    await flush();
    const [m1, m2] = last().sent as Array<{ t: string; id: number; name: string; args: unknown }>;
    expect(m1).toEqual({ t: 'invoke', id: m1.id, name: 'app.info', args: {} });
    expect(m2.name).toBe('files.list');
    last().receive({ t: 'reply', id: m2.id, reply: { ok: true, result: [] } });
    last().receive({
      t: 'reply',
      id: m1.id,
      reply: { ok: true, result: { version: '1', host: 'web', platform: 'x' } },
    });
    expect(await p2).toEqual({ ok: true, result: [] });
    expect(await p1).toMatchObject({ ok: true, result: { host: 'web' } });
  });

  it('delivers event batches to subscribers until they unsubscribe', () => {
    const { bridge, last } = setup();
    last().open();
    const got: LabEvent[][] = [];
    const off = bridge.subscribe((b) => got.push(b));
    const batch: LabEvent[] = [{ type: 'files.closed', fileId: 3 }];
    last().receive({ t: 'events', batch });
    off();
    last().receive({ t: 'events', batch });
    expect(got).toEqual([batch]);
  });

  it('ignores junk from the server', async () => {
    const { bridge, last, flush } = setup();
    last().open();
    const p = bridge.invoke('files.list', {});
    await flush();
    last().receive('not json');
    last().receive({ t: 'reply', id: 'x' });
    last().receive({ t: 'nope' });
    last().receive({ t: 'reply', id: 999, reply: { ok: true, result: 1 } });
    const id = (last().sent[0] as { id: number }).id;
    last().receive({ t: 'reply', id, reply: { ok: true, result: [] } });
    expect(await p).toEqual({ ok: true, result: [] });
  });

  it('answers unavailable when the socket drops, then reconnects', async () => {
    const { bridge, sockets, last, runTimers, flush } = setup();
    const logs: LabEvent[] = [];
    bridge.subscribe((b) => logs.push(...b));
    last().open();
    const inFlight = bridge.invoke('files.list', {});
    await flush();
    last().drop();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await bridge.invoke('app.info', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(logs.map((e) => e.type === 'log' && e.level)).toEqual(['warn']);
    runTimers();
    expect(sockets).toHaveLength(2);
    last().open();
    expect(logs.map((e) => e.type === 'log' && e.message)).toEqual([
      'Lost the connection to TCP Lab; reconnecting…',
      'Reconnected to TCP Lab.',
    ]);
    const p = bridge.invoke('files.list', {});
    await flush();
    last().receive({
      t: 'reply',
      id: (last().sent[0] as { id: number }).id,
      reply: { ok: true, result: [] },
    });
    expect(await p).toEqual({ ok: true, result: [] });
  });

  it('gives up waiting for a first connection that fails', async () => {
    const { bridge, last } = setup();
    const p = bridge.invoke('app.info', {});
    last().drop();
    expect(await p).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('times out a first connection that never opens', async () => {
    const { bridge, runTimers } = setup();
    const p = bridge.invoke('app.info', {});
    runTimers(); // the connect timeout fires
    expect(await p).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});
