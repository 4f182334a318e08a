/**
 * Web mode's server (src-main/app/web-server.ts) against a temporary renderer
 * folder: the token is required on the page, its assets, /healthz and the
 * WebSocket; the Host and Origin are checked; files never come from outside
 * the folder; socket messages that are not well-formed invokes get error
 * replies and never reach the service; events reach every socket; it binds
 * 127.0.0.1 and nothing else.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  checkCommand,
  type EventListener,
  type LabEvent,
  type Reply,
  type ServerMessage,
} from '../../../src-shared/contract';
import {
  contentType,
  MAX_WS_PAYLOAD,
  startWebServer,
  staticPath,
  tokenMatches,
  webModeCsp,
  type WebServer,
} from '../../../src-main/app/web-server';

vi.mock('electron', () => {
  throw new Error('web mode must not load electron');
});

const base = mkdtempSync(join(tmpdir(), 'tcplab-web-'));
const root = join(base, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(
  join(root, 'index.html'),
  '<!doctype html><title>TCP Lab</title><script src="/assets/app.js"></script>',
);
writeFileSync(join(root, 'assets', 'app.js'), 'console.log("tcplab")');
writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
writeFileSync(join(root, '.env'), 'SECRET=1');
writeFileSync(join(base, 'secret.txt'), 'TOP SECRET');
symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'link.txt'));

/** A service that validates like LabService and records what reached it. */
function fakeService() {
  const listeners = new Set<EventListener>();
  const handled: [unknown, unknown][] = [];
  return {
    handled,
    listeners,
    async handle(name: unknown, args: unknown): Promise<Reply<unknown>> {
      handled.push([name, args]);
      const c = checkCommand(name, args);
      if (!c.ok) return { ok: false, error: c.error };
      if (c.name === 'files.list') throw new Error('kaput');
      return { ok: true, result: { name: c.name } };
    },
    subscribe(l: EventListener) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(batch: LabEvent[]) {
      listeners.forEach((l) => l(batch));
    },
  };
}

const service = fakeService();
let server: WebServer;
let origin: string;

beforeAll(async () => {
  server = await startWebServer({ service, port: 0, rendererDir: root });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  rmSync(base, { recursive: true, force: true });
});
afterEach(() => {
  service.handled.length = 0;
});

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: the path is sent exactly as given (fetch would normalise `..`). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const withToken = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${server.token}`;
const cookie = () => ({ cookie: `tcplab_token_${server.port}=${server.token}` });

describe('startWebServer', () => {
  it('listens on 127.0.0.1 with a 32-byte hex token and prints the URL to open', () => {
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  it('refuses every other host', async () => {
    for (const host of ['0.0.0.0', '::', '::1', '192.168.1.10', 'example.com', '']) {
      await expect(startWebServer({ service, host, rendererDir: root })).rejects.toThrow(/127\.0\.0\.1 only/);
    }
  });

  it('binds 127.0.0.1 even when asked for localhost', async () => {
    const s = await startWebServer({ service, host: 'localhost', rendererDir: root });
    expect(s.url.startsWith('http://127.0.0.1:')).toBe(true);
    const r = await fetch(`http://127.0.0.1:${s.port}/healthz?token=${s.token}`);
    expect(await r.text()).toBe('ok\n');
    await s.close();
  });

  it('refuses a renderer folder without index.html', async () => {
    await expect(startWebServer({ service, rendererDir: join(base, 'nope') })).rejects.toThrow(
      /npm run build/,
    );
    await expect(startWebServer({ service, rendererDir: join(root, 'assets') })).rejects.toThrow(
      /npm run build/,
    );
  });

  it('refuses a bad port', async () => {
    await expect(startWebServer({ service, port: 70000, rendererDir: root })).rejects.toThrow(/bad port/);
  });

  it('reports a port in use', async () => {
    await expect(startWebServer({ service, port: server.port, rendererDir: root })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('uses a new random token each time', async () => {
    const s = await startWebServer({ service, rendererDir: root });
    expect(s.token).not.toBe(server.token);
    await s.close();
  });
});

describe('HTTP: the token', () => {
  it('is required on the page', async () => {
    const r = await get('/');
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/token/);
    expect(r.body).not.toMatch(/TCP Lab<\/title>/);
  });

  it('must be the right one', async () => {
    for (const bad of ['0'.repeat(64), server.token.slice(1), server.token + '0', '', 'x']) {
      const r = await get(`/?token=${bad}`);
      expect(r.status).toBe(403);
    }
    expect((await get('/', { cookie: `tcplab_token_${server.port}=${'f'.repeat(64)}` })).status).toBe(403);
    // A cookie for another port's server is not ours.
    expect((await get('/', { cookie: `tcplab_token_1=${server.token}` })).status).toBe(401);
  });

  it('opens the page and sets an HttpOnly SameSite=Strict cookie', async () => {
    const r = await get(withToken('/'));
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>TCP Lab</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toContain(`tcplab_token_${server.port}=${server.token}`);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
  });

  it('sends the CSP, nosniff and no-referrer on every answer', async () => {
    for (const r of [await get(withToken('/')), await get('/assets/app.js', cookie()), await get('/')]) {
      expect(r.headers['content-security-policy']).toBe(webModeCsp(server.port));
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('is required on assets: the cookie or the query will do', async () => {
    expect((await get('/assets/app.js')).status).toBe(401);
    const viaCookie = await get('/assets/app.js', cookie());
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body).toBe('console.log("tcplab")');
    expect(viaCookie.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(viaCookie.headers['set-cookie']).toBeUndefined();
    expect((await get(withToken('/assets/app.css'))).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/assets/logo.svg', cookie())).headers['content-type']).toBe('image/svg+xml');
  });

  it('is required on /healthz', async () => {
    expect((await get('/healthz')).status).toBe(401);
    const r = await get(withToken('/healthz'));
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok\n');
  });

  it('is required before anything else is revealed (404s, methods)', async () => {
    expect((await get('/no-such-file.js')).status).toBe(401);
    expect((await get('/', {}, 'POST')).status).toBe(401);
  });
});

describe('HTTP: what is served', () => {
  it('answers only to its own Host (DNS rebinding)', async () => {
    const r = await get(withToken('/'), { host: `evil.example:${server.port}` });
    expect(r.status).toBe(403);
    expect((await get(withToken('/healthz'), { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('allows GET and HEAD only', async () => {
    const post = await get(withToken('/'), {}, 'POST');
    expect(post.status).toBe(405);
    const head = await get(withToken('/assets/app.js'), {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String('console.log("tcplab")'.length));
  });

  const traversals = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '/assets/link.txt',
    '/.env',
    '/assets/%2e%2e/.env',
    '/index.html%00.js',
    '/%E0%A4%A',
    '//etc/passwd',
    `/${join(base, 'secret.txt')}`,
    '/assets',
    '/assets/',
  ];
  for (const path of traversals) {
    it(`never serves what is outside the folder or hidden: ${path}`, async () => {
      const r = await get(withToken(path));
      expect([400, 403, 404]).toContain(r.status);
      expect(r.body).not.toContain('TOP SECRET');
      expect(r.body).not.toContain('SECRET=1');
    });
  }

  it('says 404 for a missing file and 426 for /ws without an upgrade', async () => {
    expect((await get('/missing.js', cookie())).status).toBe(404);
    expect((await get('/ws', cookie())).status).toBe(426);
  });

  it('sends the renderer policy, naming its own socket', () => {
    expect(webModeCsp(8080)).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self' ws://127.0.0.1:8080 ws://localhost:8080; object-src 'none'; base-uri 'none'; " +
        "frame-ancestors 'none'",
    );
  });

  it('knows its content types', () => {
    expect(contentType('a/index.html')).toBe('text/html; charset=utf-8');
    expect(contentType('x.MJS')).toBe('text/javascript; charset=utf-8');
    expect(contentType('f.woff2')).toBe('font/woff2');
    expect(contentType('unknown.bin')).toBe('application/octet-stream');
    expect(contentType('noext')).toBe('application/octet-stream');
  });

  it('maps URL paths into the folder only', () => {
    expect(staticPath(root, '/')).toBe(join(root, 'index.html'));
    expect(staticPath(root, '/assets/app.js')).toBe(join(root, 'assets', 'app.js'));
    expect(staticPath(root, '/../x')).toBeNull();
    expect(staticPath(root, '/a/%2e%2e/%2e%2e/x')).toBeNull();
    expect(staticPath(root, '/a\\..\\x')).toBeNull();
    expect(staticPath(root, '/%00')).toBeNull();
    expect(staticPath(root, '/%')).toBeNull();
  });

  it('compares tokens exactly', () => {
    expect(tokenMatches(server.token, server.token)).toBe(true);
    expect(tokenMatches(server.token.toUpperCase(), server.token)).toBe(false);
    expect(tokenMatches(null, server.token)).toBe(false);
    expect(tokenMatches(undefined, server.token)).toBe(false);
  });
});

/** Opens a socket; resolves with it once open, or rejects with the HTTP status of the refusal. */
function connect(
  path: string,
  opts: { origin?: string; headers?: Record<string, string> } = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, {
      origin: opts.origin,
      headers: opts.headers,
    });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

/** Collects the server's messages on a socket. */
function inbox(ws: WebSocket) {
  const messages: ServerMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as ServerMessage);
    waiters.splice(0).forEach((w) => w());
  });
  return {
    messages,
    async next(): Promise<ServerMessage> {
      while (messages.length === 0) await new Promise<void>((r) => waiters.push(r));
      return messages.shift()!;
    },
  };
}

describe('WebSocket', () => {
  it('needs the token', async () => {
    await expect(connect('/ws', { origin })).rejects.toThrow('status 401');
    await expect(connect('/ws?token=' + 'a'.repeat(64), { origin })).rejects.toThrow('status 403');
  });

  it('needs the page’s own Origin', async () => {
    await expect(connect(withToken('/ws'))).rejects.toThrow('status 403');
    await expect(connect(withToken('/ws'), { origin: 'http://evil.example' })).rejects.toThrow('status 403');
    await expect(
      connect(withToken('/ws'), { origin: `http://127.0.0.1:${server.port + 1}` }),
    ).rejects.toThrow('status 403');
    await expect(connect(withToken('/ws'), { origin: `https://127.0.0.1:${server.port}` })).rejects.toThrow(
      'status 403',
    );
    await expect(connect(withToken('/ws'), { origin: 'null' })).rejects.toThrow('status 403');
    const ws = await connect(withToken('/ws'), { origin: `http://localhost:${server.port}` });
    ws.close();
  });

  it('needs its own Host, and lives at /ws only', async () => {
    await expect(
      connect(withToken('/ws'), { origin, headers: { host: `evil.example:${server.port}` } }),
    ).rejects.toThrow('status 403');
    await expect(connect(withToken('/other'), { origin })).rejects.toThrow('status 404');
  });

  it('answers invokes with replies carrying the same id', async () => {
    const ws = await connect(withToken('/ws'), { origin });
    const box = inbox(ws);
    ws.send(JSON.stringify({ t: 'invoke', id: 1, name: 'app.info', args: {} }));
    expect(await box.next()).toEqual({
      t: 'reply',
      id: 1,
      reply: { ok: true, result: { name: 'app.info' } },
    });
    ws.close();
  });

  it('accepts the cookie as the token too', async () => {
    const ws = await connect('/ws', { origin, headers: cookie() });
    ws.close();
  });

  it('gives error replies to malformed messages, which never reach the service', async () => {
    const ws = await connect(withToken('/ws'), { origin });
    const box = inbox(ws);
    const cases: [string | Buffer, number][] = [
      ['{not json', -1],
      ['42', -1],
      ['"invoke"', -1],
      ['null', -1],
      ['[1,2]', -1],
      [JSON.stringify({ t: 'invoke', name: 'app.info', args: {} }), -1],
      [JSON.stringify({ t: 'invoke', id: 'seven', name: 'app.info' }), -1],
      [JSON.stringify({ t: 'invoke', id: -3, name: 'app.info' }), -1],
      [JSON.stringify({ t: 'invoke', id: 1.5, name: 'app.info' }), -1],
      [JSON.stringify({ t: 'call', id: 7, name: 'app.info', args: {} }), 7],
      [JSON.stringify({ t: 'invoke', id: 8, name: 'app.info', args: {}, extra: true }), 8],
      [JSON.stringify({ t: 'invoke', id: 9, name: 'files.close', args: { fileId: 'x' } }), 9],
      [JSON.stringify({ t: 'invoke', id: 10, name: 'nope.nope', args: {} }), 10],
      [JSON.stringify({ t: 'invoke', id: 11, name: '__proto__', args: {} }), 11],
      [Buffer.from([1, 2, 3]), -1],
    ];
    for (const [data, id] of cases) {
      ws.send(data);
      const m = await box.next();
      expect(m.t).toBe('reply');
      if (m.t === 'reply') {
        expect(m.id).toBe(id);
        expect(m.reply.ok).toBe(false);
      }
    }
    expect(service.handled).toEqual([]);
    // The connection still works afterwards.
    ws.send(JSON.stringify({ t: 'invoke', id: 12, name: 'app.info' }));
    expect(await box.next()).toMatchObject({ id: 12, reply: { ok: true } });
    ws.close();
  });

  it('gives the unknown-command error for an unknown name', async () => {
    const ws = await connect(withToken('/ws'), { origin });
    const box = inbox(ws);
    ws.send(JSON.stringify({ t: 'invoke', id: 3, name: 'rm.rf', args: {} }));
    expect(await box.next()).toMatchObject({
      id: 3,
      reply: { ok: false, error: { code: 'unknown-command' } },
    });
    ws.close();
  });

  it('turns a throwing service into an internal-error reply', async () => {
    const ws = await connect(withToken('/ws'), { origin });
    const box = inbox(ws);
    ws.send(JSON.stringify({ t: 'invoke', id: 4, name: 'files.list', args: {} }));
    expect(await box.next()).toMatchObject({ id: 4, reply: { ok: false, error: { code: 'internal' } } });
    ws.close();
  });

  it('sends event batches to every socket, and stops when a socket closes', async () => {
    const a = await connect(withToken('/ws'), { origin });
    const b = await connect(withToken('/ws'), { origin });
    const boxA = inbox(a);
    const boxB = inbox(b);
    const batch: LabEvent[] = [{ type: 'log', level: 'info', message: 'hello' }];
    service.emit(batch);
    expect(await boxA.next()).toEqual({ t: 'events', batch });
    expect(await boxB.next()).toEqual({ t: 'events', batch });
    const before = service.listeners.size;
    await new Promise<void>((r) => {
      a.once('close', () => r());
      a.close();
    });
    await vi.waitFor(() => expect(service.listeners.size).toBe(before - 1));
    b.close();
  });

  it('sets the message limit deliberately', () => {
    expect(MAX_WS_PAYLOAD).toBeGreaterThan(400 * 1024 * 1024);
    expect(MAX_WS_PAYLOAD).toBeLessThan(2 ** 29 - 24);
  });

  it('closes a socket that sends an oversized message, and keeps serving', async () => {
    const small = await startWebServer({ service, rendererDir: root, maxPayload: 1024 });
    const ws = new WebSocket(`ws://127.0.0.1:${small.port}/ws?token=${small.token}`, {
      origin: `http://127.0.0.1:${small.port}`,
    });
    await new Promise((r) => ws.once('open', r));
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.on('error', () => undefined);
    ws.send(
      JSON.stringify({ t: 'invoke', id: 1, name: 'files.open', args: { name: 'a', data: 'A'.repeat(4096) } }),
    );
    expect(await code).toBe(1009);
    const r = await fetch(`http://127.0.0.1:${small.port}/healthz?token=${small.token}`);
    expect(r.status).toBe(200);
    await small.close();
  });

  it('close() ends open sockets', async () => {
    const s = await startWebServer({ service, rendererDir: root });
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, {
      origin: `http://127.0.0.1:${s.port}`,
    });
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise((r) => ws.once('close', r));
    await s.close();
    await closed;
  });
});
