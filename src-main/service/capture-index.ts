/**
 * What the Files view keeps of an opened capture instead of its bytes and a
 * ladder row per packet: where each frame is (offset of its captured bytes,
 * their length, the length on the wire, link type, time: 26 bytes a frame, in
 * typed arrays) and which frames each session has (4 bytes a TCP segment).
 * The details pane's frame is read again from the file when asked for
 * (`frame`); a session's ladder rows are made again when the ladder asks
 * (`rows`), by tracking the frames of its 4-tuple — the sessions before it on
 * a reused 4-tuple included, exactly as the first pass saw them — with ladder
 * rows kept. So memory grows by about 30 bytes a packet, not with the file:
 * a 1 GB capture of 5 million packets needs about 150 MB, not gigabytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { SegmentRow } from '../../src-shared/session';
import { Tracker } from '../tracker';
import { decodeFrameAt, newDecodeScratch } from '../wire';
import type { CaptureRecord } from '../wire';

/** One frame as the details pane needs it. */
export interface StoredFrame {
  time: number;
  linkType: number;
  data: Uint8Array;
}

/** A growable list of frame numbers (ascending: frames are added in file order). */
class FrameList {
  items = new Int32Array(8);
  length = 0;

  push(n: number): void {
    if (this.length === this.items.length) this.items = grown(this.items, this.items.length * 2);
    this.items[this.length++] = n;
  }
}

/** Sessions whose rows were made last, kept while the ladder pages through them. */
const ROWS_CACHE = 4;

export class CaptureIndex {
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private wireLengths = new Uint32Array(1024);
  private linkTypes = new Uint16Array(1024);
  private times = new Float64Array(1024);
  /** Frames indexed so far (frame n is slot n - 1). */
  count = 0;
  private readonly sessions: FrameList[] = [];
  private readonly cache = new Map<number, SegmentRow[]>();

  /** `source`: the file's path, or the bytes it was read from. */
  constructor(private readonly source: string | Uint8Array) {}

  /** Notes where a frame's bytes are (called for every frame, in order). */
  addFrame(rec: CaptureRecord): void {
    const i = this.count;
    if (i === this.offsets.length) this.grow();
    const start = rec.span ? rec.start! : 0;
    const end = rec.span ? rec.end! : rec.data.length;
    this.offsets[i] = rec.dataOffset ?? 0;
    this.lengths[i] = end - start;
    this.wireLengths[i] = rec.origLength;
    this.linkTypes[i] = rec.linkType;
    this.times[i] = rec.time;
    this.count = i + 1;
  }

  /** Notes that `frame` is a segment of session `sessionId`. */
  addSegment(sessionId: number, frame: number): void {
    (this.sessions[sessionId] ??= new FrameList()).push(frame);
  }

  /** Frame `n` (1-based) read again from the source; undefined when there is no such frame. */
  frame(n: number): StoredFrame | undefined {
    if (!Number.isInteger(n) || n < 1 || n > this.count) return undefined;
    const reader = this.open();
    try {
      return { time: this.times[n - 1], linkType: this.linkTypes[n - 1], data: reader(n) };
    } finally {
      reader.close();
    }
  }

  /**
   * The ladder rows of session `sessionId` of `tracker` (which tracked this
   * index's frames without keeping rows): its 4-tuple's frames tracked again.
   */
  rows(tracker: Tracker, sessionId: number): SegmentRow[] {
    const cached = this.cache.get(sessionId);
    if (cached) return cached;
    const group = tracker.sameTuple(sessionId);
    const frames = mergeAscending(group.map((id) => this.sessions[id] ?? new FrameList()));
    const again = new Tracker({ keepSegments: true });
    // As in analyzeCapture: every option parsed (rows show them), checksums not verified.
    const scratch = newDecodeScratch(true, false);
    const reader = this.open();
    try {
      for (const n of frames) {
        const data = reader(n);
        const d = decodeFrameAt(
          this.linkTypes[n - 1],
          data,
          0,
          data.length,
          n,
          this.times[n - 1],
          this.wireLengths[n - 1],
          scratch,
        );
        if (d.kind !== 'tcp') continue; // cannot happen: the same bytes decoded as TCP the first time
        d.packet.checksumOk = null;
        again.track(d.packet, this.wireLengths[n - 1]);
      }
    } finally {
      reader.close();
    }
    const rows = again.segments(group.indexOf(sessionId));
    if (this.cache.size >= ROWS_CACHE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(sessionId, rows);
    return rows;
  }

  /** A function reading frame n's captured bytes, with `close()`: one open file for many reads. */
  private open(): ((n: number) => Uint8Array) & { close(): void } {
    const src = this.source;
    if (typeof src !== 'string') {
      const read = (n: number): Uint8Array =>
        src.slice(this.offsets[n - 1], this.offsets[n - 1] + this.lengths[n - 1]);
      return Object.assign(read, { close: () => undefined });
    }
    const fd = openSync(src, 'r');
    const read = (n: number): Uint8Array => {
      const out = new Uint8Array(this.lengths[n - 1]);
      const got = readSync(fd, out, 0, out.length, this.offsets[n - 1]);
      // A file changed since it was opened gives fewer bytes: the pane shows what is there.
      return got === out.length ? out : out.subarray(0, got);
    };
    return Object.assign(read, { close: () => closeSync(fd) });
  }

  private grow(): void {
    const n = this.offsets.length * 2;
    this.offsets = grown(this.offsets, n);
    this.lengths = grown(this.lengths, n);
    this.wireLengths = grown(this.wireLengths, n);
    this.linkTypes = grown(this.linkTypes, n);
    this.times = grown(this.times, n);
  }
}

/** A copy of `a` with room for `n` elements. */
function grown<T extends Float64Array | Uint32Array | Uint16Array | Int32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}

/** The frame numbers of several ascending lists, in one ascending list. */
function mergeAscending(lists: FrameList[]): number[] {
  if (lists.length === 1) return Array.from(lists[0].items.subarray(0, lists[0].length));
  const out: number[] = [];
  for (const l of lists) for (let i = 0; i < l.length; i++) out.push(l.items[i]);
  return out.sort((x, y) => x - y);
}
