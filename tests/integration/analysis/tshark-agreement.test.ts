/**
 * Agreement with Wireshark: for every capture in /work/shared/pcaps and
 * resources/captures, `tcplab analyze --json` (run in-process through the
 * CLI's `main()`) must find as many TCP sessions as tshark finds distinct
 * `tcp.stream` values, with the same number of packets in each (sessions and
 * streams are both numbered from 0 in order of first packet), and the
 * pipeline's ladder rows must carry the same `tcp.analysis.*` flags on the
 * same frames for every flag both tools define. The comparison is per frame,
 * so a failure names the frames that differ. Frames tshark cannot dissect as
 * TCP (no `tcp.stream`) are left out on both sides. Skipped with a reason
 * where tshark is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../../src-main/app/cli-main';
import type { AnalyzeJson } from '../../../src-main/app/commands/analyze';
import { analyzeCapture } from '../../../src-main/service/analyze';
import type { SegmentAnalysis } from '../../../src-shared/session';
import { captureFiles, OUR_CAPTURES, SHARED_PCAPS } from '../capture-files';

const ROOT = join(__dirname, '..', '..', '..');
const SHARED = SHARED_PCAPS;
const OURS = OUR_CAPTURES;
const TSHARK = '/usr/bin/tshark';

const hasTshark = ((): boolean => {
  try {
    return (
      existsSync(TSHARK) && execFileSync(TSHARK, ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] }).length > 0
    );
  } catch {
    return false;
  }
})();

const captures = captureFiles;

const FILES = [...captures(SHARED), ...captures(OURS)];

/** Our flag → tshark's field, for every flag both define. */
const FLAGS: ReadonlyArray<[SegmentAnalysis, string]> = [
  ['retransmission', 'tcp.analysis.retransmission'],
  ['spurious-retransmission', 'tcp.analysis.spurious_retransmission'],
  ['out-of-order', 'tcp.analysis.out_of_order'],
  ['dup-ack', 'tcp.analysis.duplicate_ack'],
  ['zero-window', 'tcp.analysis.zero_window'],
  ['zero-window-probe', 'tcp.analysis.zero_window_probe'],
  ['window-update', 'tcp.analysis.window_update'],
  ['window-full', 'tcp.analysis.window_full'],
  ['keep-alive', 'tcp.analysis.keep_alive'],
  ['keep-alive-ack', 'tcp.analysis.keep_alive_ack'],
  ['lost-segment', 'tcp.analysis.lost_segment'],
  ['acked-unseen', 'tcp.analysis.ack_lost_segment'],
];

interface TsharkView {
  /** tcp.stream → packets. */
  streams: Map<number, number>;
  /** flag → frames carrying it. */
  flagged: Map<SegmentAnalysis, number[]>;
  /** Frames tshark dissected as TCP. */
  tcpFrames: Set<number>;
}

function tsharkView(file: string): TsharkView {
  const fields = ['frame.number', 'tcp.stream', ...FLAGS.map(([, f]) => f)];
  const r = spawnSync(
    TSHARK,
    ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  const view: TsharkView = { streams: new Map(), flagged: new Map(), tcpFrames: new Set() };
  for (const [name] of FLAGS) view.flagged.set(name, []);
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    if (cells[1] === '') continue; // not TCP, or not dissected as TCP
    const frame = Number(cells[0]);
    const stream = Number(cells[1]);
    view.tcpFrames.add(frame);
    view.streams.set(stream, (view.streams.get(stream) ?? 0) + 1);
    FLAGS.forEach(([name], i) => {
      if (cells[2 + i] !== '' && cells[2 + i] !== undefined) view.flagged.get(name)!.push(frame);
    });
  }
  return view;
}

async function analyzeJson(file: string): Promise<{ code: number; doc: AnalyzeJson | null; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    waitForStop: () => Promise.resolve(),
  };
  const code = await main(['analyze', file, '--json'], io);
  return { code, doc: out ? (JSON.parse(out) as AnalyzeJson) : null, err };
}

/** Frames our ladder rows flag, per flag, limited to frames tshark dissected as TCP. */
function ourFlags(file: string, tcpFrames: Set<number>): Map<SegmentAnalysis, number[]> {
  const result = analyzeCapture(file, { keepSegments: true });
  const flagged = new Map<SegmentAnalysis, number[]>(FLAGS.map(([n]) => [n, []]));
  for (let id = 0; id < result.tracker.sessionCount; id++) {
    for (const row of result.tracker.segments(id)) {
      if (!tcpFrames.has(row.frame)) continue;
      for (const a of row.analysis) flagged.get(a)?.push(row.frame);
    }
  }
  for (const frames of flagged.values()) frames.sort((x, y) => x - y);
  return flagged;
}

describe.skipIf(!hasTshark)(
  `tcplab analyze agrees with tshark${hasTshark ? '' : ` (skipped: no tshark at ${TSHARK}; apt-get install tshark)`}`,
  () => {
    it('has captures to compare', () => {
      expect(captures(SHARED).length).toBeGreaterThan(0);
      expect(captures(OURS).length).toBeGreaterThanOrEqual(14);
    });

    describe.each(FILES.map((f) => [f.slice(ROOT.length - 4).replace(/^.*?(shared|resources)/, '$1'), f]))(
      '%s',
      (_name, file) => {
        const ts = tsharkView(file);

        it('finds the same TCP sessions with the same packet counts', async () => {
          const { code, doc, err } = await analyzeJson(file);
          expect([0, 2], err).toContain(code);
          expect(doc).not.toBeNull();
          const ours = doc!.sessions.map((s) => s.packets);
          const theirs = [...ts.streams.keys()].sort((x, y) => x - y).map((k) => ts.streams.get(k)!);
          expect(ours.length, 'sessions vs distinct tcp.stream').toBe(ts.streams.size);
          expect(ours, 'packets per session vs per tcp.stream').toEqual(theirs);
        });

        it('flags the same frames as tcp.analysis.*', () => {
          const ours = ourFlags(file, ts.tcpFrames);
          const diff: Record<string, { ours: number[]; tshark: number[] }> = {};
          for (const [name] of FLAGS) {
            const a = ours.get(name)!;
            const b = ts.flagged.get(name)!;
            if (a.join() !== b.join()) diff[name] = { ours: a, tshark: b };
          }
          expect(diff).toEqual({});
        });
      },
    );
  },
);
