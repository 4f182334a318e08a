/**
 * The Simulate view in a real browser against web mode: load the handshake,
 * step until three arrows are drawn and both hosts are ESTABLISHED, step back
 * (an arrow goes away); on an established connection inject an in-window RST
 * from A (B answers with a challenge ACK, whose explanation says so), then an
 * exact RST (B goes to CLOSED); play a scenario to its end at full speed; and
 * build a custom scenario with a closed port.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, prerequisites, startWebApp, type WebApp } from './harness';

const missing = prerequisites();
// On CI every prerequisite is installed by `npm test`; a missing one is a failure, not a skip.
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

describe.skipIf(missing !== null)('the Simulate view in Chromium', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const arrows = () => page.locator('[data-testid=ladder-arrow]');
  const hostState = (h: string) => page.locator(`[data-testid=sim-host-state-${h}]`).textContent();

  async function openSimulate(): Promise<void> {
    page = await browser.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.click('[data-testid=nav-simulate]');
    await expect
      .poll(() => page.locator('[data-testid=sim-scenario-select] option').count(), { timeout: 15_000 })
      .toBeGreaterThan(10);
  }

  async function load(name: string): Promise<void> {
    await page.selectOption('[data-testid=sim-scenario-select]', name);
    await page.click('[data-testid=sim-load]');
    await expect.poll(() => page.locator('[data-testid=sim-clock]').getAttribute('data-now')).toBe('0');
    await expect.poll(() => page.locator('[data-testid=sim-title]').textContent()).toBeTruthy();
  }

  /** Clicks Step until `done` holds (at most `max` clicks). */
  async function stepUntil(done: () => Promise<boolean>, max = 40): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (await done()) return;
      const steps = await page.locator('[data-testid=sim-clock]').textContent();
      await page.click('[data-testid=sim-step]');
      await expect.poll(() => page.locator('[data-testid=sim-clock]').textContent()).not.toBe(steps);
    }
    throw new Error('the condition never held');
  }

  it('steps the handshake to three arrows and ESTABLISHED on both hosts, and steps back', async () => {
    await openSimulate();
    await load('handshake');
    expect(await hostState('A')).toBe('CLOSED');
    expect(await hostState('B')).toBe('LISTEN');
    await stepUntil(async () => (await arrows().count()) === 3);
    expect(await page.locator('[data-testid=ladder]').textContent()).toContain('SYN');
    await stepUntil(async () => (await hostState('B')) === 'ESTABLISHED');
    expect(await hostState('A')).toBe('ESTABLISHED');
    expect(await arrows().count()).toBe(3);

    // The explanation of the SYN-ACK names the rule's RFC.
    await arrows().nth(1).click();
    await expect
      .poll(() => page.locator('[data-testid=sim-explain]').textContent())
      .toMatch(/Why did B send this\?/);
    expect(await page.locator('[data-testid=sim-explain]').textContent()).toMatch(/SYN-ACK.*RFC 9293/s);

    // Back: B returns to SYN-RECEIVED, then the ACK's arrow goes away.
    await page.click('[data-testid=sim-back]');
    await expect.poll(() => hostState('B')).toBe('SYN-RECEIVED');
    expect(await arrows().count()).toBe(3);
    await page.click('[data-testid=sim-back]');
    await expect.poll(() => arrows().count()).toBe(2);
    expect(await hostState('A')).toBe('SYN-SENT');
    expect(errors).toEqual([]);
  });

  it('injects an in-window RST (challenge ACK), then an exact RST (CLOSED)', async () => {
    await openSimulate();
    await load('handshake');
    await stepUntil(async () => (await hostState('B')) === 'ESTABLISHED');
    const before = await arrows().count();

    await page.selectOption('[data-testid=sim-inject-from]', 'A');
    await page.selectOption('[data-testid=sim-inject-flag]', 'RST');
    await page.selectOption('[data-testid=sim-inject-seq]', 'in-window');
    await page.click('[data-testid=sim-inject-button]');
    await expect.poll(() => arrows().count()).toBe(before + 1);
    await stepUntil(async () => (await arrows().count()) === before + 2);
    await arrows().last().click();
    const explain = page.locator('[data-testid=sim-explain]');
    await expect.poll(() => explain.textContent()).toMatch(/challenge ACK/);
    expect(await explain.textContent()).toMatch(/RFC 5961/);
    expect(await hostState('B')).toBe('ESTABLISHED');

    await page.selectOption('[data-testid=sim-inject-seq]', 'exact');
    await page.click('[data-testid=sim-inject-button]');
    await expect.poll(() => arrows().count()).toBe(before + 3);
    await stepUntil(async () => (await hostState('B')) === 'CLOSED');
    expect(await hostState('A')).toBe('ESTABLISHED');
    await expect.poll(() => page.locator('[data-testid=sim-log]').textContent()).toMatch(/ECONNRESET/);
    expect(errors).toEqual([]);
  });

  it('plays a scenario to its end', async () => {
    await openSimulate();
    await load('teardown');
    await page.locator('[data-testid=sim-speed]').fill('4');
    await page.click('[data-testid=sim-play]');
    await expect
      .poll(() => page.locator('[data-testid=sim-clock]').getAttribute('data-done'), { timeout: 20_000 })
      .toBe('true');
    await expect.poll(() => page.locator('[data-testid=sim-play]').isDisabled()).toBe(true);
    expect(await arrows().count()).toBe(7);
    expect(await hostState('A')).toBe('CLOSED');
    expect(errors).toEqual([]);
  });

  it('builds a custom scenario with a closed port', async () => {
    await openSimulate();
    await page.click('[data-testid=sim-build-toggle]');
    await page.fill('[data-testid=sim-custom-latency]', '25');
    await page.fill('[data-testid=sim-custom-port]', '8080');
    await page.check('[data-testid=sim-custom-closed]');
    await page.selectOption('[data-testid=sim-custom-client]', 'connect');
    await page.click('[data-testid=sim-custom-load]');
    await expect.poll(() => page.locator('[data-testid=sim-title]').textContent()).toMatch(/Custom scenario/);
    await stepUntil(async () => (await arrows().count()) === 2);
    await arrows().last().click();
    await expect.poll(() => page.locator('[data-testid=sim-explain]').textContent()).toMatch(/RST/);
    await stepUntil(async () => (await hostState('A')) === 'CLOSED');
    await expect.poll(() => page.locator('[data-testid=sim-log]').textContent()).toMatch(/ECONNREFUSED/);
    expect(errors).toEqual([]);
  });
});
