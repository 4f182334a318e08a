/**
 * `tcplab serve` run in-process through `main(argv, io)` with the real
 * LabService: it prints the URL with its token, serves the page only with
 * the token, answers bridge commands over the WebSocket (open a shared
 * capture, list its sessions, receive the `files.opened` event), and stops
 * cleanly, exit 0, when asked to. Also: a port in use and a missing web app
 * are one line on stderr, exit 1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../../src-shared/contract';
import { main, EXIT_FAILURE, type CliIo } from '../../../src-main/app/cli-main';

const PCAPS = join(__dirname, '..', '..', '..', '..', 'shared', 'pcaps');
const rendererDir = mkdtempSync(join(tmpdir(), 'tcplab-serve-'));
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>TCP Lab</title>');
afterAll(() => rmSync(rendererDir, { recursive: true, force: true }));

/** Starts `main(argv)` with a stop switch; resolves once it printed something (or ended). */
async function start(argv: string[]) {
  let out = '';
  let err = '';
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let printed!: () => void;
  const firstOutput = new Promise<void>((r) => (printed = r));
  const io: CliIo = {
    stdout: (t) => {
      out += t;
      printed();
    },
    stderr: (t) => {
      err += t;
      printed();
    },
    waitForStop: () => stopped,
  };
  const exit = main(argv, io);
  await Promise.race([firstOutput, exit]);
  return { exit, stop, out: () => out, err: () => err };
}

describe('tcplab serve', () => {
  it('serves web mode with the real service until stopped', async () => {
    const app = await start(['serve', '--port', '0', '--renderer-dir', rendererDir]);
    const m = /^TCP Lab web mode: open (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64}))\n$/.exec(
      app.out(),
    );
    expect(m, app.out() + app.err()).not.toBeNull();
    const [, url, port, token] = m!;

    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>TCP Lab</title>');
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz?token=${token}`)).text()).toBe('ok\n');

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, {
      origin: `http://127.0.0.1:${port}`,
    });
    const messages: ServerMessage[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (d) => {
      messages.push(JSON.parse(String(d)));
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (pred: (m: ServerMessage) => boolean): Promise<ServerMessage> => {
      for (;;) {
        const i = messages.findIndex(pred);
        if (i >= 0) return messages.splice(i, 1)[0];
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    await new Promise((r) => ws.once('open', r));

    ws.send(JSON.stringify({ t: 'invoke', id: 1, name: 'app.info', args: {} }));
    expect(await next((m) => m.t === 'reply' && m.id === 1)).toMatchObject({
      reply: { ok: true, result: { host: 'web' } },
    });

    const data = readFileSync(join(PCAPS, 'dns_tcp.pcap')).toString('base64');
    ws.send(JSON.stringify({ t: 'invoke', id: 2, name: 'files.open', args: { name: 'dns_tcp.pcap', data } }));
    const opened = await next((m) => m.t === 'reply' && m.id === 2);
    expect(opened).toMatchObject({
      reply: { ok: true, result: { name: 'dns_tcp.pcap', packets: 11, sessions: 1 } },
    });
    const fileId = opened.t === 'reply' && opened.reply.ok ? (opened.reply.result as { id: number }).id : -1;
    expect(await next((m) => m.t === 'events')).toMatchObject({
      batch: [{ type: 'files.opened', file: { id: fileId } }],
    });

    ws.send(JSON.stringify({ t: 'invoke', id: 3, name: 'sessions.list', args: { fileId } }));
    expect(await next((m) => m.t === 'reply' && m.id === 3)).toMatchObject({
      reply: { ok: true, result: [{ outcome: 'complete', packets: 11 }] },
    });

    ws.send(
      JSON.stringify({
        t: 'invoke',
        id: 4,
        name: 'files.open',
        args: { name: 'x.pcap', data: 'bm90IGEgcGNhcA==' },
      }),
    );
    expect(await next((m) => m.t === 'reply' && m.id === 4)).toMatchObject({
      reply: { ok: false, error: { code: 'bad-file' } },
    });

    ws.send('{oops');
    expect(await next((m) => m.t === 'reply' && m.id === -1)).toMatchObject({ reply: { ok: false } });

    const closed = new Promise((r) => ws.once('close', r));
    app.stop();
    expect(await app.exit).toBe(0);
    await closed;
    await expect(fetch(`http://127.0.0.1:${port}/healthz?token=${token}`)).rejects.toThrow();
  });

  it('a port in use: one line on stderr, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const app = await start(['serve', '--port', String(port), '--renderer-dir', rendererDir]);
      expect(await app.exit).toBe(EXIT_FAILURE);
      expect(app.out()).toBe('');
      expect(app.err()).toBe(
        `tcplab serve: port ${port} is in use: choose another with --port N (or --port 0 for any free port)\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it('no built web app: one line on stderr naming npm run build, exit 1', async () => {
    const app = await start(['serve', '--renderer-dir', join(rendererDir, 'missing')]);
    expect(await app.exit).toBe(EXIT_FAILURE);
    expect(app.err()).toMatch(/^tcplab serve: .*npm run build.*\n$/);
    const none = await start(['serve']);
    expect(await none.exit).toBe(EXIT_FAILURE);
    expect(none.err()).toMatch(/npm run build/);
  });
});
