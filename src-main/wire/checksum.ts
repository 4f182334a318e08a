/**
 * The Internet checksum (RFC 1071) and the TCP pseudo-header sums it is taken
 * over: the IPv4 pseudo-header of RFC 9293 §3.1 (source, destination, zero,
 * protocol, TCP length) and the IPv6 one of RFC 8200 §8.1 (source,
 * destination, upper-layer length as 32 bits, three zero bytes, next header).
 * Sums are kept as plain JavaScript numbers (exact up to 2^53, far beyond any
 * segment we accept) and folded to 16 bits only at the end, so a caller can
 * add partial sums together before finishing.
 */

/** Adds the bytes `data[start..end)` as big-endian 16-bit words to `initial` (an odd tail is padded with zero). */
export function sumWords(data: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  // Eight bytes a round (the hot loop of every decoded segment), then words, then an odd byte.
  for (const last8 = end - 7; i < last8; i += 8) {
    sum +=
      ((data[i] << 8) | data[i + 1]) +
      ((data[i + 2] << 8) | data[i + 3]) +
      ((data[i + 4] << 8) | data[i + 5]) +
      ((data[i + 6] << 8) | data[i + 7]);
  }
  const last = end - 1;
  for (; i < last; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  return sum;
}

/** Folds a sum of 16-bit words to 16 bits with end-around carry (RFC 1071 §4.1). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The one's-complement checksum of `data[start..end)` plus `initial` (a partial sum such as a pseudo-header). */
export function internetChecksum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  return ~foldSum(sumWords(data, start, end, initial)) & 0xffff;
}

/**
 * The partial sum of a TCP/UDP pseudo-header. `src` and `dst` are the address
 * bytes at `srcOffset`/`dstOffset` (4 bytes each for IPv4, 16 for IPv6);
 * `length` is the upper-layer length (TCP header plus payload).
 */
export function pseudoHeaderSum(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  addressLength: 4 | 16,
  protocol: number,
  length: number,
): number {
  let sum = sumWords(src, srcOffset, srcOffset + addressLength);
  sum = sumWords(dst, dstOffset, dstOffset + addressLength, sum);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, 24 zero bits, next header.
  // Both add up to the same words when length < 2^16; the IPv6 high half matters for jumbograms.
  sum += protocol + (length % 0x10000) + Math.floor(length / 0x10000);
  return sum;
}

/** True when the checksum over `data[start..end)` (which includes the checksum field) plus `initial` verifies. */
export function checksumVerifies(data: Uint8Array, start: number, end: number, initial: number): boolean {
  return foldSum(sumWords(data, start, end, initial)) === 0xffff;
}
