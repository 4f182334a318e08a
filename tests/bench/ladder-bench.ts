/**
 * The ladder at scale in Chromium: writes a 100,000-segment single-session
 * pcap (handshake, alternating data and ACKs, FIN teardown), starts the
 * built web mode, opens the file through the UI and measures in the page:
 * first render (click on the session row → first arrow drawn), time until all
 * rows are loaded, and frame-time percentiles (requestAnimationFrame deltas,
 * with Chromium's frame-rate limit off so a delta is the frame's real cost)
 * while scrolling programmatically, while zooming (Ctrl+wheel), and while
 * scrolling in time-true mode. Not a test: a script that prints figures.
 *   npm run bench -- ladder
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildFrame, PcapWriter } from '../../src-main/wire';
import { TCP_FLAG as F } from '../../src-shared/tcp';
import { CHROMIUM, prerequisites, startWebApp } from '../e2e/harness';

const SEGMENTS = 100_000;

function writeCapture(path: string): void {
  const w = PcapWriter.toFile(path, { linkType: 1 });
  const a = '10.1.0.1';
  const b = '10.1.0.2';
  let t = 1_700_000_000;
  let n = 0;
  const seg = (fromA: boolean, flags: number, seq: number, ack: number, len: number): void => {
    t += 0.0002;
    n++;
    w.writePacket({
      time: t,
      data: buildFrame({
        src: fromA ? a : b,
        dst: fromA ? b : a,
        srcPort: fromA ? 50_000 : 443,
        dstPort: fromA ? 443 : 50_000,
        seq: seq >>> 0,
        ack: ack >>> 0,
        flags,
        window: 64_240,
        options: flags & F.SYN ? [{ kind: 'mss', value: 1460 }] : [],
        payload: len ? new Uint8Array(len) : undefined,
      }),
    });
  };
  const isa = 0xfff0_0000;
  const isb = 123_456_789;
  seg(true, F.SYN, isa, 0, 0);
  seg(false, F.SYN | F.ACK, isb, isa + 1, 0);
  seg(true, F.ACK, isa + 1, isb + 1, 0);
  let sa = isa + 1;
  const sb = isb + 1;
  while (n < SEGMENTS - 3) {
    seg(true, F.PSH | F.ACK, sa, sb, 10);
    sa += 10;
    if (n < SEGMENTS - 3) seg(false, F.ACK, sb, sa, 0);
  }
  seg(true, F.FIN | F.ACK, sa, sb, 0);
  seg(false, F.FIN | F.ACK, sb, sa + 1, 0);
  seg(true, F.ACK, sa + 1, sb + 1, 0);
  w.close();
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

export async function run(): Promise<Record<string, number>> {
  const missing = prerequisites();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-ladder-bench-'));
  const file = join(dir, 'ladder-100k.pcap');
  writeCapture(file);
  const app = await startWebApp();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-frame-rate-limit',
      '--disable-gpu-vsync',
      '--no-first-run',
    ],
  });
  const figures: Record<string, number> = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(app.url);
    await page.setInputFiles('[data-testid=open-file-input]', file);
    await page.locator('[data-testid=session-row]').first().waitFor({ timeout: 60_000 });

    // First render: from the click on the session to the first arrow on screen, timed in the page.
    const opened = (await page.evaluate(`new Promise((resolve) => {
      const t0 = performance.now();
      let first = 0;
      document.querySelector('[data-testid=session-row]').click();
      const poll = () => {
        if (!first && document.querySelector('[data-testid=ladder-arrow]')) first = performance.now() - t0;
        const l = document.querySelector('[data-testid=ladder]');
        if (first && l && l.getAttribute('data-loaded-rows') === l.getAttribute('data-total-rows'))
          resolve({ first, all: performance.now() - t0 });
        else requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    })`)) as { first: number; all: number };
    figures.firstRenderMs = opened.first;
    figures.allRowsLoadedMs = opened.all;
    const loaded = Number(await page.locator('[data-testid=ladder]').getAttribute('data-loaded-rows'));
    figures.rows = loaded;

    // Frame times: rAF deltas while something changes every frame.
    const frames = (kind: 'scroll' | 'zoom', count: number): Promise<number[]> =>
      page.evaluate(`new Promise((resolve) => {
        const kind = ${JSON.stringify(kind)};
        const count = ${count};
        const el = document.querySelector('.ladder-scroll');
        const deltas = [];
        let last = performance.now();
        let i = 0;
        const step = () => {
          const now = performance.now();
          if (i > 0) deltas.push(now - last);
          last = now;
          if (i++ >= count) return resolve(deltas);
          if (kind === 'scroll') el.scrollTop += 1500;
          else {
            const r = el.getBoundingClientRect();
            el.dispatchEvent(new WheelEvent('wheel', {
              deltaY: i % 40 < 20 ? -60 : 60, ctrlKey: true, clientY: r.top + r.height / 2, bubbles: true, cancelable: true,
            }));
          }
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      })`);
    const report = (name: string, d: number[]): void => {
      figures[`${name}P50Ms`] = pct(d, 50);
      figures[`${name}P95Ms`] = pct(d, 95);
      figures[`${name}P99Ms`] = pct(d, 99);
    };
    await frames('scroll', 30); // warm up
    report('scroll', await frames('scroll', 400));
    report('zoom', await frames('zoom', 200));
    await page.locator('[data-testid=ladder-zoom-reset]').click();
    await page.locator('[data-testid=ladder-mode-time]').check();
    await page.evaluate(`document.querySelector('.ladder-scroll').scrollTop = 0`);
    report('timeTrueScroll', await frames('scroll', 300));
    const arrowsInDom = await page.locator('[data-testid=ladder-arrow]').count();
    figures.arrowsInDom = arrowsInDom;
  } finally {
    await browser.close();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : String(n));
  console.log(`ladder: ${figures.rows} rows in one session`);
  console.log(
    `  first render ${f(figures.firstRenderMs)} ms (target < 300), all rows ${f(figures.allRowsLoadedMs)} ms`,
  );
  for (const k of ['scroll', 'zoom', 'timeTrueScroll']) {
    console.log(
      `  ${k.padEnd(15)} frame p50 ${f(figures[`${k}P50Ms`])} ms  p95 ${f(figures[`${k}P95Ms`])} ms  p99 ${f(figures[`${k}P99Ms`])} ms (target p95 < 16)`,
    );
  }
  console.log(`  arrows in the DOM at the end: ${figures.arrowsInDom}`);
  return figures;
}
