/**
 * The Files view's analysis tools in Chromium against web mode, on the real
 * captures in resources/captures: the sessions table sorts by a clicked
 * header (and reverses on a second click), filters by endpoint text, port,
 * outcome and analysis flag, and the selected session's analysis summary
 * (`session-analysis`) shows its outcome sentence, conn_state, ISNs, MSS and
 * flag counts — with tshark, run on the same file, as the reference for the
 * numbers. Needs `npx electron-vite build` first (`npm test` does it).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, prerequisites, ROOT, startWebApp, type WebApp } from './harness';

const CAPTURES = join(ROOT, 'resources', 'captures');
const missing = prerequisites();
// On CI every prerequisite is installed by `npm test`; a missing one is a failure, not a skip.
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

function tsharkFields(file: string, filter: string, ...fields: string[]): string[][] {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', join(CAPTURES, file), '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t'));
}

describe.skipIf(missing !== null)('Files view analysis in Chromium', () => {
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

  async function open(name: string, sessions: number): Promise<void> {
    page = await browser.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.setInputFiles('[data-testid=open-file-input]', join(CAPTURES, name));
    await expect.poll(() => rows().count(), { timeout: 15_000 }).toBe(sessions);
  }

  const rows = () => page.locator('[data-testid=session-row]');
  const ids = async () =>
    rows().evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-session-id'))));

  it('sorts by a clicked header and reverses on the second click', async () => {
    await open('lo-ipv4.pcap', 3);
    expect(await ids()).toEqual([0, 1, 2]);
    // tshark's packets per stream: the complete session has the most, the refused one the fewest.
    const perStream = new Map<number, number>();
    for (const [s] of tsharkFields('lo-ipv4.pcap', 'tcp', 'tcp.stream')) {
      perStream.set(Number(s), (perStream.get(Number(s)) ?? 0) + 1);
    }
    const byPackets = [...perStream].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map(([s]) => s);
    await page.click('[data-testid=sessions-sort-packets]');
    await expect.poll(ids).toEqual(byPackets);
    await expect
      .poll(() => page.locator('th:has([data-testid=sessions-sort-packets])').getAttribute('aria-sort'))
      .toBe('descending');
    await page.click('[data-testid=sessions-sort-packets]');
    await expect.poll(ids).toEqual([...byPackets].reverse());
    await page.click('[data-testid=sessions-sort-id]');
    await expect.poll(ids).toEqual([0, 1, 2]);
    expect(errors).toEqual([]);
  });

  it('filters by port, endpoint text and outcome', async () => {
    await open('lo-ipv4.pcap', 3);
    const filter = page.locator('[data-testid=sessions-filter]');
    await filter.fill('port:40102');
    await expect.poll(ids).toEqual([1]);
    await expect.poll(() => page.locator('[data-testid=sessions-count]').textContent()).toMatch(/1 of 3/);
    await filter.fill('127.0.0.1:40101');
    await expect.poll(() => rows().count()).toBe(2);
    await filter.fill('port:9');
    await expect.poll(() => rows().count()).toBe(0);
    await expect(page.locator('[data-testid=sessions-none-match]').isVisible()).resolves.toBe(true);
    await page.click('[data-testid=sessions-filter-clear]');
    await expect.poll(() => rows().count()).toBe(3);
    await page.selectOption('[data-testid=sessions-filter-outcome]', 'reset-by-a');
    await expect.poll(ids).toEqual([2]);
    expect(errors).toEqual([]);
  });

  it('a port scan: the outcome filter leaves the refused ports, tshark counts the accepted ones', async () => {
    const streams = new Set(tsharkFields('syn-scan.pcap', 'tcp', 'tcp.stream').map(([s]) => s)).size;
    const accepted = new Set(
      tsharkFields('syn-scan.pcap', 'tcp.flags.syn==1 && tcp.flags.ack==1', 'tcp.stream').map(([s]) => s),
    ).size;
    await open('syn-scan.pcap', streams);
    await page.locator('[data-testid=sessions-filter]').fill('outcome:refused');
    await expect.poll(() => rows().count()).toBe(streams - accepted);
    await page.locator('[data-testid=sessions-filter]').fill('');
    await page.selectOption('[data-testid=sessions-filter-outcome]', 'refused');
    await expect.poll(() => rows().count()).toBe(streams - accepted);
  });

  it('filters by analysis flag and shows the session analysis with tshark’s numbers', async () => {
    await open('congestion.pcap', 1);
    await page.selectOption('[data-testid=sessions-filter-flag]', 'retransmission');
    await expect.poll(() => rows().count()).toBe(1);
    await rows().first().click();
    const panel = page.locator('[data-testid=session-analysis]');
    await expect.poll(() => panel.isVisible(), { timeout: 10_000 }).toBe(true);

    const [[isnA, mssA]] = tsharkFields(
      'congestion.pcap',
      'tcp.flags.syn==1 && tcp.flags.ack==0',
      'tcp.seq_raw',
      'tcp.options.mss_val',
    );
    const [[isnB, mssB]] = tsharkFields(
      'congestion.pcap',
      'tcp.flags.syn==1 && tcp.flags.ack==1',
      'tcp.seq_raw',
      'tcp.options.mss_val',
    );
    expect(await panel.locator('[data-testid=session-isn-a]').textContent()).toBe(isnA);
    expect(await panel.locator('[data-testid=session-isn-b]').textContent()).toBe(isnB);
    expect(await panel.locator('[data-testid=session-mss-a]').textContent()).toBe(`${mssA} bytes`);
    expect(await panel.locator('[data-testid=session-mss-b]').textContent()).toBe(`${mssB} bytes`);
    expect(await panel.locator('[data-testid=session-conn-state]').textContent()).toBe('SF');
    expect(await panel.locator('[data-testid=session-outcome-text]').textContent()).toMatch(/complete/);

    for (const [flag, field] of [
      ['retransmission', 'tcp.analysis.retransmission'],
      ['dup-ack', 'tcp.analysis.duplicate_ack'],
    ]) {
      const expected = tsharkFields('congestion.pcap', field, 'frame.number').length;
      expect(expected).toBeGreaterThan(0);
      const item = panel.locator(`[data-testid=session-analysis-flag][data-flag=${flag}]`);
      expect(Number(await item.getAttribute('data-count')), flag).toBe(expected);
    }
    expect(await panel.textContent()).not.toMatch(/undefined|NaN|\[object Object\]/);
    expect(errors).toEqual([]);
  });

  it('a clean session says it has no analysis flags', async () => {
    await open('lo-ipv4.pcap', 3);
    await rows().first().click();
    const panel = page.locator('[data-testid=session-analysis]');
    await expect.poll(() => panel.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => panel.locator('[data-testid=session-conn-state]').textContent()).toBe('SF');
    expect(await panel.locator('[data-testid=session-mss-a]').textContent()).toBe('65495 bytes');
    await rows().nth(1).click();
    await expect.poll(() => panel.locator('[data-testid=session-conn-state]').textContent()).toBe('REJ');
    expect(await panel.locator('[data-testid=session-isn-b]').textContent()).toMatch(/not seen/);
  });
});

if (missing !== null) {
  describe('Files view analysis in Chromium (prerequisites)', () => {
    it.skip(`skipped: ${missing}`, () => {});
  });
}
