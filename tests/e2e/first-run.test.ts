/**
 * The first-run screen and the menu's behaviour in web mode, in Chromium,
 * through the same LabService commands the desktop app uses: with a fresh
 * data directory the screen shows the sample capture, a simulation, the first
 * lab (or says there is none) and whether live capture works, with a reason;
 * the sample opens as a real capture; the theme choice sticks (data-theme and
 * settings.json); closing it persists; and menu actions sent as
 * `app.menuAction` over the page's own socket — Help ▸ Getting Started, the
 * theme, zoom — reach the page as events, as they would from the native menu.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, prerequisites, startWebApp, type WebApp } from './harness';

const missing = prerequisites();
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

/** `<html>`'s data-theme and inline zoom, read in the page (typed without DOM lib). */
const htmlTheme = () =>
  (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document
    .documentElement.dataset.theme ?? 'none';
const htmlZoom = () =>
  (globalThis as unknown as { document: { documentElement: { style: { zoom: string } } } }).document
    .documentElement.style.zoom;

/** Sends one command over a second socket (a stand-in for the native menu calling the service). */
async function invoke(app: WebApp, name: string, args: object): Promise<{ ok: boolean; result?: unknown }> {
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

describe.skipIf(missing !== null)('first run and menu actions in web mode', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tcplab-first-run-'));
    app = await startWebApp({ firstRun: true, dataDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('offers the sample, a simulation, the first lab and tells about live capture', async () => {
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    const screen = page.locator('[data-testid=first-run]');
    await expect.poll(() => screen.isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => page.locator('[data-testid=first-run-sample]').isEnabled()).toBe(true);
    await expect.poll(() => page.locator('[data-testid=first-run-simulation]').isEnabled()).toBe(true);
    const capture = page.locator('[data-testid=first-run-capture]');
    await expect
      .poll(() => capture.getAttribute('data-state'), { timeout: 15_000 })
      .toMatch(/available|unavailable|unknown/);
    expect(await page.locator('[data-testid=first-run-capture-reason]').textContent()).toMatch(/\w{4,}/);
    expect(errors).toEqual([]);
  });

  it('opens the sample capture and lists its sessions', async () => {
    await page.locator('[data-testid=first-run-sample]').click();
    await expect.poll(() => page.locator('[data-testid=first-run]').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid=session-row]').count(), { timeout: 15_000 }).toBe(2);
    // Choosing a way in counts as having seen the screen.
    const settings = () =>
      (JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { firstRunDone: boolean })
        .firstRunDone;
    await expect.poll(settings, { timeout: 10_000 }).toBe(true);
  });

  it('comes back with Help ▸ Getting Started (app.menuAction), and keeps the theme chosen there', async () => {
    expect((await invoke(app, 'app.menuAction', { action: 'show-first-run' })).ok).toBe(true);
    await expect
      .poll(() => page.locator('[data-testid=first-run]').isVisible(), { timeout: 10_000 })
      .toBe(true);
    await page.locator('[data-testid=theme-dark]').check();
    await expect.poll(() => page.evaluate(htmlTheme)).toBe('dark');
    await page.locator('[data-testid=first-run-close]').click();
    await expect.poll(() => page.locator('[data-testid=first-run]').count()).toBe(0);
    // The screen closes at once; the settings reach the disk after the service's reply.
    const saved = () =>
      JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as {
        theme: string;
        firstRunDone: boolean;
      };
    await expect.poll(saved, { timeout: 10_000 }).toMatchObject({ theme: 'dark', firstRunDone: true });
  });

  it('follows theme and zoom menu actions sent to the service', async () => {
    // The ladder of the sample's first session: its state bands take the theme's colours.
    await page.locator('[data-testid=nav-files]').click();
    await page.locator('[data-testid=session-row]').first().click();
    const bandFill = () =>
      page.evaluate(() => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
          getComputedStyle(e: unknown): { fill: string };
        };
        const band = g.document.querySelector('.ladder-svg .band');
        return band ? `${band.getAttribute('class')}: ${g.getComputedStyle(band).fill}` : 'none';
      });
    // light-dark() pairs of LadderView.vue, as rgb().
    const LIGHT: Record<string, string> = {
      closed: 'rgb(156, 163, 175)',
      listen: 'rgb(14, 165, 233)',
      opening: 'rgb(245, 158, 11)',
      established: 'rgb(22, 163, 74)',
      closing: 'rgb(139, 92, 246)',
      'time-wait': 'rgb(100, 116, 139)',
    };
    const DARK: Record<string, string> = {
      closed: 'rgb(107, 114, 128)',
      listen: 'rgb(56, 189, 248)',
      opening: 'rgb(251, 191, 36)',
      established: 'rgb(74, 222, 128)',
      closing: 'rgb(167, 139, 250)',
      'time-wait': 'rgb(148, 163, 184)',
    };
    const expectFill = (colours: Record<string, string>) => (v: string) => {
      const m = /band-([\w-]+): (.*)$/.exec(v);
      return m !== null && colours[m[1]] === m[2];
    };
    expect((await invoke(app, 'app.menuAction', { action: 'theme-light' })).ok).toBe(true);
    await expect.poll(() => page.evaluate(htmlTheme)).toBe('light');
    await expect.poll(async () => expectFill(LIGHT)(await bandFill()), { timeout: 10_000 }).toBe(true);
    expect((await invoke(app, 'app.menuAction', { action: 'theme-dark' })).ok).toBe(true);
    await expect.poll(() => page.evaluate(htmlTheme)).toBe('dark');
    await expect.poll(async () => expectFill(DARK)(await bandFill())).toBe(true);
    expect((await invoke(app, 'app.menuAction', { action: 'theme-system' })).ok).toBe(true);
    await expect.poll(() => page.evaluate(htmlTheme)).toBe('none');
    expect((await invoke(app, 'app.menuAction', { action: 'zoom-in' })).ok).toBe(true);
    await expect.poll(() => page.evaluate(htmlZoom)).toBe('1.1');
    expect((await invoke(app, 'app.menuAction', { action: 'zoom-reset' })).ok).toBe(true);
    await expect.poll(() => page.evaluate(htmlZoom)).toBe('');
  });

  it('opens the simulation from the first-run screen', async () => {
    await page.locator('[data-testid=nav-help]').click();
    await expect
      .poll(() => page.locator('[data-testid=first-run]').isVisible(), { timeout: 10_000 })
      .toBe(true);
    await page.locator('[data-testid=first-run-simulation]').click();
    await expect
      .poll(() => page.locator('[data-testid=nav-simulate]').getAttribute('aria-current'))
      .toBe('page');
  });

  it('starts dismissed on the next visit', async () => {
    const again = await browser.newPage();
    await again.goto(app.url);
    await expect.poll(() => again.locator('[data-testid=nav-files]').count(), { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await again.locator('[data-testid=first-run]').count()).toBe(0);
    expect(existsSync(join(dataDir, 'settings.json'))).toBe(true);
    await again.close();
  });
});
