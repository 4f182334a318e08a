/**
 * The first-run screen and the menu's behaviour in web mode, in Chromium,
 * through the same LabService commands the desktop app uses: with a fresh
 * data directory the screen shows the sample capture, a simulation, the first
 * lab (or says there is none) and whether live capture works, with a reason;
 * the sample opens as a real capture; the theme choice sticks (data-theme and
 * settings.json); closing it persists; and menu actions sent as
 * `app.menuAction` over the page's own socket — Help ▸ Getting Started, the
 * theme, zoom, File ▸ Export Ladder… and Save Capture As… — reach the page as
 * events, as they would from the native menu: Export Ladder… opens the export
 * menu of the ladder on screen with the first item focused (Enter exports),
 * and both say what to do when there is no ladder or no live capture.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, launchChromium, prerequisites, startWebApp, type WebApp } from './harness';

const missing = prerequisites();
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

/** `<html>`'s data-theme and inline zoom, read in the page (typed without DOM lib). */
const htmlTheme = () =>
  (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document
    .documentElement.dataset.theme ?? 'none';
const htmlZoom = () =>
  (globalThis as unknown as { document: { documentElement: { style: { zoom: string } } } }).document
    .documentElement.style.zoom;

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

  it('says what to do on File ▸ Export Ladder… with no ladder, and Save Capture As… with no capture', async () => {
    const note = page.locator('[data-testid=menu-note]');
    // The sample is open, but no session is picked yet: no ladder on screen.
    expect(await page.locator('[data-testid=ladder]').count()).toBe(0);
    expect((await invoke(app, 'app.menuAction', { action: 'export-ladder' })).ok).toBe(true);
    await expect
      .poll(() => note.textContent(), { timeout: 10_000 })
      .toContain('Open a capture or a simulation and pick a session first.');
    // Nothing was captured live: the note says so, and the Files view stays.
    expect((await invoke(app, 'app.menuAction', { action: 'save-capture' })).ok).toBe(true);
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toContain('no live capture to save');
    expect(await note.textContent()).toContain('already on disk');
    expect(await page.locator('[data-testid=nav-files]').getAttribute('aria-current')).toBe('page');
    await note.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => note.count()).toBe(0);
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

  it('opens the export menu of the ladder on screen on File ▸ Export Ladder…, focused for the keyboard', async () => {
    // The previous test left the sample's first session on screen.
    await expect.poll(() => page.locator('[data-testid=ladder]').count()).toBe(1);
    const first = page.locator('[data-testid=ladder-export-svg-view]');
    const focused = () =>
      page.evaluate(
        () =>
          (
            globalThis as unknown as {
              document: { activeElement: { getAttribute(n: string): string | null } };
            }
          ).document.activeElement.getAttribute('data-testid') ?? '',
      );
    expect(await first.count()).toBe(0);
    expect((await invoke(app, 'app.menuAction', { action: 'export-ladder' })).ok).toBe(true);
    await expect.poll(() => first.isVisible(), { timeout: 10_000 }).toBe(true);
    for (const id of ['svg-all', 'png-view', 'png-all', 'mermaid', 'plantuml'])
      expect(await page.locator(`[data-testid=ladder-export-${id}]`).isVisible()).toBe(true);
    expect(await page.locator('[data-testid=ladder-export]').getAttribute('aria-expanded')).toBe('true');
    await expect.poll(focused).toBe('ladder-export-svg-view');
    expect(await page.locator('[data-testid=menu-note]').count()).toBe(0);
    // ↓ moves in the menu; Escape closes it and gives focus back to its button.
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('ladder-export-svg-all');
    await page.keyboard.press('Escape');
    await expect.poll(() => first.count()).toBe(0);
    expect(await focused()).toBe('ladder-export');
    // Again, and Enter exports the first item: the SVG of the view.
    expect((await invoke(app, 'app.menuAction', { action: 'export-ladder' })).ok).toBe(true);
    await expect.poll(focused, { timeout: 10_000 }).toBe('ladder-export-svg-view');
    const download = page.waitForEvent('download', { timeout: 10_000 });
    await page.keyboard.press('Enter');
    expect((await download).suggestedFilename()).toMatch(/\.svg$/);
    await expect.poll(() => first.count()).toBe(0);
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
