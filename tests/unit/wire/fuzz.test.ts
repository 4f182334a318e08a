/**
 * Seeded mutation fuzzing (xorshift32, fixed seed, no Math.random): bit flips,
 * byte overwrites, truncations, insertions and length-like fields forced to
 * 0 / max, applied to the shared captures, to captures our writers produce
 * and to bare frames of every link type. Asserts that decodeFrame and dissect
 * never throw (and dissect's byte ranges stay inside the frame), that readers
 * only ever throw CaptureFormatError, and that they always terminate.
 * FUZZ_ITERATIONS sets the number of mutations per corpus (default 1000).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { TCP_FLAG } from '../../../src-shared/tcp';
import {
  CaptureFormatError,
  PcapWriter,
  PcapngWriter,
  buildFrame,
  captureReaderFromBytes,
  decodeFrame,
  newDecodeScratch,
  SEG,
  dissect,
} from '../../../src-main/wire';
import type { FrameSpec } from '../../../src-main/wire';
import { PCAP_DIR, SHARED_PCAPS, XorShift } from './helpers';

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1000);
const SEED = 0x7c9a11;
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

function mutate(rng: XorShift, src: Uint8Array): Uint8Array {
  let b = src.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    switch (rng.int(7)) {
      case 0: // bit flip
        b[at] ^= 1 << rng.int(8);
        break;
      case 1: // random byte
        b[at] = rng.int(256);
        break;
      case 2: // truncate
        b = b.slice(0, at);
        break;
      case 3: {
        // a 16-bit length-like field to 0 or max
        const v = [0, 0xff, 1][rng.int(3)];
        b[at] = v;
        if (at + 1 < b.length) b[at + 1] = v;
        break;
      }
      case 4: {
        // a 32-bit field to 0, max or 2^31 (either byte order)
        const v = [0, 0xffffffff, 0x80000000, 0x7fffffff][rng.int(4)];
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (at + 4 <= b.length) dv.setUint32(at, v, rng.int(2) === 0);
        break;
      }
      case 5: {
        // insert random bytes
        const n = 1 + rng.int(8);
        const ins = Uint8Array.from({ length: n }, () => rng.int(256));
        const c = new Uint8Array(b.length + n);
        c.set(b.subarray(0, at));
        c.set(ins, at);
        c.set(b.subarray(at), at + n);
        b = c;
        break;
      }
      default: {
        // delete a run
        const n = 1 + rng.int(8);
        const tail = b.subarray(Math.min(b.length, at + n));
        const c = new Uint8Array(at + tail.length);
        c.set(b.subarray(0, at));
        c.set(tail, at);
        b = c;
      }
    }
  }
  return b;
}

const SINK_I32 = new Int32Array(SEG.STRIDE * 2);

function checkFrame(linkType: number, data: Uint8Array, orig?: number): void {
  const r = decodeFrame(linkType, data, 1, 0, orig);
  expect(['tcp', 'other', 'malformed']).toContain(r.kind);
  // The safety nets inside decodeFrame and dissect must never be what answered.
  if (r.kind === 'malformed') expect(r.reason).not.toMatch(/^decoder error/);
  // Sentences never show a read past the end of the frame.
  if (r.kind !== 'tcp') expect(JSON.stringify(r)).not.toMatch(/undefined|NaN|-\d/);
  // The two-thread analyze's decoder (records of numbers in a shared ring) agrees on every frame.
  const sink = { i32: SINK_I32, u8: new Uint8Array(SINK_I32.buffer), at: SEG.STRIDE };
  const viaSink = decodeFrame(linkType, data, 1, 0, orig, newDecodeScratch(false, true, sink));
  expect(viaSink.kind).toBe(r.kind);
  if (r.kind === 'tcp') {
    const at = sink.at;
    expect([SINK_I32[at + SEG.SRC_PORT], SINK_I32[at + SEG.DST_PORT], SINK_I32[at + SEG.SEQ] >>> 0]).toEqual([
      r.packet.srcPort,
      r.packet.dstPort,
      r.packet.seq,
    ]);
    expect([SINK_I32[at + SEG.FLAGS], SINK_I32[at + SEG.PAYLOAD], SINK_I32[at + SEG.VERSION]]).toEqual([
      r.packet.flags,
      r.packet.payloadLength,
      r.packet.ipVersion,
    ]);
    expect(SINK_I32[at + SEG.MSS]).toBeGreaterThanOrEqual(-1);
    expect(SINK_I32[at + SEG.WSCALE]).toBeGreaterThanOrEqual(-1);
  }
  const layers = dissect(linkType, data);
  expect(layers.find((l) => l.error?.startsWith('dissector error'))?.error).toBeUndefined();
  for (const l of layers) {
    expect(l.offset >= 0 && l.offset + l.length <= data.length, `${l.name} ${l.offset}+${l.length}`).toBe(
      true,
    );
    for (const f of l.fields) {
      expect(
        f.offset >= 0 && f.offset + f.length <= data.length,
        `${l.name}.${f.name} ${f.offset}+${f.length} of ${data.length}`,
      ).toBe(true);
    }
  }
}

function checkCapture(bytes: Uint8Array): void {
  let reader;
  try {
    reader = captureReaderFromBytes(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureFormatError);
    return;
  }
  // Every record or block takes at least 12 bytes: more calls than that would be a loop.
  const bound = Math.ceil(bytes.length / 12) + 2;
  for (let i = 0; ; i++) {
    expect(i, 'reader did not terminate').toBeLessThanOrEqual(bound);
    let rec;
    try {
      rec = reader.next();
    } catch (e) {
      expect(e).toBeInstanceOf(CaptureFormatError);
      expect((e as CaptureFormatError).offset).toBeGreaterThanOrEqual(0);
      return;
    }
    if (!rec) return;
    expect(rec.data.length).toBeLessThanOrEqual(bytes.length);
    checkFrame(rec.linkType, rec.data, rec.origLength);
  }
}

function generatedFrames(): Array<[number, Uint8Array]> {
  const base: FrameSpec = {
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 40000,
    dstPort: 80,
    seq: 0xfffffff0,
    ack: 5,
    flags: TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.ECE,
    options: [
      { kind: 'mss', value: 1460 },
      { kind: 'sack-permitted' },
      { kind: 'timestamps', tsval: 1, tsecr: 2 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 7 },
    ],
    payload: Uint8Array.of(1, 2, 3, 4, 5),
  };
  const v6: FrameSpec = {
    ...base,
    src: '2001:db8::1',
    dst: 'fe80::2',
    options: [{ kind: 'sack', blocks: [[1, 2]] }],
  };
  return [
    [1, buildFrame(base)],
    [1, buildFrame({ ...v6, vlans: [1, 2] })],
    [113, buildFrame({ ...base, linkType: 113 })],
    [276, buildFrame({ ...v6, linkType: 276 })],
    [0, buildFrame({ ...v6, linkType: 0 })],
    [108, buildFrame({ ...base, linkType: 108 })],
    [101, buildFrame({ ...v6, linkType: 101 })],
    [228, buildFrame({ ...base, linkType: 228 })],
    [229, buildFrame({ ...v6, linkType: 229 })],
  ];
}

describe('mutation fuzz', () => {
  it('decodeFrame and dissect never throw on mutated frames', () => {
    const rng = new XorShift(SEED);
    const frames = generatedFrames();
    for (let i = 0; i < ITERATIONS * 2; i++) {
      const [lt, f] = frames[rng.int(frames.length)];
      const m = mutate(rng, f);
      // Mostly the right link type, sometimes any other; sometimes claim the frame was longer on the wire.
      const linkType = rng.int(5) === 0 ? LINK_TYPES[rng.int(LINK_TYPES.length)] : lt;
      const orig = rng.int(3) === 0 ? m.length + rng.int(2000) : undefined;
      checkFrame(linkType, m, orig);
    }
  });

  it('readers only throw CaptureFormatError and always terminate on mutated shared captures', () => {
    const rng = new XorShift(SEED + 1);
    const corpus = SHARED_PCAPS.map((n) => new Uint8Array(readFileSync(`${PCAP_DIR}/${n}`)));
    for (let i = 0; i < ITERATIONS; i++) checkCapture(mutate(rng, corpus[rng.int(corpus.length)]));
  });

  it('readers only throw CaptureFormatError and always terminate on mutated written captures', () => {
    const rng = new XorShift(SEED + 2);
    const frames = generatedFrames();
    const ng = new PcapngWriter({ comment: 'fuzz' });
    for (const [lt] of frames)
      ng.addInterface({ linkType: lt, name: `if${lt}`, tsResolution: lt % 2 ? 1e9 : 1e6 });
    frames.forEach(([, f], i) =>
      ng.writePacket({ interfaceId: i, data: f, time: 1000 + i, comment: i % 2 ? 'c' : undefined }),
    );
    const pcap = new PcapWriter({ linkType: 1, nanosecond: true });
    for (const [lt, f] of frames) if (lt === 1) pcap.writePacket({ data: f, time: 5 });
    const corpus = [ng.toBytes(), pcap.toBytes()];
    for (let i = 0; i < ITERATIONS; i++) checkCapture(mutate(rng, corpus[rng.int(corpus.length)]));
  });
});
