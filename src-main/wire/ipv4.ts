/**
 * The IPv4 header (RFC 791 §3.1): named byte offsets, a checked view that
 * parses a header into a plain `Ipv4Repr` (RangeError naming the length that
 * is wrong) and an emitter that writes it, options included, with the header
 * checksum computed.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { ipv4ToString, parseIpv4 } from './addr';
import { internetChecksum } from './checksum';

export const IPV4 = {
  VERSION_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENT: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
  MIN_HEADER: 20,
  MAX_HEADER: 60,
  FLAG_DF: 0x4000,
  FLAG_MF: 0x2000,
} as const;

export interface Ipv4Repr {
  src: string;
  dst: string;
  protocol: number;
  /** Length of what follows the header. */
  payloadLength: number;
  /** DSCP and ECN byte; default 0. */
  tos?: number;
  /** Default 0. */
  ident?: number;
  /** Don't-fragment; default true. */
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
  /** Default 64. */
  ttl?: number;
  /** Raw option bytes, a multiple of 4, at most 40. */
  options?: Uint8Array;
  /** As found on the wire (parse only). */
  checksum?: number;
}

export function ipv4HeaderLength(repr: Pick<Ipv4Repr, 'options'>): number {
  return IPV4.MIN_HEADER + (repr.options?.length ?? 0);
}

/** Parses the IPv4 header at the start of `bytes`. */
export function parseIpv4Header(bytes: Uint8Array): Ipv4Repr {
  if (bytes.length < IPV4.MIN_HEADER) throw new RangeError(`IPv4 header needs 20 bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vihl = v.getUint8(IPV4.VERSION_IHL);
  if (vihl >> 4 !== 4) throw new RangeError(`IPv4 version field is ${vihl >> 4}`);
  const ihl = (vihl & 15) * 4;
  if (ihl < IPV4.MIN_HEADER) throw new RangeError(`IPv4 header length ${vihl & 15} is below the minimum 5`);
  if (ihl > bytes.length)
    throw new RangeError(`IPv4 header length ${ihl} exceeds the ${bytes.length} bytes given`);
  const total = v.getUint16(IPV4.TOTAL_LENGTH);
  if (total < ihl) throw new RangeError(`IPv4 total length ${total} is less than the header length ${ihl}`);
  const ff = v.getUint16(IPV4.FLAGS_FRAGMENT);
  return {
    src: ipv4ToString(bytes, IPV4.SRC),
    dst: ipv4ToString(bytes, IPV4.DST),
    protocol: v.getUint8(IPV4.PROTOCOL),
    payloadLength: total - ihl,
    tos: v.getUint8(IPV4.TOS),
    ident: v.getUint16(IPV4.IDENT),
    dontFragment: (ff & IPV4.FLAG_DF) !== 0,
    moreFragments: (ff & IPV4.FLAG_MF) !== 0,
    fragmentOffset: ff & 0x1fff,
    ttl: v.getUint8(IPV4.TTL),
    options: bytes.slice(IPV4.OPTIONS, ihl),
    checksum: v.getUint16(IPV4.CHECKSUM),
  };
}

/** Writes the header at `d[offset..)` with its checksum; returns the header length. */
export function emitIpv4(repr: Ipv4Repr, d: Uint8Array, offset: number): number {
  const opts = repr.options ?? new Uint8Array(0);
  if (opts.length % 4 !== 0 || opts.length > 40) {
    throw new RangeError(`IPv4 options are ${opts.length} bytes; they must be a multiple of 4, at most 40`);
  }
  const hlen = IPV4.MIN_HEADER + opts.length;
  const total = hlen + repr.payloadLength;
  if (total > 0xffff) throw new RangeError(`IPv4 total length ${total} exceeds 65535`);
  if (offset + hlen > d.length) throw new RangeError(`IPv4 header needs ${hlen} bytes at offset ${offset}`);
  const v = new DataView(d.buffer, d.byteOffset + offset, hlen);
  v.setUint8(IPV4.VERSION_IHL, 0x40 | (hlen / 4));
  v.setUint8(IPV4.TOS, repr.tos ?? 0);
  v.setUint16(IPV4.TOTAL_LENGTH, total);
  v.setUint16(IPV4.IDENT, repr.ident ?? 0);
  const frag = repr.fragmentOffset ?? 0;
  if (frag < 0 || frag > 0x1fff) throw new RangeError(`IPv4 fragment offset ${frag} does not fit in 13 bits`);
  v.setUint16(
    IPV4.FLAGS_FRAGMENT,
    ((repr.dontFragment ?? true) ? IPV4.FLAG_DF : 0) | (repr.moreFragments ? IPV4.FLAG_MF : 0) | frag,
  );
  v.setUint8(IPV4.TTL, repr.ttl ?? 64);
  v.setUint8(IPV4.PROTOCOL, repr.protocol);
  v.setUint16(IPV4.CHECKSUM, 0);
  d.set(parseIpv4(repr.src), offset + IPV4.SRC);
  d.set(parseIpv4(repr.dst), offset + IPV4.DST);
  d.set(opts, offset + IPV4.OPTIONS);
  v.setUint16(IPV4.CHECKSUM, internetChecksum(d, offset, offset + hlen));
  return hlen;
}
