/**
 * The IPv6 fixed header (RFC 8200 §3) and the extension headers the decoder
 * walks past (§4: hop-by-hop, routing, fragment, destination options; AH of
 * RFC 4302 whose length counts 4-byte units): named byte offsets, a checked
 * view that parses the fixed header into a plain `Ipv6Repr`, and an emitter.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Source Address (128 bits)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Destination Address (128 bits)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { ipv6ToString, parseIpv6 } from './addr';

export const IPV6 = {
  VERSION_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
  HEADER: 40,
} as const;

/** Next-header values of extension headers. */
export const IPV6_EXT = {
  HOP_BY_HOP: 0,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  NO_NEXT: 59,
  DEST_OPTS: 60,
  MOBILITY: 135,
  HIP: 139,
  SHIM6: 140,
} as const;

export interface Ipv6Repr {
  src: string;
  dst: string;
  nextHeader: number;
  /** Length of what follows the fixed header (extension headers included). */
  payloadLength: number;
  /** Default 0. */
  trafficClass?: number;
  /** Default 0. */
  flowLabel?: number;
  /** Default 64. */
  hopLimit?: number;
}

/** Parses the fixed IPv6 header at the start of `bytes`. */
export function parseIpv6Header(bytes: Uint8Array): Ipv6Repr {
  if (bytes.length < IPV6.HEADER) throw new RangeError(`IPv6 header needs 40 bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = v.getUint32(IPV6.VERSION_TC_FLOW);
  if (first >>> 28 !== 6) throw new RangeError(`IPv6 version field is ${first >>> 28}`);
  return {
    src: ipv6ToString(bytes, IPV6.SRC),
    dst: ipv6ToString(bytes, IPV6.DST),
    nextHeader: v.getUint8(IPV6.NEXT_HEADER),
    payloadLength: v.getUint16(IPV6.PAYLOAD_LENGTH),
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    hopLimit: v.getUint8(IPV6.HOP_LIMIT),
  };
}

/** Writes the fixed header at `d[offset..)`; returns 40. */
export function emitIpv6(repr: Ipv6Repr, d: Uint8Array, offset: number): number {
  if (repr.payloadLength > 0xffff)
    throw new RangeError(`IPv6 payload length ${repr.payloadLength} exceeds 65535`);
  if (offset + IPV6.HEADER > d.length) throw new RangeError(`IPv6 header needs 40 bytes at offset ${offset}`);
  const v = new DataView(d.buffer, d.byteOffset + offset, IPV6.HEADER);
  v.setUint32(
    IPV6.VERSION_TC_FLOW,
    ((6 << 28) | ((repr.trafficClass ?? 0) << 20) | ((repr.flowLabel ?? 0) & 0xfffff)) >>> 0,
  );
  v.setUint16(IPV6.PAYLOAD_LENGTH, repr.payloadLength);
  v.setUint8(IPV6.NEXT_HEADER, repr.nextHeader);
  v.setUint8(IPV6.HOP_LIMIT, repr.hopLimit ?? 64);
  d.set(parseIpv6(repr.src), offset + IPV6.SRC);
  d.set(parseIpv6(repr.dst), offset + IPV6.DST);
  return IPV6.HEADER;
}

/**
 * Offset of the final destination named by a routing header whose segments
 * are not all visited yet: the last address of a type 0 header (RFC 2460),
 * the home address of type 2 (RFC 6275), segment 0 of a segment routing
 * header (type 4, RFC 8754). Other types keep the IPv6 destination.
 */
export function routingFinalDestination(d: Uint8Array, p: number, hlen: number, dstOff: number): number {
  const type = d[p + 2];
  if ((type === 0 || type === 2 || type === 4) && hlen >= 24) return type === 0 ? p + hlen - 16 : p + 8;
  return dstOff;
}
