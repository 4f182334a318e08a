/**
 * Seeded mutation fuzzing of the whole analysis pipeline — capture reader →
 * decodeFrame → Tracker → summaries, through `analyzeCapture` as the CLI and
 * the Files view use it — where tests/unit/wire/fuzz.test.ts covers the
 * decoders alone. Two corpora: whole capture FILES (the real captures in
 * resources/captures and /work/shared/pcaps plus pcap/pcapng files written by
 * our writers, mutated blindly and along record boundaries: lengths forced,
 * records duplicated, dropped, swapped, spliced from another file) and
 * FRAMES (real frames whose TCP/IP headers are mutated — flags, sequence
 * numbers, data offset, options — then re-wrapped in a valid pcap, so the
 * tracker sees hostile segment scripts, not just unreadable files). For each
 * case: nothing but CaptureOpenError/CaptureFormatError is thrown, every call
 * terminates quickly, summaries are consistent (packet counts add up, states
 * and outcomes are known names, JSON-safe), and the heap stays bounded.
 * xorshift32 with fixed seeds, no Math.random; FUZZ_ITERATIONS scales it
 * (default 1500 cases per corpus, about 3 s).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CaptureFormatError,
  PcapWriter,
  PcapngWriter,
  buildFrame,
  captureReaderFromBytes,
} from '../../../src-main/wire';
import type { FrameSpec } from '../../../src-main/wire';
import { analyzeCapture, CaptureOpenError, type AnalyzeResult } from '../../../src-main/service/analyze';
import { TCP_FLAG as F, TCP_STATES } from '../../../src-shared/tcp';
import { XorShift } from '../wire/helpers';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1500);
const ROOT = join(__dirname, '..', '..', '..');
const DIRS = [join(ROOT, 'resources', 'captures'), join(ROOT, '..', 'shared', 'pcaps')];
const OUTCOMES = new Set([
  'complete',
  'refused',
  'reset-by-a',
  'reset-by-b',
  'half-open',
  'syn-scan',
  'no-answer',
  'handshake-incomplete',
  'simultaneous-open',
  'open',
  'midstream',
]);
/** Test timeout that grows with FUZZ_ITERATIONS (about 2 ms a case here; 10 ms allowed). */
const TIMEOUT = Math.max(20_000, ITERATIONS * 10);
/** One call on a file of at most a few hundred kB must finish well within this. */
const MAX_MS_PER_CASE = 3000;
const tmp = mkdtempSync(join(tmpdir(), 'tcplab-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A session script of every kind the tracker distinguishes, as frames of several link types. */
function generatedCaptures(): Uint8Array[] {
  const spec = (over: Partial<FrameSpec>): FrameSpec => ({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 40000,
    dstPort: 80,
    seq: 0xfffffff0,
    flags: F.SYN,
    ...over,
  });
  const back = (s: FrameSpec): FrameSpec => ({
    ...s,
    src: s.dst,
    dst: s.src,
    srcPort: s.dstPort,
    dstPort: s.srcPort,
  });
  const isa = 0xfffffff0;
  const isb = 0x7fffffff;
  const add = (x: number, n: number) => (x + n) >>> 0;
  const script: FrameSpec[] = [
    spec({
      options: [{ kind: 'mss', value: 1460 }, { kind: 'wscale', shift: 7 }, { kind: 'sack-permitted' }],
    }),
    back(spec({ seq: isb, ack: add(isa, 1), flags: F.SYN | F.ACK, options: [{ kind: 'mss', value: 1400 }] })),
    spec({ seq: add(isa, 1), ack: add(isb, 1), flags: F.ACK }),
    spec({ seq: add(isa, 1), ack: add(isb, 1), flags: F.PSH | F.ACK, payload: new Uint8Array(100) }),
    back(spec({ seq: add(isb, 1), ack: add(isa, 101), flags: F.ACK, window: 0 })),
    spec({ seq: add(isa, 101), ack: add(isb, 1), flags: F.ACK, payload: new Uint8Array(1) }),
    back(
      spec({
        seq: add(isb, 1),
        ack: add(isa, 101),
        flags: F.ACK,
        options: [{ kind: 'sack', blocks: [[1, 2]] }],
      }),
    ),
    spec({ seq: add(isa, 101), ack: add(isb, 1), flags: F.FIN | F.ACK }),
    back(spec({ seq: add(isb, 1), ack: add(isa, 102), flags: F.FIN | F.ACK })),
    spec({ seq: add(isa, 102), ack: add(isb, 2), flags: F.RST }),
    spec({ srcPort: 40001, seq: 5, flags: F.SYN }),
    back(spec({ srcPort: 40001, seq: 0, ack: 6, flags: F.RST | F.ACK })),
  ];
  const out: Uint8Array[] = [];
  const ng = new PcapngWriter({ comment: 'fuzz corpus' });
  const ifs = [1, 113, 276, 101, 0].map((lt) =>
    ng.addInterface({ linkType: lt, tsResolution: lt % 2 ? 1e9 : 1e6 }),
  );
  script.forEach((s, i) => {
    const lt = [1, 113, 276, 101, 0][i % 5];
    const v6 = i % 3 === 0;
    const frame = buildFrame({
      ...s,
      linkType: lt,
      src: v6 ? `2001:db8::${s.src.slice(-1)}` : s.src,
      dst: v6 ? `2001:db8::${s.dst.slice(-1)}` : s.dst,
    });
    ng.writePacket({
      interfaceId: ifs[i % 5],
      data: frame,
      time: 1000 + i / 100,
      comment: i % 4 ? undefined : 'c',
    });
  });
  out.push(ng.toBytes());
  const pcap = new PcapWriter({ linkType: 1, nanosecond: true });
  script.forEach((s, i) =>
    pcap.writePacket({ data: buildFrame({ ...s, vlans: i % 2 ? [10] : undefined }), time: 5 + i }),
  );
  out.push(pcap.toBytes());
  return out;
}

function fileCorpus(): Uint8Array[] {
  const files: Uint8Array[] = [];
  for (const dir of DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (/\.(pcap|pcapng)$/.test(f)) files.push(new Uint8Array(readFileSync(join(dir, f))));
    }
  }
  return [...files, ...generatedCaptures()];
}

/** Offsets of the records (pcap) or blocks (pcapng) of a well-formed file, for structure-aware mutations. */
function recordOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  try {
    const r = captureReaderFromBytes(bytes);
    for (let rec = r.next(); rec; rec = r.next()) offsets.push(rec.offset);
  } catch {
    // a corpus file that is broken on purpose: its readable prefix is enough
  }
  return offsets;
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const end = Math.min(b.length, at + remove);
  const c = new Uint8Array(at + insert.length + (b.length - end));
  c.set(b.subarray(0, at));
  c.set(insert, at);
  c.set(b.subarray(end), at + insert.length);
  return c;
}

/** One to four mutations, blind or along record boundaries. */
function mutateFile(rng: XorShift, src: Uint8Array, offsets: number[], other: Uint8Array): Uint8Array {
  let b: Uint8Array = src.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds && b.length > 0; r++) {
    const at = rng.int(b.length);
    const rec = offsets.length ? offsets[rng.int(offsets.length)] : 0;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (rng.int(10)) {
      case 0:
        b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        b[at] = rng.int(256);
        break;
      case 2:
        b = b.slice(0, at);
        break;
      case 3: {
        // a record's length fields (pcap incl/orig at +8/+12, pcapng total at +4, EPB caplen at +20)
        const field = rec + [4, 8, 12, 20, 24][rng.int(5)];
        const v = [0, 1, 0xffffffff, 0x7fffffff, 0x10000000, 65536, rng.next()][rng.int(7)];
        if (field + 4 <= b.length) dv.setUint32(field, v >>> 0, rng.int(2) === 0);
        break;
      }
      case 4: {
        // duplicate a record (a retransmission, or an impossible second SYN)
        const i = rng.int(Math.max(1, offsets.length));
        const start = offsets[i] ?? 0;
        const end = offsets[i + 1] ?? b.length;
        if (start < end && end <= b.length) b = splice(b, end, 0, b.slice(start, end));
        break;
      }
      case 5: {
        // drop a record
        const i = rng.int(Math.max(1, offsets.length));
        const start = offsets[i] ?? 0;
        const end = offsets[i + 1] ?? b.length;
        if (start < end && end <= b.length) b = splice(b, start, end - start, new Uint8Array(0));
        break;
      }
      case 6: {
        // splice bytes from another file (a foreign block or record)
        const from = rng.int(other.length);
        b = splice(b, at, rng.int(64), other.slice(from, from + 1 + rng.int(256)));
        break;
      }
      case 7: {
        const n = 1 + rng.int(16);
        b = splice(
          b,
          at,
          0,
          Uint8Array.from({ length: n }, () => rng.int(256)),
        );
        break;
      }
      case 8:
        b = splice(b, at, 1 + rng.int(16), new Uint8Array(0));
        break;
      default:
        // the link type / block type / byte-order fields near the start
        if (b.length > 24) b[[4, 5, 8, 9, 20, 21, 22, 23][rng.int(8)]] = rng.int(256);
    }
  }
  return b;
}

interface FrameRec {
  linkType: number;
  data: Uint8Array;
}

function frameCorpus(files: Uint8Array[]): FrameRec[] {
  const out: FrameRec[] = [];
  for (const bytes of files) {
    try {
      const r = captureReaderFromBytes(bytes);
      for (let rec = r.next(); rec && out.length < 20_000; rec = r.next()) {
        out.push({ linkType: rec.linkType, data: rec.data.slice() });
      }
    } catch {
      // broken corpus file: keep what was read
    }
  }
  return out;
}

/** Mutates the TCP/IP part of a frame: flags, seq/ack, data offset, window, options, lengths. */
function mutateFrame(rng: XorShift, f: Uint8Array): Uint8Array {
  const b = f.slice();
  if (b.length === 0) return b;
  // TCP usually starts 34 (Ethernet/IPv4), 36 (SLL), 40 (SLL2/raw), 54 (IPv6 over Ethernet) … bytes in.
  const tcp = Math.min(b.length - 1, [34, 36, 40, 54, 56, 60, 20, 24][rng.int(8)]);
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    switch (rng.int(7)) {
      case 0: // flags: any combination, SYN/FIN/RST most of all
        if (tcp + 13 < b.length)
          b[tcp + 13] = [F.SYN, F.FIN, F.RST, F.RST | F.ACK, F.SYN | F.FIN, 0xff, 0][rng.int(7)];
        break;
      case 1: // sequence or acknowledgment number, near or far
        if (tcp + 12 <= b.length) {
          const dv = new DataView(b.buffer);
          const at = tcp + 4 + 4 * rng.int(2);
          dv.setUint32(at, (dv.getUint32(at) + [1, -1, 0x80000000, rng.next()][rng.int(4)]) >>> 0);
        }
        break;
      case 2: // data offset
        if (tcp + 12 < b.length) b[tcp + 12] = (rng.int(16) << 4) | (b[tcp + 12] & 15);
        break;
      case 3: // window
        if (tcp + 15 < b.length) b[tcp + 14] = b[tcp + 15] = rng.int(2) ? 0 : 0xff;
        break;
      case 4: // an option byte
        if (tcp + 20 < b.length)
          b[tcp + 20 + rng.int(Math.min(40, b.length - tcp - 20))] = [0, 1, 2, 3, 4, 5, 8, 255][rng.int(8)];
        break;
      case 5: // ports: a new or colliding 4-tuple
        if (tcp + 4 <= b.length) b[tcp + rng.int(4)] = rng.int(4);
        break;
      default:
        b[rng.int(b.length)] = rng.int(256);
    }
  }
  return b;
}

function checkResult(r: AnalyzeResult, withRows: boolean): void {
  expect(r.index).toBeNull();
  expect(r.tcpPackets + r.malformed).toBeLessThanOrEqual(r.packets);
  const sums = r.tracker.summaries();
  expect(sums.length).toBe(r.tracker.sessionCount);
  expect(sums.length).toBeLessThanOrEqual(r.tcpPackets);
  let packets = 0;
  for (const s of sums) {
    packets += s.packets;
    expect(s.packets).toBeGreaterThan(0);
    expect(OUTCOMES.has(s.outcome), s.outcome).toBe(true);
    expect(TCP_STATES).toContain(s.states.a);
    expect(TCP_STATES).toContain(s.states.b);
    expect(s.outcomeText.length).toBeGreaterThan(0);
    for (const [flag, n] of Object.entries(s.analysis)) {
      expect(n, flag).toBeLessThanOrEqual(s.packets);
    }
    if (withRows) expect(r.tracker.segments(s.id)).toHaveLength(s.packets);
  }
  expect(packets).toBe(r.tcpPackets);
  // JSON-safe: what crosses the bridge and what --json prints.
  expect(() => JSON.stringify(sums)).not.toThrow();
  expect(JSON.stringify(sums)).not.toMatch(/NaN|Infinity|undefined/);
}

/** Runs one case; returns false when the file was refused as a whole (CaptureOpenError). */
function runCase(source: string | Uint8Array, withRows: boolean): boolean {
  const t0 = performance.now();
  let r: AnalyzeResult;
  try {
    r = analyzeCapture(source, { keepSegments: withRows });
  } catch (e) {
    if (!(e instanceof CaptureOpenError) && !(e instanceof CaptureFormatError)) throw e;
    expect((e as CaptureOpenError).offset).toBeGreaterThanOrEqual(0);
    return false;
  }
  expect(performance.now() - t0, 'analyzeCapture took too long').toBeLessThan(MAX_MS_PER_CASE);
  if (r.error) {
    expect(r.error.offset).toBeGreaterThanOrEqual(0);
    expect(r.error.message.length).toBeGreaterThan(0);
  }
  checkResult(r, withRows);
  return true;
}

describe('pipeline fuzz (reader → decode → tracker → summaries)', () => {
  const files = fileCorpus();
  const offsets = files.map(recordOffsets);

  it('has a corpus of real and written captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files.slice(-2)) expect(runCase(f, true)).toBe(true);
  });

  it(
    'mutated capture files: only CaptureFormatError, always terminating, consistent summaries',
    () => {
      const rng = new XorShift(0x51f0a7);
      const heap0 = process.memoryUsage().heapUsed;
      let refused = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const k = rng.int(files.length);
        const m = mutateFile(rng, files[k], offsets[k], files[rng.int(files.length)]);
        // Every 8th case goes through the file reader (chunked reads), the rest through the bytes reader.
        let source: string | Uint8Array = m;
        if (i % 8 === 0) {
          source = join(tmp, `case-${i % 64}.pcap`);
          writeFileSync(source, m);
        }
        if (!runCase(source, i % 2 === 0)) refused++;
      }
      // Most mutations leave something readable: the fuzz reaches the tracker, not just the magic check.
      expect(refused).toBeLessThan(ITERATIONS / 2);
      // Bounded memory: nothing is kept from one case to the next.
      expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(256 << 20);
    },
    TIMEOUT,
  );

  it(
    'mutated TCP/IP headers in valid files: the tracker never throws and its counts add up',
    () => {
      const rng = new XorShift(0x7a11e5);
      const frames = frameCorpus(files);
      expect(frames.length).toBeGreaterThan(100);
      const heap0 = process.memoryUsage().heapUsed;
      for (let i = 0; i < ITERATIONS; i++) {
        // A run of consecutive frames (a piece of a real conversation), some of them mutated.
        const start = rng.int(frames.length);
        const count = 1 + rng.int(60);
        const linkType = frames[start].linkType;
        const w = new PcapWriter({ linkType });
        for (let j = 0; j < count && start + j < frames.length; j++) {
          const f = frames[start + j];
          if (f.linkType !== linkType) continue;
          const data = rng.int(3) === 0 ? mutateFrame(rng, f.data) : f.data;
          w.writePacket({
            data,
            time: 100 + j * (rng.int(4) === 0 ? -0.001 : 0.001) + (rng.int(10) === 0 ? 1e6 : 0),
          });
          if (rng.int(8) === 0) w.writePacket({ data, time: 100 + j * 0.001 }); // duplicates
        }
        expect(runCase(w.toBytes(), true)).toBe(true);
      }
      expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(256 << 20);
    },
    TIMEOUT,
  );
});
