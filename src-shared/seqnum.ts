/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4), the only place in
 * TCP Lab where it happens. Following gVisor's `seqnum` package, a position in
 * sequence space (`SeqNum`) and a distance (`SeqSize`) are kept apart by name;
 * both are plain unsigned 32-bit numbers in a JavaScript `number`, never
 * signed. Comparisons use the "half the space" rule: `a` is before `b` when
 * `(b - a) mod 2^32` is in `(0, 2^31)`.
 */

/** A position in the 32-bit sequence space (an unsigned integer 0 … 2^32-1). */
export type SeqNum = number;
/** A distance in sequence space (0 … 2^32-1). */
export type SeqSize = number;

const HALF = 0x8000_0000;

/** Normalises any integer to an unsigned 32-bit sequence number. */
export function seq(n: number): SeqNum {
  return n >>> 0;
}

/** `a + n` mod 2^32. */
export function seqAdd(a: SeqNum, n: SeqSize | number): SeqNum {
  return seq(a + n);
}

/** The distance from `a` forward to `b`: `(b - a) mod 2^32`. */
export function seqDiff(b: SeqNum, a: SeqNum): SeqSize {
  return seq(b - a);
}

/** `a < b` in sequence space. */
export function seqLT(a: SeqNum, b: SeqNum): boolean {
  const d = seqDiff(b, a);
  return d !== 0 && d < HALF;
}

/** `a <= b` in sequence space. */
export function seqLE(a: SeqNum, b: SeqNum): boolean {
  return a === b || seqLT(a, b);
}

/** `a > b` in sequence space. */
export function seqGT(a: SeqNum, b: SeqNum): boolean {
  return seqLT(b, a);
}

/** `a >= b` in sequence space. */
export function seqGE(a: SeqNum, b: SeqNum): boolean {
  return a === b || seqLT(b, a);
}

/** `start <= v < end` in sequence space (half-open, as gVisor's `InRange`). */
export function seqInRange(v: SeqNum, start: SeqNum, end: SeqNum): boolean {
  return seqDiff(v, start) < seqDiff(end, start);
}

/** `start <= v < start + size` (gVisor's `InWindow`); an empty window holds nothing. */
export function seqInWindow(v: SeqNum, start: SeqNum, size: SeqSize): boolean {
  return seqDiff(v, start) < size;
}

/** The larger of two sequence numbers in sequence space. */
export function seqMax(a: SeqNum, b: SeqNum): SeqNum {
  return seqGT(a, b) ? a : b;
}

/** The number relative to an initial sequence number, as Wireshark's "relative" seq. */
export function seqRelative(v: SeqNum, isn: SeqNum): SeqSize {
  return seqDiff(v, isn);
}
