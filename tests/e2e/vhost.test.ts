/**
 * The "Real peer" view in Chromium against web mode, with a real Linux kernel:
 * create a lab network (its addresses are shown), start the virtual host on
 * it, connect to the kernel server the app starts in the namespace and see
 * the three handshake arrows with ESTABLISHED on both sides (the virtual
 * host's exact state, the kernel's inferred one), inject an in-window RST
 * (the kernel's challenge ACK appears, explained with RFC 5961), close with
 * FIN, and remove the lab network. The namespace is removed in afterAll even
 * when a step fails. Needs root (the web server creates the namespace):
 * skipped otherwise, failed on CI.
 */
import { execFileSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, prerequisites, startWebApp, type WebApp } from './harness';

const missing = prerequisites();
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const notRoot =
  process.platform !== 'linux' || !isRoot
    ? 'needs root on Linux (the web server creates a network namespace and sends raw frames): run with sudo'
    : null;
// On CI every prerequisite is installed and tests run as root: a missing one is a failure, not a skip.
if ((missing || notRoot) && process.env.CI)
  throw new Error(`Real peer end-to-end prerequisites missing: ${missing ?? notRoot}`);
if (!missing && notRoot) it.skip(`Real peer view skipped: ${notRoot}`, () => {});

function namespaces(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
}

describe.skipIf(missing !== null || notRoot !== null)('the Real peer view in Chromium (root)', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  let index: number | null = null;

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    // The server removes the lab networks it made when it stops; make sure of it even if it crashed.
    await app?.stop();
    if (index !== null) {
      for (const args of [
        ['link', 'del', `tcplab-h${index}`],
        ['netns', 'del', `tcplab-ns${index}`],
      ]) {
        try {
          execFileSync('ip', args, { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
      expect(namespaces()).not.toMatch(new RegExp(`^tcplab-ns${index}\\b`, 'm'));
    }
  });

  const arrows = () => page.locator('[data-testid=ladder-arrow]');
  const state = (side: 'virtual' | 'kernel') =>
    page.locator(`[data-testid=vhost-state-${side}]`).textContent();

  it('creates a lab network, handshakes with the kernel, draws its challenge ACK, closes and tears down', async () => {
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.click('[data-testid=nav-vhost]');

    await page.click('[data-testid=vhost-labnet-up]');
    const item = page
      .locator('[data-testid^=vhost-labnet-]')
      .filter({ has: page.locator('[data-testid=vhost-labnet-addresses]') });
    await expect.poll(() => item.count(), { timeout: 15_000 }).toBe(1);
    const id = await item.first().getAttribute('data-testid');
    index = Number(/vhost-labnet-(\d+)/.exec(id ?? '')?.[1]);
    expect(index).toBeGreaterThan(0);
    expect(await item.first().locator('[data-testid=vhost-labnet-addresses]').textContent()).toContain(
      `10.213.${index}.2/24`,
    );
    expect(namespaces()).toMatch(new RegExp(`^tcplab-ns${index}\\b`, 'm'));

    await page.click('[data-testid=vhost-start]');
    await expect
      .poll(() => page.locator('[data-testid=vhost-connect]').isVisible(), { timeout: 15_000 })
      .toBe(true);
    await page.fill('[data-testid=vhost-port]', String(20000 + Math.floor(Math.random() * 20000)));
    await page.click('[data-testid=vhost-connect]');

    await expect.poll(() => arrows().count(), { timeout: 15_000 }).toBe(3);
    await expect.poll(() => state('kernel'), { timeout: 10_000 }).toBe('ESTABLISHED');
    expect(await state('virtual')).toBe('ESTABLISHED');
    const ladder = page.locator('[data-testid=ladder]');
    expect(await ladder.textContent()).toMatch(/virtual \(exact state\)/);
    expect(await ladder.textContent()).toMatch(/Linux kernel \(inferred state\)/);
    expect(await ladder.textContent()).toContain('SYN');

    await page.selectOption('[data-testid=vhost-inject-flag]', 'RST');
    await page.selectOption('[data-testid=vhost-inject-seq]', 'in-window');
    await page.click('[data-testid=vhost-inject-button]');
    await expect.poll(() => arrows().count(), { timeout: 10_000 }).toBe(5);
    await arrows().last().click();
    const explain = page.locator('[data-testid=vhost-explain]');
    await expect.poll(() => explain.textContent()).toMatch(/challenge ACK/);
    expect(await explain.textContent()).toMatch(/RFC 5961/);
    expect(await state('kernel')).toBe('ESTABLISHED');

    await page.click('[data-testid=vhost-close-fin]');
    await expect.poll(() => state('virtual'), { timeout: 10_000 }).toBe('TIME-WAIT');
    await expect.poll(() => state('kernel'), { timeout: 10_000 }).toBe('CLOSED');

    await page.click('[data-testid=vhost-labnet-down]');
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(0);
    expect(namespaces()).not.toMatch(new RegExp(`^tcplab-ns${index}\\b`, 'm'));
    expect(await page.locator('[data-testid=vhost-error]').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
