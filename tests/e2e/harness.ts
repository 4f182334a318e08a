/**
 * End-to-end harness: starts the built web mode (`bin/tcplab.js serve`) as a
 * child process, reads its URL and token from the first line it prints, and
 * launches Debian's Chromium through playwright-core (never a downloaded
 * browser), and sends single commands over a second socket (`invoke`, a
 * stand-in for the native menu calling the service). Tests need `npm run
 * build` first; `npm test` does it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';

export const ROOT = join(__dirname, '..', '..');
export const CHROMIUM = process.env.TCPLAB_CHROMIUM ?? '/usr/bin/chromium';
export const PCAPS = join(ROOT, '..', 'shared', 'pcaps');

export interface WebApp {
  url: string;
  origin: string;
  port: number;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function prerequisites(): string | null {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) return 'the app is not built: run npm run build';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}: apt-get install chromium`;
  return null;
}

export interface WebAppOptions {
  /** Show the first-run screen (default false: the data directory says it was dismissed). */
  firstRun?: boolean;
  /** The data directory (settings, captures, audit log); default a fresh temporary one. */
  dataDir?: string;
}

export async function startWebApp(opts: WebAppOptions = {}): Promise<WebApp> {
  // Each web app gets its own data directory, so tests never touch ~/.tcplab; the first-run
  // screen would cover the page, so it starts dismissed unless a test asks for it.
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tcplab-e2e-'));
  if (!opts.firstRun && !opts.dataDir) {
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ firstRunDone: true }));
  }
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tcplab.js'), 'serve', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TCPLAB_DATA_DIR: dataDir },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not start:\n${out}`)), 20_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`web mode exited with ${code}:\n${out}`)));
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Sends one command over a second socket (a stand-in for the native menu calling the service). */
export async function invoke(
  app: WebApp,
  name: string,
  args: object,
): Promise<{ ok: boolean; result?: unknown }> {
  const ws = new WebSocket(`ws://127.0.0.1:${app.port}/ws?token=${app.token}`, { origin: app.origin });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${name}`)), 10_000);
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as {
          t: string;
          id?: number;
          reply?: { ok: boolean; result?: unknown };
        };
        if (msg.t === 'reply' && msg.id === 1) {
          clearTimeout(timer);
          resolve(msg.reply!);
        }
      });
      ws.send(JSON.stringify({ t: 'invoke', id: 1, name, args }));
    });
  } finally {
    ws.close();
  }
}
