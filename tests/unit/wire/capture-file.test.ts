/**
 * pcap and pcapng readers against hand-built files: both byte orders, micro
 * and nanosecond pcap, the modified pcap variant, pcapng with several
 * sections and interfaces, if_tsresol/if_tsoffset, comments, SPB and the
 * obsolete Packet Block; every structural error with its offset; streaming
 * across the 1 MiB chunk boundary and records bigger than a chunk.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CaptureFormatError,
  MAX_RECORD_BYTES,
  captureReaderFromBytes,
  openCaptureFile,
} from '../../../src-main/wire';
import type { CaptureReader, CaptureRecord } from '../../../src-main/wire';

/** Grows a byte array with typed writes in one byte order. */
class Bytes {
  private parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(...v: number[]): this {
    this.parts.push(...v);
    return this;
  }
  u16(v: number): this {
    const b = new DataView(new ArrayBuffer(2));
    b.setUint16(0, v, this.le);
    return this.u8(...new Uint8Array(b.buffer));
  }
  u32(v: number): this {
    const b = new DataView(new ArrayBuffer(4));
    b.setUint32(0, v >>> 0, this.le);
    return this.u8(...new Uint8Array(b.buffer));
  }
  raw(b: Uint8Array | number[]): this {
    return this.u8(...b);
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function pcapFile(
  le: boolean,
  magic: number,
  snap: number,
  linkType: number,
  records: Array<[number, number, number[], number?]>,
): Uint8Array {
  const b = new Bytes(le).u32(magic).u16(2).u16(4).u32(0).u32(0).u32(snap).u32(linkType);
  for (const [sec, frac, data, orig] of records)
    b.u32(sec)
      .u32(frac)
      .u32(data.length)
      .u32(orig ?? data.length)
      .raw(data);
  return b.bytes();
}

/** A pcapng block: type, total length, body (padded), total length. */
function blk(le: boolean, type: number, body: Bytes | Uint8Array): Uint8Array {
  const bb = body instanceof Bytes ? body.bytes() : body;
  const padded = (bb.length + 3) & ~3;
  const total = 12 + padded;
  return new Bytes(le).u32(type).u32(total).raw(bb).pad4().u32(total).bytes();
}

function opt(b: Bytes, code: number, value: Uint8Array): Bytes {
  return b.u16(code).u16(value.length).raw(value).pad4();
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function shb(le: boolean): Uint8Array {
  return blk(le, 0x0a0d0d0a, new Bytes(le).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff));
}
function idb(le: boolean, linkType: number, opts?: (b: Bytes) => void): Uint8Array {
  const b = new Bytes(le).u16(linkType).u16(0).u32(0);
  if (opts) {
    opts(b);
    b.u16(0).u16(0);
  }
  return blk(le, 1, b);
}
function epb(
  le: boolean,
  ifid: number,
  ts: bigint,
  data: number[],
  comment?: string,
  orig?: number,
): Uint8Array {
  const b = new Bytes(le)
    .u32(ifid)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(orig ?? data.length)
    .raw(data)
    .pad4();
  if (comment !== undefined) opt(b, 1, text(comment)).u16(0).u16(0);
  return blk(le, 6, b);
}
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function drain(r: CaptureReader): Array<Omit<CaptureRecord, 'data'> & { data: number[] }> {
  const out = [];
  let rec: CaptureRecord | null;
  while ((rec = r.next())) out.push({ ...rec, data: Array.from(rec.data) });
  return out;
}

function errorOf(f: () => unknown): CaptureFormatError {
  try {
    f();
  } catch (e) {
    if (e instanceof CaptureFormatError) return e;
    throw e;
  }
  throw new Error('expected a CaptureFormatError');
}

describe('pcap reader', () => {
  for (const le of [true, false]) {
    it(`reads microsecond and nanosecond files, ${le ? 'little' : 'big'}-endian`, () => {
      const us = captureReaderFromBytes(
        pcapFile(le, 0xa1b2c3d4, 65535, 1, [
          [100, 250000, [1, 2, 3]],
          [101, 0, [4], 60],
        ]),
      );
      expect(us.format).toBe('pcap');
      expect(us.interfaces[0]).toMatchObject({ linkType: 1, tsResolution: 1e6, snapLength: 65535 });
      const recs = drain(us);
      expect(recs).toEqual([
        {
          frame: 1,
          time: 100.25,
          linkType: 1,
          data: [1, 2, 3],
          origLength: 3,
          interfaceId: 0,
          offset: 24,
          dataOffset: 40,
        },
        {
          frame: 2,
          time: 101,
          linkType: 1,
          data: [4],
          origLength: 60,
          interfaceId: 0,
          offset: 43,
          dataOffset: 59,
        },
      ]);
      const ns = captureReaderFromBytes(pcapFile(le, 0xa1b23c4d, 65535, 113, [[5, 123456789, [9]]]));
      expect(ns.interfaces[0].tsResolution).toBe(1e9);
      expect(ns.next()?.time).toBeCloseTo(5.123456789, 9);
    });
  }

  it('masks the FCS bits out of the link type', () => {
    const r = captureReaderFromBytes(pcapFile(true, 0xa1b2c3d4, 0, 0x30000001, [[0, 0, [0]]]));
    expect(r.next()?.linkType).toBe(1);
  });

  it('reads the modified (Kuznetzov) variant with 24-byte record headers', () => {
    const b = new Bytes(true).u32(0xa1b2cd34).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    b.u32(7).u32(0).u32(2).u32(2).u32(3).u16(0x800).u8(0, 0).raw([0xaa, 0xbb]);
    const r = captureReaderFromBytes(b.bytes());
    expect(drain(r)).toMatchObject([{ time: 7, data: [0xaa, 0xbb], offset: 24, dataOffset: 48 }]);
  });

  it('rejects what is not a capture, naming the magic', () => {
    expect(errorOf(() => captureReaderFromBytes(text('GET / HTTP/1.1\r\n'))).message).toBe(
      'not a pcap or pcapng file (magic 0x47455420)',
    );
    expect(errorOf(() => captureReaderFromBytes(new Uint8Array(0))).message).toMatch(/empty/);
    expect(errorOf(() => captureReaderFromBytes(Uint8Array.of(0xd4, 0xc3))).message).toMatch(/only 2 bytes/);
    expect(
      errorOf(() => captureReaderFromBytes(pcapFile(true, 0xa1b2c3d4, 0, 1, []).subarray(0, 20))).message,
    ).toMatch(/pcap file header is truncated: 20 of 24/);
    const v3 = pcapFile(true, 0xa1b2c3d4, 0, 1, []);
    v3[4] = 3;
    expect(errorOf(() => captureReaderFromBytes(v3)).message).toMatch(/unsupported pcap version 3.4/);
  });

  it('rejects impossible captured lengths before reading them', () => {
    const f = pcapFile(true, 0xa1b2c3d4, 65535, 1, [[0, 0, [1, 2]]]);
    new DataView(f.buffer).setUint32(24 + 8, 0xffffffff, true);
    const e = errorOf(() => drain(captureReaderFromBytes(f)));
    expect(e.message).toBe(
      'pcap record at byte 24 claims 4294967295 captured bytes (more than the snap length 65535)',
    );
    expect(e.offset).toBe(24);
  });

  it('throws with the offset on a truncated record header or body, after yielding the whole records', () => {
    const f = pcapFile(true, 0xa1b2c3d4, 65535, 1, [
      [0, 0, [1, 2, 3, 4]],
      [1, 0, [5, 6, 7, 8]],
    ]);
    const cutBody = captureReaderFromBytes(f.subarray(0, f.length - 1));
    expect(cutBody.next()?.frame).toBe(1);
    const e = errorOf(() => cutBody.next());
    expect(e.offset).toBe(44);
    expect(e.message).toBe(
      'pcap record at byte 44 is truncated: it claims 4 captured bytes but the file ends after 3',
    );
    const cutHeader = captureReaderFromBytes(f.subarray(0, 44 + 10));
    cutHeader.next();
    expect(errorOf(() => cutHeader.next()).message).toBe(
      'pcap record header at byte 44 is truncated: 10 of 16 bytes present',
    );
  });
});

describe('pcapng reader', () => {
  for (const le of [true, false]) {
    it(`reads sections, interfaces, resolutions and comments, ${le ? 'little' : 'big'}-endian`, () => {
      const file = cat(
        shb(le),
        idb(le, 1, (b) => opt(b, 2, text('eth0'))),
        idb(le, 113, (b) => opt(opt(b, 2, text('any')), 9, Uint8Array.of(9))),
        epb(le, 0, 1_500_000_250_000n, [1, 2, 3], 'first'),
        epb(le, 1, 1_500_000_000_123_456_789n, [4, 5], undefined, 1500),
        // Unknown block types are skipped.
        blk(le, 0x00000bad, Uint8Array.of(1, 2, 3, 4)),
        // Name resolution and statistics blocks carry no packets.
        blk(le, 4, Uint8Array.of(0, 0, 0, 0)),
        // A second section with its own interfaces; ids restart at 0.
        shb(le),
        idb(le, 101, (b) => opt(b, 9, Uint8Array.of(0x80 | 10))), // 2^-10 s
        epb(le, 0, 2048n, [6]),
      );
      const r = captureReaderFromBytes(file);
      expect(r.format).toBe('pcapng');
      const recs = drain(r);
      expect(recs.map((x) => [x.frame, x.linkType, x.interfaceId, x.data, x.origLength, x.comment])).toEqual([
        [1, 1, 0, [1, 2, 3], 3, 'first'],
        [2, 113, 1, [4, 5], 1500, undefined],
        [3, 101, 2, [6], 1, undefined],
      ]);
      expect(recs[0].time).toBeCloseTo(1_500_000.25, 6);
      expect(recs[1].time).toBeCloseTo(1_500_000_000.123456789, 6);
      expect(recs[2].time).toBe(2);
      expect(r.interfaces.map((i) => [i.linkType, i.name, i.tsResolution, i.section])).toEqual([
        [1, 'eth0', 1e6, 0],
        [113, 'any', 1e9, 0],
        [101, undefined, 1024, 1],
      ]);
      expect(recs[0].offset).toBe(
        shb(le).length +
          idb(le, 1, (b) => opt(b, 2, text('eth0'))).length * 1 +
          idb(le, 113, (b) => opt(opt(b, 2, text('any')), 9, Uint8Array.of(9))).length,
      );
    });
  }

  it('reads Simple Packet Blocks, the obsolete Packet Block and if_tsoffset', () => {
    const le = true;
    const spb = blk(le, 3, new Bytes(le).u32(5).raw([1, 2, 3, 4, 5]).pad4());
    const pb = blk(le, 2, new Bytes(le).u16(0).u16(0).u32(0).u32(3_000_000).u32(2).u32(2).raw([7, 8]).pad4());
    const idbOff = idb(le, 1, (b) => {
      const off = new Bytes(le).u32(100).u32(0);
      opt(b, 14, off.bytes());
    });
    const recs = drain(captureReaderFromBytes(cat(shb(le), idbOff, pb, spb)));
    expect(recs.map((x) => [x.time, x.data])).toEqual([
      [103, [7, 8]],
      [103, [1, 2, 3, 4, 5]], // SPB: no timestamp, the previous packet's time
    ]);
  });

  it('accepts an empty section', () => {
    expect(drain(captureReaderFromBytes(shb(true)))).toEqual([]);
  });

  it('reports block-level damage with the offset', () => {
    const le = true;
    const head = cat(shb(le), idb(le, 1));
    const good = epb(le, 0, 0n, [1, 2, 3, 4]);
    const at = head.length;
    const cases: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
      [
        'truncated block',
        (b) => b.subarray(0, b.length - 2),
        /block at byte \d+ is truncated: its length is 36 but the file ends after 34 bytes/,
      ],
      [
        'truncated block header',
        (b) => b.subarray(0, at + 6),
        /block header at byte \d+ is truncated: 6 of 12/,
      ],
      [
        'length not a multiple of 4',
        (b) => (new DataView(b.buffer, b.byteOffset).setUint32(at + 4, 33, true), b),
        /impossible total length 33 \(not a multiple of 4\)/,
      ],
      [
        'length below 12',
        (b) => (new DataView(b.buffer, b.byteOffset).setUint32(at + 4, 8, true), b),
        /impossible total length 8 \(less than 12\)/,
      ],
      [
        'huge length',
        (b) => (new DataView(b.buffer, b.byteOffset).setUint32(at + 4, 0xfffffffc, true), b),
        new RegExp(`impossible total length 4294967292 \\(more than ${MAX_RECORD_BYTES}\\)`),
      ],
      [
        'trailer mismatch',
        (b) => (new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, 40, true), b),
        /trailing length 40 that differs from its leading length 36/,
      ],
      [
        'captured length beyond the block',
        (b) => (new DataView(b.buffer, b.byteOffset).setUint32(at + 20, 5000, true), b),
        /claims 5000 captured bytes but the block holds only 4/,
      ],
      [
        'unknown interface',
        (b) => (new DataView(b.buffer, b.byteOffset).setUint32(at + 8, 7, true), b),
        /refers to interface 7 but its section defines 1/,
      ],
    ];
    for (const [name, damage, re] of cases) {
      const e = errorOf(() => drain(captureReaderFromBytes(damage(cat(head, good)))));
      expect(e.message, name).toMatch(re);
      expect(e.offset, name).toBe(at);
    }
  });

  it('rejects a bad byte-order magic, a bad version and an option running past its block', () => {
    const badBom = shb(true);
    badBom[8] = 0;
    expect(errorOf(() => drain(captureReaderFromBytes(badBom))).message).toMatch(/byte-order magic/);
    const v2 = shb(true);
    v2[12] = 2;
    expect(errorOf(() => drain(captureReaderFromBytes(v2))).message).toMatch(/unsupported version 2.0/);
    const badOpt = idb(true, 1, (b) => b.u16(2).u16(200).u32(0));
    expect(errorOf(() => drain(captureReaderFromBytes(cat(shb(true), badOpt)))).message).toMatch(
      /option 2 .* claims 200 bytes/,
    );
  });
});

describe('streaming from a file', () => {
  it('reads records across chunk boundaries and records larger than a chunk, with flat memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wire-'));
    try {
      // ~3 MiB of 1000-byte records, then one 1.5 MiB record, then small ones again.
      const records: Array<[number, number, number[]]> = [];
      for (let i = 0; i < 3000; i++)
        records.push([i, 0, Array.from({ length: 1000 }, (_, j) => (i + j) & 0xff)]);
      const bigLen = 1_500_000;
      const le = true;
      const head = new Bytes(le).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(bigLen).u32(1).bytes();
      const small = pcapFile(le, 0xa1b2c3d4, 0, 1, records).subarray(24);
      const big = new Uint8Array(16 + bigLen);
      new DataView(big.buffer).setUint32(8, bigLen, true);
      new DataView(big.buffer).setUint32(12, bigLen, true);
      big.fill(0x5a, 16);
      const file = cat(head, small, big, small);
      const path = join(dir, 'big.pcap');
      writeFileSync(path, file);
      const r = openCaptureFile(path);
      let n = 0;
      let rec: CaptureRecord | null;
      while ((rec = r.next())) {
        n++;
        if (rec.data.length === bigLen) {
          expect(rec.data.every((b) => b === 0x5a)).toBe(true);
          continue;
        }
        const i = (n - 1) % 3001;
        expect(rec.time).toBe(i);
        expect(rec.data[0]).toBe(i & 0xff);
        expect(rec.data[999]).toBe((i + 999) & 0xff);
      }
      r.close();
      expect(n).toBe(6001);
      expect(r.next()).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not allocate what a hostile length claims', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wire-'));
    try {
      // snaplen 0xffffffff lets a record claim 200 MiB; the file holds 20 bytes of it.
      const f = pcapFile(true, 0xa1b2c3d4, 0xffffffff, 1, [[0, 0, Array(20).fill(1)]]);
      new DataView(f.buffer).setUint32(24 + 8, 200 * 1024 * 1024, true);
      const ng = cat(shb(true), idb(true, 1), epb(true, 0, 0n, [1, 2, 3, 4]));
      new DataView(ng.buffer).setUint32(ng.length - 36 + 4, 0x0ffffffc, true);
      for (const [name, bytes, re] of [
        ['hostile.pcap', f, /claims 209715200 captured bytes but the file ends after 20/],
        ['hostile.pcapng', ng, /its length is 268435452 but the file ends after 36 bytes/],
      ] as const) {
        const path = join(dir, name);
        writeFileSync(path, bytes);
        const before = process.memoryUsage().arrayBuffers;
        const r = openCaptureFile(path);
        expect(() => r.next()).toThrow(re);
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
        r.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws CaptureFormatError from openCaptureFile for a non-capture and closes the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wire-'));
    try {
      writeFileSync(join(dir, 'x.txt'), 'hello world');
      expect(() => openCaptureFile(join(dir, 'x.txt'))).toThrow(CaptureFormatError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
