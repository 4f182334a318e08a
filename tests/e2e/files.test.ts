/**
 * The foundation slice in a real browser: open the shared captures in web
 * mode, read the sessions table, open a session's ladder, count its arrows,
 * click one and read its decoded fields; a malformed file shows its error;
 * requests and sockets without the token are refused.
 */
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, PCAPS, prerequisites, startWebApp, type WebApp } from './harness';

const missing = prerequisites();
// On CI every prerequisite is installed by `npm test`; a missing one is a failure, not a skip.
if (missing && process.env.CI) throw new Error(`end-to-end prerequisites missing: ${missing}`);

describe.skipIf(missing !== null)('web mode in Chromium', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function openCapture(name: string) {
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.setInputFiles('[data-testid=open-file-input]', join(PCAPS, name));
    return errors;
  }

  it('opens a handshake capture and draws its ladder', async () => {
    const errors = await openCapture('tcp-handshake-nano.pcap');
    const rows = page.locator('[data-testid=session-row]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // tshark is the reference for how many packets the first session holds.
    const expected = Number(
      execFileSync('tshark', ['-r', join(PCAPS, 'tcp-handshake-nano.pcap'), '-Y', 'tcp.stream==0'], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n').length,
    );
    await rows.first().click();
    const arrows = page.locator('[data-testid=ladder-arrow]');
    await expect.poll(() => arrows.count(), { timeout: 10_000 }).toBe(expected);
    await expect.poll(() => page.locator('[data-testid=ladder]').textContent()).toContain('SYN');
    await arrows.first().click();
    const pane = page.locator('[data-testid=details-pane]');
    await expect
      .poll(() => pane.textContent(), { timeout: 10_000 })
      .toMatch(/Transmission Control Protocol|TCP/);
    await expect.poll(() => page.locator('[data-testid=detail-field]').count()).toBeGreaterThan(5);
    expect(errors).toEqual([]);
  });

  it('lists every TCP session of a capture', async () => {
    await openCapture('dns_tcp.pcap');
    const expected = new Set(
      execFileSync('tshark', ['-r', join(PCAPS, 'dns_tcp.pcap'), '-T', 'fields', '-e', 'tcp.stream'], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter((l) => l.trim() !== ''),
    ).size;
    await expect
      .poll(() => page.locator('[data-testid=session-row]').count(), { timeout: 15_000 })
      .toBe(expected);
  });

  it('shows a clear error for a malformed capture', async () => {
    await openCapture('tcp_header_heapoverflow.pcap');
    const text = await page.locator('body').textContent();
    // Either the file is refused with a sentence, or its malformed frames are counted with a reason.
    await expect
      .poll(
        async () => {
          const err = page.locator('[data-testid=file-error]');
          return (await err.count()) > 0 ? ((await err.first().textContent()) ?? '') : '';
        },
        { timeout: 15_000 },
      )
      .toMatch(/malformed|damaged|offset|byte|not a/i);
    expect(text).not.toMatch(/undefined|\[object Object\]/);
  });

  it('shows a clear error for a file that is not a capture', async () => {
    page = await browser.newPage();
    await page.goto(app.url);
    await page.setInputFiles('[data-testid=open-file-input]', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('this is not a capture file at all\n'),
    });
    await expect
      .poll(async () => (await page.locator('[data-testid=file-error]').first().textContent()) ?? '', {
        timeout: 15_000,
      })
      .toMatch(/not a pcap or pcapng/i);
  });

  it('refuses requests and sockets without the token', async () => {
    const noToken = await fetch(`${app.origin}/`);
    expect([401, 403]).toContain(noToken.status);
    const badToken = await fetch(`${app.origin}/?token=${'0'.repeat(64)}`);
    expect([401, 403]).toContain(badToken.status);
    const ok = await fetch(app.url);
    expect(ok.status).toBe(200);
    const outcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${app.port}/ws`, { origin: app.origin });
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    const wrongOrigin = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${app.port}/ws?token=${app.token}`, {
        origin: 'http://evil.example',
      });
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', () => resolve('refused'));
    });
    expect(wrongOrigin).toBe('refused');
  });
});

if (missing !== null) {
  describe('web mode in Chromium (prerequisites)', () => {
    it.skip(`skipped: ${missing}`, () => {});
  });
}
