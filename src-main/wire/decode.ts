/**
 * The fast path run on every captured frame: link layer (Ethernet with
 * 802.1Q/802.1ad tags, Linux cooked v1/v2, BSD and OpenBSD loopback, raw
 * IP) → IPv4 (RFC 791, options skipped; fragments reported, not reassembled)
 * or IPv6 (RFC 8200, extension headers walked) → TCP (RFC 9293) into the
 * shared `TcpPacket` model, with the checksum verified when the whole segment
 * was captured. It reads bytes straight from the `Uint8Array` at the named
 * offsets of each layer's module (no DataView or closure per packet, IPv4
 * address strings cached) and never throws: every bad length comes back as
 * `{ kind: 'malformed', layer, reason }` naming the length that was wrong, and
 * anything that is not TCP as `{ kind: 'other', what }`. Behind an IPv6
 * routing header with segments left, `dst` is the final destination (the one
 * the checksum covers and the reply comes from), not the next hop.
 *
 * Bulk readers (`analyzeCapture`) pass a `DecodeScratch`: a TCP segment is
 * then written into the scratch's one packet object (valid until the next
 * call) and, unless `allOptions` is set, its options are parsed only on SYN
 * segments — the only ones whose options the tracker reads when it keeps no
 * ladder rows — so the fast path allocates nothing per segment; with
 * `checksums` off the TCP checksum is not even summed. `decodeFrameAt` reads
 * a frame in place (`buf[start, end)`, the capture reader's own buffer), so
 * not even a view is made per frame. Internally every offset is into that
 * buffer and `cap` is the end of the captured bytes; offsets in messages are
 * counted from the start of the frame.
 */
import type { TcpOption, TcpPacket } from '../../src-shared/tcp';
import { ipv4ToString, ipv6ToString } from './addr';
import { checksumVerifies, pseudoHeaderSum } from './checksum';
import { ETHERTYPE, LINKTYPE, etherTypeName, ipProtocolName, nullFamilyVersion } from './link-types';
import { ETH, SLL, SLL2, VLAN } from './link';
import { IPV4 } from './ipv4';
import { IPV6, IPV6_EXT, routingFinalDestination } from './ipv6';
import { TCP, parseTcpOptions } from './tcp';

export type DecodeResult =
  | { kind: 'tcp'; packet: TcpPacket }
  | { kind: 'other'; what: string }
  | { kind: 'malformed'; layer: string; reason: string };

function malformed(layer: string, reason: string): DecodeResult {
  return { kind: 'malformed', layer, reason };
}

function other(what: string): DecodeResult {
  return { kind: 'other', what };
}

/** SYN in the TCP flags byte (RFC 9293 §3.1). */
const TCP_SYN = 0x02;

const NO_OPTIONS: TcpOption[] = Object.freeze([]) as unknown as TcpOption[];

/**
 * Slots of one TCP segment in a typed-array record (`SegmentSink`), in
 * Int32Array units. Addresses are the raw 4 or 16 bytes at SRC and DST (4
 * slots each); MSS and WSCALE are -1 when the SYN has none (or it is no SYN).
 */
export const SEG = {
  SRC_PORT: 0,
  DST_PORT: 1,
  SEQ: 2,
  ACK: 3,
  FLAGS: 4,
  WINDOW: 5,
  URGENT: 6,
  PAYLOAD: 7,
  HEADER: 8,
  CHECKSUM: 9,
  VERSION: 10,
  MSS: 11,
  WSCALE: 12,
  SRC: 13,
  DST: 17,
  /** Filled by the reader of the record, not by the decoder: frame number and length on the wire. */
  FRAME: 21,
  WIRE: 22,
  /** Slots per record. */
  STRIDE: 24,
} as const;

/**
 * Where a bulk decoder writes a TCP segment instead of the scratch packet:
 * the record at `at` (Int32Array index) of `i32`, with `u8` a byte view of
 * the same memory. A thread that only decodes (service/analyze-pipeline.ts)
 * fills records for another that tracks, with no address text or option
 * objects made on the way.
 */
export interface SegmentSink {
  i32: Int32Array;
  u8: Uint8Array;
  at: number;
}

/** A reusable TCP result for the fast path (see the module comment). */
export interface DecodeScratch {
  readonly result: { kind: 'tcp'; packet: TcpPacket };
  /** When set, TCP segments are written here and `result.packet` only gets frame and time. */
  sink: SegmentSink | null;
  /** Parse the options of every segment, not only of SYNs (ladder rows show them). */
  allOptions: boolean;
  /** Verify TCP checksums; when false `checksumOk` is null and the sum is never computed. */
  checksums: boolean;
}

export function newDecodeScratch(
  allOptions = false,
  checksums = true,
  sink: SegmentSink | null = null,
): DecodeScratch {
  const packet: TcpPacket = {
    frame: 0,
    time: 0,
    ipVersion: 4,
    src: '',
    dst: '',
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    urgent: 0,
    payloadLength: 0,
    options: NO_OPTIONS,
    headerLength: 20,
    checksum: 0,
    checksumOk: null,
  };
  return { result: { kind: 'tcp', packet }, sink, allOptions, checksums };
}

/**
 * Decodes one frame. `origLength` is the length on the wire (defaults to the
 * captured length); when it is larger the capture was cut by the snap length
 * and IP lengths are checked against it instead of the captured bytes.
 */
export function decodeFrame(
  linkType: number,
  data: Uint8Array,
  frame: number,
  time: number,
  origLength?: number,
  scratch?: DecodeScratch,
): DecodeResult {
  return decodeFrameAt(linkType, data, 0, data.length, frame, time, origLength, scratch);
}

/** `decodeFrame` of the frame `buf[start, end)`, read in place. */
export function decodeFrameAt(
  linkType: number,
  buf: Uint8Array,
  start: number,
  end: number,
  frame: number,
  time: number,
  origLength?: number,
  scratch?: DecodeScratch,
): DecodeResult {
  try {
    const captured = end - start;
    const wire = origLength !== undefined && origLength > captured ? origLength : captured;
    // Frame number and time are set here, not passed down the layers: a time passed as an argument
    // is boxed in a heap number for every frame.
    const r = decodeLink(linkType, buf, start, end, start + wire, scratch ?? null);
    if (r.kind === 'tcp') {
      r.packet.frame = frame;
      r.packet.time = time;
    }
    return r;
  } catch (e) {
    // Not reachable by design (every read is bounds-checked); kept so a bug can never crash a capture.
    return malformed('frame', `decoder error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `base` is the frame's first byte in `d`, `cap` the end of its captured bytes, `wire` the end on the wire. */
function decodeLink(
  linkType: number,
  d: Uint8Array,
  base: number,
  cap: number,
  wire: number,
  scratch: DecodeScratch | null,
): DecodeResult {
  const len = cap - base;
  let off: number;
  let type: number;
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (len < ETH.HEADER)
        return malformed('Ethernet', `frame of ${len} bytes is shorter than the 14-byte header`);
      type = (d[base + ETH.TYPE] << 8) | d[base + ETH.TYPE + 1];
      off = base + ETH.HEADER;
      if (type <= 1500) return other('LLC');
      break;
    case LINKTYPE.LINUX_SLL: {
      if (len < SLL.HEADER) {
        return malformed('Linux cooked capture', `frame of ${len} bytes is shorter than the 16-byte header`);
      }
      const hatype = (d[base + SLL.HA_TYPE] << 8) | d[base + SLL.HA_TYPE + 1];
      if (hatype === SLL.ARPHRD_NETLINK) return other('Netlink');
      type = (d[base + SLL.PROTOCOL] << 8) | d[base + SLL.PROTOCOL + 1];
      off = base + SLL.HEADER;
      if (type <= 1500) return other('LLC');
      break;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (len < SLL2.HEADER) {
        return malformed(
          'Linux cooked capture v2',
          `frame of ${len} bytes is shorter than the 20-byte header`,
        );
      }
      const hatype = (d[base + SLL2.HA_TYPE] << 8) | d[base + SLL2.HA_TYPE + 1];
      if (hatype === SLL.ARPHRD_NETLINK) return other('Netlink');
      type = (d[base + SLL2.PROTOCOL] << 8) | d[base + SLL2.PROTOCOL + 1];
      off = base + SLL2.HEADER;
      if (type <= 1500) return other('LLC');
      break;
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (len < 4) return malformed('Loopback', `frame of ${len} bytes is shorter than the 4-byte header`);
      let family = ((d[base] << 24) | (d[base + 1] << 16) | (d[base + 2] << 8) | d[base + 3]) >>> 0;
      // NULL is in the capturing host's byte order: a family in the high half means little-endian.
      if (linkType === LINKTYPE.NULL && (family & 0xffff) === 0)
        family = (d[base] | (d[base + 1] << 8)) >>> 0;
      const version = nullFamilyVersion(family);
      if (version === 0) return other(`loopback address family ${family}`);
      return version === 4
        ? decodeIpv4(d, base + 4, cap, wire, scratch)
        : decodeIpv6(d, base, base + 4, cap, wire, scratch);
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_12:
    case LINKTYPE.RAW_14: {
      if (len < 1) return malformed('IP', 'empty frame');
      const version = d[base] >> 4;
      if (version === 4) return decodeIpv4(d, base, cap, wire, scratch);
      if (version === 6) return decodeIpv6(d, base, base, cap, wire, scratch);
      return malformed('IP', `version ${version} is neither 4 nor 6`);
    }
    case LINKTYPE.IPV4:
      return decodeIpv4(d, base, cap, wire, scratch);
    case LINKTYPE.IPV6:
      return decodeIpv6(d, base, base, cap, wire, scratch);
    default:
      return other(`link type ${linkType}`);
  }
  // 802.1Q / 802.1ad tags, any number (each one consumes 4 bytes, so the loop ends).
  while (type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_OLD) {
    if (off + VLAN.HEADER > cap) {
      return malformed('802.1Q', `tag at byte ${off - base} needs 4 bytes, only ${cap - off} captured`);
    }
    type = (d[off + VLAN.TYPE] << 8) | d[off + VLAN.TYPE + 1];
    off += VLAN.HEADER;
  }
  if (type === ETHERTYPE.IPV4) return decodeIpv4(d, off, cap, wire, scratch);
  if (type === ETHERTYPE.IPV6) return decodeIpv6(d, base, off, cap, wire, scratch);
  return other(etherTypeName(type));
}

function decodeIpv4(
  d: Uint8Array,
  off: number,
  cap: number,
  wire: number,
  scratch: DecodeScratch | null,
): DecodeResult {
  const avail = cap - off;
  if (avail < IPV4.MIN_HEADER) {
    return malformed(
      'IPv4',
      wire - off >= IPV4.MIN_HEADER
        ? `header cut by the capture: ${avail} of 20 bytes captured`
        : `packet of ${avail} bytes is shorter than the 20-byte header`,
    );
  }
  const vihl = d[off + IPV4.VERSION_IHL];
  if (vihl >> 4 !== 4) return malformed('IPv4', `version ${vihl >> 4} in an IPv4 header`);
  const ihl = (vihl & 15) * 4;
  if (ihl < IPV4.MIN_HEADER) return malformed('IPv4', `header length ${vihl & 15} is below the minimum 5`);
  if (ihl > avail) return malformed('IPv4', `header length ${ihl} exceeds the ${avail} bytes captured`);
  let total = (d[off + IPV4.TOTAL_LENGTH] << 8) | d[off + IPV4.TOTAL_LENGTH + 1];
  // Total length 0 is what TCP segmentation offload leaves in outgoing captures: use the frame length.
  if (total === 0) total = wire - off;
  if (total < ihl) return malformed('IPv4', `total length ${total} is less than the header length ${ihl}`);
  if (total > wire - off) {
    return malformed('IPv4', `total length ${total} exceeds the ${wire - off} bytes in the frame`);
  }
  const frag = (d[off + IPV4.FLAGS_FRAGMENT] << 8) | d[off + IPV4.FLAGS_FRAGMENT + 1];
  if ((frag & 0x3fff) !== 0) return other('IPv4 fragment');
  const protocol = d[off + IPV4.PROTOCOL];
  if (protocol !== TCP.PROTOCOL) return other(ipProtocolName(protocol));
  return decodeTcp(d, off + ihl, off + total, cap, 4, off + IPV4.SRC, off + IPV4.DST, scratch);
}

function decodeIpv6(
  d: Uint8Array,
  base: number,
  off: number,
  cap: number,
  wire: number,
  scratch: DecodeScratch | null,
): DecodeResult {
  const avail = cap - off;
  if (avail < IPV6.HEADER) {
    return malformed(
      'IPv6',
      wire - off >= IPV6.HEADER
        ? `header cut by the capture: ${avail} of 40 bytes captured`
        : `packet of ${avail} bytes is shorter than the 40-byte header`,
    );
  }
  if (d[off] >> 4 !== 6) return malformed('IPv6', `version ${d[off] >> 4} in an IPv6 header`);
  let plen = (d[off + IPV6.PAYLOAD_LENGTH] << 8) | d[off + IPV6.PAYLOAD_LENGTH + 1];
  let nh = d[off + IPV6.NEXT_HEADER];
  // Payload length 0 with data behind it: a jumbogram or a GSO capture; use the frame length.
  if (plen === 0 && nh !== IPV6_EXT.NO_NEXT) plen = wire - off - IPV6.HEADER;
  if (plen > wire - off - IPV6.HEADER) {
    return malformed(
      'IPv6',
      `payload length ${plen} exceeds the ${wire - off - IPV6.HEADER} bytes in the frame`,
    );
  }
  const end = off + IPV6.HEADER + plen;
  let p = off + IPV6.HEADER;
  const len = cap;
  // The pseudo-header uses the final destination, which a routing header may carry (RFC 8200 §8.1).
  let dstOff = off + IPV6.DST;
  for (let n = 0; n < 64; n++) {
    switch (nh) {
      case TCP.PROTOCOL:
        return decodeTcp(d, p, end, cap, 6, off + IPV6.SRC, dstOff, scratch);
      case IPV6_EXT.HOP_BY_HOP:
      case IPV6_EXT.ROUTING:
      case IPV6_EXT.DEST_OPTS:
      case IPV6_EXT.MOBILITY:
      case IPV6_EXT.HIP:
      case IPV6_EXT.SHIM6:
      case IPV6_EXT.AH: {
        if (p + 2 > len) {
          return malformed('IPv6', `${ipProtocolName(nh)} header at byte ${p - base} cut by the capture`);
        }
        const hlen = nh === IPV6_EXT.AH ? (d[p + 1] + 2) * 4 : (d[p + 1] + 1) * 8;
        if (p + hlen > end) {
          return malformed(
            'IPv6',
            `${ipProtocolName(nh)} header length ${hlen} runs past the payload length ${plen}`,
          );
        }
        if (p + hlen > len) {
          return malformed('IPv6', `${ipProtocolName(nh)} header at byte ${p - base} cut by the capture`);
        }
        if (nh === IPV6_EXT.ROUTING && d[p + 3] > 0) dstOff = routingFinalDestination(d, p, hlen, dstOff);
        nh = d[p];
        p += hlen;
        break;
      }
      case IPV6_EXT.FRAGMENT: {
        if (p + 8 > len) return malformed('IPv6', `fragment header at byte ${p - base} cut by the capture`);
        if (p + 8 > end) return malformed('IPv6', `fragment header runs past the payload length ${plen}`);
        const fo = (d[p + 2] << 8) | d[p + 3];
        // Offset (13 bits) and M flag: anything but an atomic fragment is a real fragment.
        if ((fo & 0xfff9) !== 0) return other('IPv6 fragment');
        nh = d[p];
        p += 8;
        break;
      }
      case IPV6_EXT.NO_NEXT:
        return other('IPv6 no next header');
      default:
        return other(ipProtocolName(nh));
    }
  }
  return malformed('IPv6', 'more than 64 extension headers');
}

function decodeTcp(
  d: Uint8Array,
  t: number,
  end: number,
  cap: number,
  ipVersion: 4 | 6,
  srcOff: number,
  dstOff: number,
  scratch: DecodeScratch | null,
): DecodeResult {
  const segLen = end - t;
  if (segLen < TCP.MIN_HEADER) {
    return malformed('TCP', `segment of ${segLen} bytes is shorter than the 20-byte header`);
  }
  const len = cap;
  if (t + TCP.MIN_HEADER > len) {
    return malformed('TCP', `header cut by the capture: ${len - t} of 20 bytes captured`);
  }
  const offByte = d[t + TCP.DATA_OFFSET];
  const doff = offByte >> 4;
  if (doff < 5) return malformed('TCP', `data offset ${doff} is below the minimum 5`);
  const hlen = doff * 4;
  if (hlen > segLen) {
    return malformed('TCP', `data offset ${doff} (${hlen} bytes) exceeds the segment length ${segLen}`);
  }
  if (t + hlen > len) {
    return malformed('TCP', `options cut by the capture: ${len - t} of ${hlen} header bytes captured`);
  }
  const checksum = (d[t + TCP.CHECKSUM] << 8) | d[t + TCP.CHECKSUM + 1];
  let checksumOk: boolean | null = null;
  if (end <= len && (scratch === null || scratch.checksums)) {
    const pseudo = pseudoHeaderSum(d, srcOff, d, dstOff, ipVersion === 4 ? 4 : 16, TCP.PROTOCOL, segLen);
    checksumOk = checksumVerifies(d, t, end, pseudo);
  }
  if (scratch !== null && scratch.sink !== null) {
    writeSegment(scratch.sink, d, t, hlen, segLen, ipVersion, srcOff, dstOff, checksum);
    return scratch.result;
  }
  if (scratch !== null) {
    const p = scratch.result.packet;
    const flags = ((offByte & 1) << 8) | d[t + TCP.FLAGS];
    p.ipVersion = ipVersion;
    p.src = ipVersion === 4 ? ipv4ToString(d, srcOff) : ipv6ToString(d, srcOff);
    p.dst = ipVersion === 4 ? ipv4ToString(d, dstOff) : ipv6ToString(d, dstOff);
    p.srcPort = (d[t] << 8) | d[t + 1];
    p.dstPort = (d[t + 2] << 8) | d[t + 3];
    p.seq = ((d[t + 4] << 24) | (d[t + 5] << 16) | (d[t + 6] << 8) | d[t + 7]) >>> 0;
    p.ack = ((d[t + 8] << 24) | (d[t + 9] << 16) | (d[t + 10] << 8) | d[t + 11]) >>> 0;
    p.flags = flags;
    p.window = (d[t + TCP.WINDOW] << 8) | d[t + TCP.WINDOW + 1];
    p.urgent = (d[t + TCP.URGENT] << 8) | d[t + TCP.URGENT + 1];
    p.payloadLength = segLen - hlen;
    p.options =
      hlen > TCP.MIN_HEADER && (scratch.allOptions || flags & TCP_SYN)
        ? parseTcpOptions(d, t + TCP.OPTIONS, t + hlen)
        : NO_OPTIONS;
    p.headerLength = hlen;
    p.checksum = checksum;
    p.checksumOk = checksumOk;
    return scratch.result;
  }
  const packet: TcpPacket = {
    frame: 0,
    time: 0,
    ipVersion,
    src: ipVersion === 4 ? ipv4ToString(d, srcOff) : ipv6ToString(d, srcOff),
    dst: ipVersion === 4 ? ipv4ToString(d, dstOff) : ipv6ToString(d, dstOff),
    srcPort: (d[t] << 8) | d[t + 1],
    dstPort: (d[t + 2] << 8) | d[t + 3],
    seq: ((d[t + 4] << 24) | (d[t + 5] << 16) | (d[t + 6] << 8) | d[t + 7]) >>> 0,
    ack: ((d[t + 8] << 24) | (d[t + 9] << 16) | (d[t + 10] << 8) | d[t + 11]) >>> 0,
    flags: ((offByte & 1) << 8) | d[t + TCP.FLAGS],
    window: (d[t + TCP.WINDOW] << 8) | d[t + TCP.WINDOW + 1],
    urgent: (d[t + TCP.URGENT] << 8) | d[t + TCP.URGENT + 1],
    payloadLength: segLen - hlen,
    options: hlen > TCP.MIN_HEADER ? parseTcpOptions(d, t + TCP.OPTIONS, t + hlen) : [],
    headerLength: hlen,
    checksum,
    checksumOk,
  };
  return { kind: 'tcp', packet };
}

/** The segment at `d[t]` (header `hlen` bytes, `segLen` in all) as a `SEG` record of `sink`. */
function writeSegment(
  sink: SegmentSink,
  d: Uint8Array,
  t: number,
  hlen: number,
  segLen: number,
  ipVersion: 4 | 6,
  srcOff: number,
  dstOff: number,
  checksum: number,
): void {
  const r = sink.i32;
  const at = sink.at;
  const flags = ((d[t + TCP.DATA_OFFSET] & 1) << 8) | d[t + TCP.FLAGS];
  r[at + SEG.SRC_PORT] = (d[t] << 8) | d[t + 1];
  r[at + SEG.DST_PORT] = (d[t + 2] << 8) | d[t + 3];
  r[at + SEG.SEQ] = (d[t + 4] << 24) | (d[t + 5] << 16) | (d[t + 6] << 8) | d[t + 7];
  r[at + SEG.ACK] = (d[t + 8] << 24) | (d[t + 9] << 16) | (d[t + 10] << 8) | d[t + 11];
  r[at + SEG.FLAGS] = flags;
  r[at + SEG.WINDOW] = (d[t + TCP.WINDOW] << 8) | d[t + TCP.WINDOW + 1];
  r[at + SEG.URGENT] = (d[t + TCP.URGENT] << 8) | d[t + TCP.URGENT + 1];
  r[at + SEG.PAYLOAD] = segLen - hlen;
  r[at + SEG.HEADER] = hlen;
  r[at + SEG.CHECKSUM] = checksum;
  r[at + SEG.VERSION] = ipVersion;
  const n = ipVersion === 4 ? 4 : 16;
  const u8 = sink.u8;
  const src = (at + SEG.SRC) * 4;
  const dst = (at + SEG.DST) * 4;
  for (let k = 0; k < n; k++) {
    u8[src + k] = d[srcOff + k];
    u8[dst + k] = d[dstOff + k];
  }
  let mss = -1;
  let wscale = -1;
  if (flags & TCP_SYN && hlen > TCP.MIN_HEADER) {
    for (const o of parseTcpOptions(d, t + TCP.OPTIONS, t + hlen)) {
      if (o.kind === 'mss' && mss < 0) mss = o.value;
      else if (o.kind === 'wscale' && wscale < 0) wscale = o.shift;
    }
  }
  r[at + SEG.MSS] = mss;
  r[at + SEG.WSCALE] = wscale;
}
