/**
 * Byte buffers of a TCB. `SendBuffer` holds what the application wrote and the
 * peer has not acknowledged yet, as immutable chunks so that a segment's
 * payload can be a view without copying. `RecvBuffer` holds in-order bytes the
 * application has not read. `ReassemblyQueue` holds out-of-order bytes until
 * the hole before them fills (RFC 9293 §3.10.7.4, seventh step) and reports
 * them as SACK blocks (RFC 2018 §4). Offsets are plain byte counts; sequence
 * numbers stay in the TCB.
 */
import { seqAdd, seqDiff, seqGT, seqLE, seqLT, type SeqNum } from '../../src-shared/seqnum';

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0; // index of first live chunk
  private headOff = 0; // bytes of chunks[head] already acknowledged
  length = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
  }

  /** `n` bytes starting `off` bytes after the first unacknowledged byte. */
  slice(off: number, n: number): Uint8Array {
    if (off < 0 || n < 0 || off + n > this.length) {
      throw new RangeError(`send buffer slice ${off}+${n} is outside its ${this.length} bytes`);
    }
    let i = this.head;
    let o = off + this.headOff;
    while (o >= this.chunks[i].length) {
      o -= this.chunks[i].length;
      i++;
    }
    const c = this.chunks[i];
    if (o + n <= c.length) return c.subarray(o, o + n);
    const out = new Uint8Array(n);
    let w = 0;
    while (w < n) {
      const part = this.chunks[i].subarray(o, Math.min(this.chunks[i].length, o + n - w));
      out.set(part, w);
      w += part.length;
      i++;
      o = 0;
    }
    return out;
  }

  /** Forget the first `n` bytes (the peer acknowledged them). */
  drop(n: number): void {
    if (n > this.length) throw new RangeError(`cannot drop ${n} bytes from a send buffer of ${this.length}`);
    this.length -= n;
    while (n > 0) {
      const rest = this.chunks[this.head].length - this.headOff;
      if (n < rest) {
        this.headOff += n;
        return;
      }
      n -= rest;
      this.head++;
      this.headOff = 0;
    }
    if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

export class RecvBuffer {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(data: Uint8Array): void {
    this.chunks.push(data);
    this.length += data.length;
  }

  /** Everything buffered, in one array. */
  take(): Uint8Array {
    let out: Uint8Array;
    if (this.chunks.length === 1) out = this.chunks[0];
    else {
      out = new Uint8Array(this.length);
      let w = 0;
      for (const c of this.chunks) {
        out.set(c, w);
        w += c.length;
      }
    }
    this.chunks = [];
    this.length = 0;
    return out;
  }
}

interface Piece {
  seq: SeqNum;
  data: Uint8Array;
}

export class ReassemblyQueue {
  private pieces: Piece[] = [];
  /** Start of the piece that arrived last (first SACK block, RFC 2018 §4). */
  private lastSeq: SeqNum | null = null;

  get empty(): boolean {
    return this.pieces.length === 0;
  }

  get bytes(): number {
    let n = 0;
    for (const p of this.pieces) n += p.data.length;
    return n;
  }

  /** Keep bytes that arrived ahead of RCV.NXT. */
  insert(seq: SeqNum, data: Uint8Array): void {
    let i = 0;
    while (i < this.pieces.length && seqLE(this.pieces[i].seq, seq)) i++;
    this.pieces.splice(i, 0, { seq, data });
    this.lastSeq = seq;
  }

  /** Bytes that now continue at `rcvNxt`, in order, without duplicates. */
  pull(rcvNxt: SeqNum): Uint8Array[] {
    const out: Uint8Array[] = [];
    let nxt = rcvNxt;
    while (this.pieces.length > 0 && seqLE(this.pieces[0].seq, nxt)) {
      const p = this.pieces.shift() as Piece;
      const end = seqAdd(p.seq, p.data.length);
      if (seqGT(end, nxt)) {
        out.push(p.data.subarray(seqDiff(nxt, p.seq)));
        nxt = end;
      }
    }
    return out;
  }

  /** Merged ranges [left, right) as SACK blocks, the most recent first, at most `max`. */
  sackBlocks(max: number): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const p of this.pieces) {
      const end = seqAdd(p.seq, p.data.length);
      const last = ranges[ranges.length - 1];
      if (last && seqLE(p.seq, last[1])) {
        if (seqGT(end, last[1])) last[1] = end;
      } else ranges.push([p.seq, end]);
    }
    if (this.lastSeq !== null) {
      const ls = this.lastSeq;
      const k = ranges.findIndex((r) => seqLE(r[0], ls) && seqLT(ls, r[1]));
      if (k > 0) ranges.unshift(...ranges.splice(k, 1));
    }
    return ranges.slice(0, max);
  }

  clear(): void {
    this.pieces = [];
    this.lastSeq = null;
  }
}
