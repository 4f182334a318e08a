/**
 * `tcplab analyze` on two threads (service/analyze-pipeline.ts) gives the
 * same bytes, stderr and exit status as on one, run as users run it: the
 * BUILT CLI (`npm test` builds first) as a child process. TCPLAB_ANALYZE_THREADS
 * =2 hands the decoding thread every frame, so the shared ring carries every
 * segment of each real capture (../shared/pcaps, some malformed on purpose,
 * and resources/captures), of copies cut part-way and cut in the first record;
 * a generated capture above the size threshold runs the default path, where
 * this thread reads the first frames itself and hands the rest over.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_MIN_BYTES } from '../../../src-main/service/analyze-pipeline';
import { captureFiles, OUR_CAPTURES, SHARED_PCAPS } from '../capture-files';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'bin', 'tcplab.js');
const WORKER = join(ROOT, 'out', 'main', 'decode-worker.js');
const tmp = mkdtempSync(join(tmpdir(), 'tcplab-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILES = [...captureFiles(SHARED_PCAPS), ...captureFiles(OUR_CAPTURES)];

function analyze(file: string, threads: string | undefined, json = true) {
  const env = { ...process.env };
  delete env.TCPLAB_ANALYZE_THREADS;
  if (threads !== undefined) env.TCPLAB_ANALYZE_THREADS = threads;
  const r = spawnSync(process.execPath, [CLI, 'analyze', file, ...(json ? ['--json'] : [])], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('analyze on two threads', () => {
  it('has the built CLI and decoding worker to run', () => {
    expect(existsSync(CLI) && existsSync(WORKER)).toBe(true);
    expect(FILES.length).toBeGreaterThan(10);
  });

  it.each(FILES.map((f) => [basename(f), f]))('%s: same output as one thread', (_name, file) => {
    const one = analyze(file, '1');
    const two = analyze(file, '2');
    expect(two).toEqual(one);
    // A copy cut in the middle of a record: what was read, then exit 2 naming the byte offset.
    const bytes = readFileSync(file);
    const cut = join(tmp, `cut-${basename(file)}`);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6) + 3));
    expect(analyze(cut, '2')).toEqual(analyze(cut, '1'));
  });

  it('reports a file broken in its first record as one thread does', () => {
    const file = FILES.find((f) => f.endsWith('lo-ipv4.pcap'))!;
    const cut = join(tmp, 'first-record.pcap');
    writeFileSync(cut, readFileSync(file).subarray(0, 40));
    const one = analyze(cut, '1');
    expect(one.status).toBe(2);
    expect(one.err).toMatch(/at byte 24/);
    expect(analyze(cut, '2')).toEqual(one);
  });

  describe('a capture above the size threshold', () => {
    let big = '';
    beforeAll(async () => {
      // The benchmark's own generator, smaller: a few hundred thousand packets.
      process.env.BENCH_PACKETS = '220000';
      const bench = (await import('../../bench/analyze-bench')) as {
        generate?: (path: string) => unknown;
        default?: { generate: (path: string) => unknown };
      };
      big = join(tmp, 'big.pcap');
      (bench.generate ?? bench.default!.generate)(big);
    }, 120_000);

    it('is read by both threads by default, with the same output and table', () => {
      expect(statSync(big).size).toBeGreaterThanOrEqual(PIPELINE_MIN_BYTES);
      const one = analyze(big, '1');
      expect(one.status).toBe(0);
      expect(JSON.parse(one.out).packets).toBeGreaterThanOrEqual(220_000);
      expect(analyze(big, undefined)).toEqual(one);
      expect(analyze(big, '2')).toEqual(one);
      expect(analyze(big, undefined, false)).toEqual(analyze(big, '1', false));
    });
  });
});
