/**
 * A learner completes a lab through the UI in Chromium (web mode): opens the
 * Labs tab, starts "Refused ports", connects to a closed port, runs the
 * simulation, answers the questions, sees full marks, exports the HTML report
 * (a browser download) — and `tcplab lab grade` (in-process `main()`) reads
 * the report back with the same score. A second test predicts a segment in
 * predict-the-packet mode and reads the revealed explanation. A third opens
 * a lab file of the learner's own through "Open lab file…": a broken one is
 * refused with its file:line:col, a good one opens and joins the list.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src-main/app/cli-main';
import { launchChromium, prerequisites, startWebApp, type WebApp } from './harness';

/** A lab of one's own, as a teacher would write it (its id comes from the file name). */
const MY_LAB = `title: Knock, knock
objectives: [Read the RST a closed port answers with]
setup:
  simulation:
    hosts:
      A: { address: 10.0.0.1 }
      B: { address: 10.0.0.2, listen: [80] }
    link: { latency: 10 }
steps:
  - title: Knock on a closed port
    text: Make A connect to port 81 of B, where nothing listens.
    actions:
      - { host: A, do: connect, to: B, ports: [81] }
    checks:
      - id: rst
        text: B answers the SYN with RST,ACK
        segment: { from: B, flags: [RST, ACK] }
solution:
  actions:
    - { at: 0, host: A, do: connect, to: B, port: 81 }
`;

const missing = prerequisites();
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

describe.skipIf(missing !== null)('labs in Chromium', () => {
  let app: WebApp;
  let browser: Browser;
  const tmp = mkdtempSync(join(tmpdir(), 'tcplab-e2e-labs-'));
  const savedDataDir = process.env.TCPLAB_DATA_DIR;

  beforeAll(async () => {
    process.env.TCPLAB_DATA_DIR = join(tmp, 'data'); // inherited by the web-mode child
    app = await startWebApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (savedDataDir === undefined) delete process.env.TCPLAB_DATA_DIR;
    else process.env.TCPLAB_DATA_DIR = savedDataDir;
    rmSync(tmp, { recursive: true, force: true });
  });

  async function openLab(page: Page, id: string): Promise<void> {
    await page.goto(app.url);
    await page.click('[data-testid=nav-labs]');
    const item = page.locator(`[data-testid=lab-item][data-lab=${id}]`);
    await expect.poll(() => item.count(), { timeout: 15_000 }).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid=lab-list] [data-testid=lab-item]').count())
      .toBeGreaterThanOrEqual(12);
    await item.locator('[data-testid=lab-start]').click();
  }

  it('completes a lab, exports the report, and grades it back with the same score', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openLab(page, 'refused');
    const score = page.locator('[data-testid=lab-score]');
    await expect.poll(() => score.getAttribute('data-score')).toBe('0');
    await page.selectOption('[data-testid=lab-action-port-0-0]', '81');
    await page.click('[data-testid=lab-action-0-0]');
    await page.click('[data-testid=lab-step]');
    await page.click('[data-testid=lab-run]');
    await expect.poll(() => page.locator('[data-testid=lab-ladder]').getAttribute('data-rows')).toBe('2');
    await expect.poll(() => page.locator('[data-testid=lab-ladder]').textContent()).toContain('RST');
    await page.fill('[data-testid=lab-answer-rst-seq]', '0');
    await page.press('[data-testid=lab-answer-rst-seq]', 'Enter');
    await page.fill('[data-testid=lab-answer-rst-ack]', '1');
    await page.press('[data-testid=lab-answer-rst-ack]', 'Enter');
    await page.selectOption('[data-testid=lab-answer-a-state]', 'CLOSED');
    await expect.poll(() => score.getAttribute('data-score'), { timeout: 10_000 }).toBe('6');
    expect(await score.getAttribute('data-max')).toBe('6');
    const results = page.locator('[data-testid=lab-check-result]');
    expect(await results.count()).toBe(5);
    expect(await page.locator('[data-testid=lab-check-result][data-passed=true]').count()).toBe(5);
    await page.fill('[data-testid=lab-learner]', 'Ada Lovelace');
    await page.press('[data-testid=lab-learner]', 'Tab');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=lab-export-html]'),
    ]);
    expect(download.suggestedFilename()).toBe('tcplab-refused-ada-lovelace.html');
    const reports = join(tmp, 'reports');
    await download.saveAs(join(reports, download.suggestedFilename()));
    expect(readdirSync(reports)).toEqual(['tcplab-refused-ada-lovelace.html']);

    let out = '';
    const io: CliIo = {
      stdout: (t) => void (out += t),
      stderr: () => {},
      waitForStop: () => Promise.resolve(),
    };
    expect(await main(['lab', 'grade', reports, '--csv'], io)).toBe(0);
    const row = out.trim().split('\n')[1].split(',');
    expect(row.slice(0, 4)).toEqual(['Ada Lovelace', 'refused', '6', '6']);
    expect(row[4]).toBe('rst-ack=pass refused=pass rst-seq=pass rst-relack=pass a-state=pass');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens a lab file of your own: a broken one says the line, a good one opens and is listed', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.click('[data-testid=nav-labs]');
    await expect
      .poll(() => page.locator('[data-testid=lab-list] [data-testid=lab-item]').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(12);
    const input = page.locator('[data-testid=lab-file-input]');
    const file = (name: string, text: string) => ({ name, mimeType: 'text/yaml', buffer: Buffer.from(text) });

    await input.setInputFiles(file('knock.yaml', MY_LAB.replace('  - title: Knock', '  - titel: Knock')));
    const error = page.locator('[data-testid=lab-error]');
    await expect
      .poll(() => error.textContent(), { timeout: 10_000 })
      .toMatch(/knock\.yaml:\d+:\d+: steps\[0\]/);

    await input.setInputFiles(file('knock.yaml', MY_LAB));
    await expect
      .poll(() => page.locator('.lab-head h2').textContent(), { timeout: 10_000 })
      .toBe('Knock, knock');
    expect(await error.count()).toBe(0);
    await page.click('[data-testid=lab-action-0-0]');
    await page.click('[data-testid=lab-run]');
    await expect.poll(() => page.locator('[data-testid=lab-ladder]').getAttribute('data-rows')).toBe('2');
    await expect
      .poll(() => page.locator('[data-testid=lab-check-result][data-check=rst]').getAttribute('data-passed'))
      .toBe('true');
    await page.click('[data-testid=lab-back]');
    const items = page.locator('[data-testid=lab-list] [data-testid=lab-item]');
    await expect.poll(() => items.last().getAttribute('data-lab')).toBe('knock');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('predicts a packet and shows the explanation', async () => {
    const page = await browser.newPage();
    await openLab(page, 'predict-connection');
    await page.fill('[data-testid=lab-predict-flags]', 'SYN');
    await page.fill('[data-testid=lab-predict-seq]', '0');
    await page.selectOption('[data-testid=lab-predict-state]', 'SYN-SENT');
    await page.click('[data-testid=lab-predict-submit]');
    const result = page.locator('[data-testid=lab-predict-result]');
    await expect.poll(() => result.count(), { timeout: 10_000 }).toBe(1);
    expect(await result.first().textContent()).toMatch(/flags ✓ seq ✓ ack ✓ state ✓/);
    expect(await page.locator('[data-testid=lab-predict-explain]').first().textContent()).toMatch(/RFC/);
    await expect.poll(() => page.locator('[data-testid=lab-ladder]').getAttribute('data-rows')).toBe('1');
    await page.close();
  });
});
