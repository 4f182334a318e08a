/**
 * The Capture view end to end in Chromium against web mode (the server runs
 * as root here, so it can capture on `lo`): start the echo lab target, filter
 * on its port, capture, run a graceful client and see the session with its
 * handshake and teardown on the live ladder; hold a connection, inject an
 * exact RST toward the server through the confirmation step and see the
 * reaction `reset` (and the server socket's ECONNRESET); a bad filter shows
 * libpcap's words; once stopped, File ▸ Save Capture As… (the menu action
 * sent to the service) brings back the Capture view and downloads the
 * pcapng. Skipped without root or the built app (a failure on CI).
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, launchChromium, prerequisites, startWebApp, type WebApp } from './harness';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const missing = prerequisites() ?? (isRoot ? null : 'live capture needs root: run the tests with sudo');
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

describe.skipIf(missing !== null)('the Capture view in Chromium (web mode, root)', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.click('[data-testid=nav-capture]');
    await page.waitForSelector('[data-testid=capture-iface] option[value=lo]', {
      state: 'attached',
      timeout: 15_000,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const tid = (id: string) => page.locator(`[data-testid=${id}]`);

  it("shows libpcap's words for a bad filter", async () => {
    await tid('capture-iface').selectOption('lo');
    await tid('capture-filter').fill('tcp port (');
    await tid('capture-start').click();
    await expect
      .poll(() => tid('capture-error').textContent(), { timeout: 10_000 })
      .toMatch(/not valid: .*syntax error/);
    await expect.poll(() => tid('capture-counters').getAttribute('data-state')).not.toBe('running');
  });

  it('captures a real handshake and teardown from the lab targets and draws them live', async () => {
    await tid('capture-target-echo').click();
    const server = tid('capture-target-server');
    await expect.poll(() => server.count(), { timeout: 10_000 }).toBe(1);
    const port = Number(await server.getAttribute('data-port'));
    expect(port).toBeGreaterThan(0);
    await tid('capture-filter-preset-port').click();
    expect(await tid('capture-filter').inputValue()).toBe(`tcp port ${port}`);
    await tid('capture-start').click();
    await expect
      .poll(() => tid('capture-counters').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('running');
    await expect.poll(() => tid('capture-error').count()).toBe(0);

    await tid('capture-target-graceful').click();
    const report = page.locator(
      '[data-testid=capture-target-report][data-role=client][data-action=graceful]',
    );
    await expect
      .poll(() => report.first().textContent(), { timeout: 10_000 })
      .toContain('connect, data(6), EOF, close');

    const row = tid('capture-session-row');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => row.first().getAttribute('data-outcome'), { timeout: 10_000 }).toBe('complete');
    await row.first().click();
    const arrows = tid('ladder-arrow');
    // SYN, SYN-ACK, ACK, data, ACK, echo, ACK, FIN, FIN, ACK (give or take delayed ACKs)
    await expect.poll(() => arrows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
    const ladder = (await tid('ladder').textContent()) ?? '';
    expect(ladder).toContain('SYN');
    expect(ladder).toContain('FIN');
    expect(Number(await tid('capture-counters').getAttribute('data-decoded'))).toBeGreaterThanOrEqual(8);
  });

  it('injects an exact RST toward the server of a held connection and shows the reset', async () => {
    await tid('capture-target-hold').click();
    const report = page.locator('[data-testid=capture-target-report][data-role=client][data-action=hold]');
    await expect.poll(() => report.count(), { timeout: 10_000 }).toBe(1);
    const clientPort = await report.first().getAttribute('data-local-port');
    const row = tid('capture-session-row');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(2);
    await row.nth(1).click();
    await expect.poll(() => tid('ladder-arrow').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);

    await tid('capture-inject-flag').selectOption('RST');
    await tid('capture-inject-toward').selectOption('b');
    await tid('capture-inject-seq').selectOption('exact');
    await tid('capture-inject-send').click();
    await expect
      .poll(() => tid('capture-inject-question').textContent())
      .toMatch(/Send a real RST on lo from/);
    await tid('capture-inject-confirm').click();
    const reaction = tid('capture-inject-reaction');
    await expect.poll(() => reaction.getAttribute('data-reaction'), { timeout: 15_000 }).toBe('reset');
    // The server's socket says what it saw.
    const serverReport = page.locator(
      `[data-testid=capture-target-report][data-role=server][data-local-port="${clientPort}"]`,
    );
    await expect.poll(() => serverReport.first().textContent(), { timeout: 10_000 }).toContain('ECONNRESET');
    // The injected RST is on the live ladder.
    await expect.poll(() => tid('ladder').textContent(), { timeout: 10_000 }).toContain('RST');
    expect(errors).toEqual([]);
  });

  it('stops, and reopens the saved pcapng as a file', async () => {
    await tid('capture-stop').click();
    await expect
      .poll(() => tid('capture-counters').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('stopped');
    await tid('capture-reopen').click();
    await expect.poll(() => page.locator('[data-testid=session-row]').count(), { timeout: 15_000 }).toBe(2);
  });

  it('saves the stopped capture as pcapng on File ▸ Save Capture As…', async () => {
    // The reopened capture left the Files view on screen.
    expect(await tid('nav-files').getAttribute('aria-current')).toBe('page');
    const download = page.waitForEvent('download', { timeout: 15_000 });
    expect((await invoke(app, 'app.menuAction', { action: 'save-capture' })).ok).toBe(true);
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.pcapng$/);
    expect(await tid('nav-capture').getAttribute('aria-current')).toBe('page');
    const path = await file.path();
    expect(readFileSync(path).readUInt32LE(0)).toBe(0x0a0d0d0a); // a pcapng section header block
    expect(await tid('menu-note').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
