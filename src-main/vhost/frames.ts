/**
 * The frames a virtual host on Ethernet needs besides TCP: ARP requests and
 * replies for IPv4 (RFC 826, with the Ethernet/IPv4 sizes of RFC 5227 §1.1)
 * and IPv6 neighbour solicitations and advertisements (RFC 4861 §4.3–4.4,
 * ICMPv6 checksum over the RFC 8200 §8.1 pseudo-header, hop limit 255 as
 * §7.1.1 demands, sent to the solicited-node multicast group of RFC 4291
 * §2.7.1 on the Ethernet multicast MAC of RFC 2464 §7); and the receive side
 * of TCP: an Ethernet frame decoded by the wire layer into the engine's
 * `Segment` plus its payload, with the checksum judged `ok`, `partial` (the
 * sending kernel left it to a NIC that a veth does not have: the field holds
 * only the pseudo-header sum, as Linux's CHECKSUM_PARTIAL does) or `bad`.
 * Frames are parsed with explicit length checks and never throw.
 */
import { TCP_FLAG, type TcpOption } from '../../src-shared/tcp';
import {
  checksumVerifies,
  decodeFrame,
  emitEthernet,
  emitIpv6,
  ETH,
  ETHERTYPE,
  foldSum,
  internetChecksum,
  ipv4ToString,
  ipv6ToString,
  IPV4,
  IPV6,
  LINKTYPE,
  macToString,
  parseIpv4,
  parseIpv6,
  parseMac,
  pseudoHeaderSum,
  TCP,
} from '../wire';
import type { TcpPacket } from '../../src-shared/tcp';
import type { SegOptions } from '../engine';

/** The engine's decoded options of a wire option list: it lives with the engine's options. */
export { segOptions } from '../engine';

export const ETHERTYPE_ARP = 0x0806;
export const ICMPV6 = { PROTOCOL: 58, NS: 135, NA: 136, OPT_SLLA: 1, OPT_TLLA: 2 } as const;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/* ------------------------------------------------------------------ ARP (RFC 826) */

/** An ARP packet for Ethernet and IPv4 (hardware type 1, protocol 0x0800). */
export interface ArpPacket {
  /** 1 request, 2 reply. */
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** The whole Ethernet frame (42 bytes) carrying `arp`, to `dstMac`. */
export function buildArp(arp: ArpPacket, srcMac: string, dstMac: string): Uint8Array {
  const out = new Uint8Array(ETH.HEADER + 28);
  emitEthernet({ dst: dstMac, src: srcMac, etherType: ETHERTYPE_ARP }, out, 0);
  const p = ETH.HEADER;
  out.set([0, 1, 0x08, 0x00, 6, 4, 0, arp.op], p); // htype, ptype, hlen, plen, op
  out.set(parseMac(arp.senderMac), p + 8);
  out.set(parseIpv4(arp.senderIp), p + 14);
  out.set(parseMac(arp.targetMac), p + 18);
  out.set(parseIpv4(arp.targetIp), p + 24);
  return out;
}

/** The ARP packet in an Ethernet frame, or null when it is not Ethernet/IPv4 ARP. */
export function parseArp(d: Uint8Array): ArpPacket | null {
  if (d.length < ETH.HEADER + 28) return null;
  if (((d[ETH.TYPE] << 8) | d[ETH.TYPE + 1]) !== ETHERTYPE_ARP) return null;
  const p = ETH.HEADER;
  if (d[p] !== 0 || d[p + 1] !== 1 || d[p + 2] !== 0x08 || d[p + 3] !== 0 || d[p + 4] !== 6 || d[p + 5] !== 4)
    return null;
  const op = (d[p + 6] << 8) | d[p + 7];
  if (op !== 1 && op !== 2) return null;
  return {
    op,
    senderMac: macToString(d, p + 8),
    senderIp: ipv4ToString(d, p + 14),
    targetMac: macToString(d, p + 18),
    targetIp: ipv4ToString(d, p + 24),
  };
}

/* ------------------------------------------------------------------ NDP (RFC 4861) */

/** The solicited-node multicast address of `ip` (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX. */
export function solicitedNode(ip: string): string {
  const b = parseIpv6(ip);
  const x = (n: number): string => n.toString(16).padStart(2, '0');
  return `ff02::1:ff${x(b[13])}:${x(b[14])}${x(b[15])}`;
}

/** The Ethernet MAC of an IPv6 multicast address (RFC 2464 §7): 33:33 and its low 32 bits. */
export function multicastMac(ip: string): string {
  const b = parseIpv6(ip);
  return ['33', '33', ...[12, 13, 14, 15].map((i) => b[i].toString(16).padStart(2, '0'))].join(':');
}

/** A neighbour solicitation or advertisement. */
export interface NdpPacket {
  type: typeof ICMPV6.NS | typeof ICMPV6.NA;
  srcIp: string;
  dstIp: string;
  srcMac: string;
  target: string;
  /** Source (NS) or target (NA) link-layer address option, when present. */
  lladdr: string | null;
  /** NA flags (RFC 4861 §4.4). */
  router?: boolean;
  solicited?: boolean;
  override?: boolean;
  hopLimit: number;
}

/** The whole Ethernet frame carrying an NS or NA, with the ICMPv6 checksum. */
export function buildNdp(p: Omit<NdpPacket, 'hopLimit'>, dstMac: string): Uint8Array {
  const icmpLen = 24 + (p.lladdr ? 8 : 0);
  const out = new Uint8Array(ETH.HEADER + IPV6.HEADER + icmpLen);
  emitEthernet({ dst: dstMac, src: p.srcMac, etherType: ETHERTYPE.IPV6 }, out, 0);
  emitIpv6(
    { src: p.srcIp, dst: p.dstIp, nextHeader: ICMPV6.PROTOCOL, payloadLength: icmpLen, hopLimit: 255 },
    out,
    ETH.HEADER,
  );
  const o = ETH.HEADER + IPV6.HEADER;
  out[o] = p.type;
  if (p.type === ICMPV6.NA)
    out[o + 4] = (p.router ? 0x80 : 0) | (p.solicited ? 0x40 : 0) | (p.override ? 0x20 : 0);
  out.set(parseIpv6(p.target), o + 8);
  if (p.lladdr) {
    out[o + 24] = p.type === ICMPV6.NS ? ICMPV6.OPT_SLLA : ICMPV6.OPT_TLLA;
    out[o + 25] = 1; // in units of 8 bytes
    out.set(parseMac(p.lladdr), o + 26);
  }
  const pseudo = pseudoHeaderSum(
    out,
    ETH.HEADER + IPV6.SRC,
    out,
    ETH.HEADER + IPV6.DST,
    16,
    ICMPV6.PROTOCOL,
    icmpLen,
  );
  const sum = internetChecksum(out, o, o + icmpLen, pseudo);
  out[o + 2] = sum >> 8;
  out[o + 3] = sum & 0xff;
  return out;
}

/** An NS or NA in an untagged Ethernet frame, or null (other ICMPv6, bad checksum, bad lengths). */
export function parseNdp(d: Uint8Array): NdpPacket | null {
  if (d.length < ETH.HEADER + IPV6.HEADER + 24) return null;
  if (((d[ETH.TYPE] << 8) | d[ETH.TYPE + 1]) !== ETHERTYPE.IPV6) return null;
  const ip = ETH.HEADER;
  if (d[ip] >> 4 !== 6 || d[ip + IPV6.NEXT_HEADER] !== ICMPV6.PROTOCOL) return null;
  const plen = (d[ip + IPV6.PAYLOAD_LENGTH] << 8) | d[ip + IPV6.PAYLOAD_LENGTH + 1];
  const o = ip + IPV6.HEADER;
  if (plen < 24 || o + plen > d.length) return null;
  const type = d[o];
  if ((type !== ICMPV6.NS && type !== ICMPV6.NA) || d[o + 1] !== 0) return null;
  const pseudo = pseudoHeaderSum(d, ip + IPV6.SRC, d, ip + IPV6.DST, 16, ICMPV6.PROTOCOL, plen);
  if (!checksumVerifies(d, o, o + plen, pseudo)) return null;
  let lladdr: string | null = null;
  for (let p = o + 24; p + 2 <= o + plen;) {
    const len = d[p + 1] * 8;
    if (len === 0 || p + len > o + plen) return null; // RFC 4861 §4.6: length 0 is invalid
    const want = type === ICMPV6.NS ? ICMPV6.OPT_SLLA : ICMPV6.OPT_TLLA;
    if (d[p] === want && len >= 8) lladdr = macToString(d, p + 2);
    p += len;
  }
  return {
    type: type as NdpPacket['type'],
    srcIp: ipv6ToString(d, ip + IPV6.SRC),
    dstIp: ipv6ToString(d, ip + IPV6.DST),
    srcMac: macToString(d, ETH.SRC),
    target: ipv6ToString(d, o + 8),
    lladdr,
    router: (d[o + 4] & 0x80) !== 0,
    solicited: (d[o + 4] & 0x40) !== 0,
    override: (d[o + 4] & 0x20) !== 0,
    hopLimit: d[ip + IPV6.HOP_LIMIT],
  };
}

/* ------------------------------------------------------------------ TCP in */

export type ChecksumVerdict = 'ok' | 'partial' | 'bad';

/** A TCP segment received in an Ethernet frame. */
export interface ReceivedTcp {
  packet: TcpPacket;
  srcMac: string;
  dstMac: string;
  /** A copy of the payload bytes. */
  payload: Uint8Array;
  checksum: ChecksumVerdict;
}

/**
 * Decodes an untagged Ethernet frame carrying TCP (no IPv6 extension headers:
 * what a kernel peer on a veth sends). Null for anything else, including
 * fragments and frames cut short by the capture.
 */
export function parseTcpFrame(d: Uint8Array, time = 0): ReceivedTcp | null {
  const r = decodeFrame(LINKTYPE.ETHERNET, d, 0, time);
  if (r.kind !== 'tcp') return null;
  const p = r.packet;
  const type = (d[ETH.TYPE] << 8) | d[ETH.TYPE + 1];
  const ip = ETH.HEADER;
  let end: number;
  let srcOff: number;
  let dstOff: number;
  if (type === ETHERTYPE.IPV4) {
    end = ip + ((d[ip + IPV4.TOTAL_LENGTH] << 8) | d[ip + IPV4.TOTAL_LENGTH + 1]);
    srcOff = ip + IPV4.SRC;
    dstOff = ip + IPV4.DST;
  } else if (type === ETHERTYPE.IPV6 && d[ip + IPV6.NEXT_HEADER] === TCP.PROTOCOL) {
    end = ip + IPV6.HEADER + ((d[ip + IPV6.PAYLOAD_LENGTH] << 8) | d[ip + IPV6.PAYLOAD_LENGTH + 1]);
    srcOff = ip + IPV6.SRC;
    dstOff = ip + IPV6.DST;
  } else return null;
  if (end > d.length) return null;
  const start = end - p.payloadLength;
  const tcpStart = start - p.headerLength;
  let checksum: ChecksumVerdict = 'ok';
  if (p.checksumOk !== true) {
    const pseudo = pseudoHeaderSum(
      d,
      srcOff,
      d,
      dstOff,
      p.ipVersion === 4 ? 4 : 16,
      TCP.PROTOCOL,
      end - tcpStart,
    );
    // CHECKSUM_PARTIAL: Linux wrote the folded pseudo-header sum and left the rest to the NIC.
    checksum = foldSum(pseudo) === p.checksum ? 'partial' : 'bad';
  }
  return {
    packet: p,
    srcMac: macToString(d, ETH.SRC),
    dstMac: macToString(d, ETH.DST),
    payload: d.slice(start, end),
    checksum,
  };
}

/**
 * The wire options of an engine segment, laid out as Linux lays them out
 * (MSS, SACK-permitted + timestamps, NOP + window scale on a SYN; NOP NOP +
 * timestamps, NOP NOP + SACK blocks otherwise), so every option is aligned.
 */
export function wireOptions(o: SegOptions | null, syn: boolean): TcpOption[] {
  if (!o) return [];
  const out: TcpOption[] = [];
  const ts = o.tsval !== undefined;
  if (syn) {
    if (o.mss !== undefined) out.push({ kind: 'mss', value: o.mss });
    if (o.sackPermitted && ts) out.push({ kind: 'sack-permitted' });
    else if (o.sackPermitted) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack-permitted' });
    if (ts) {
      if (!o.sackPermitted) out.push({ kind: 'nop' }, { kind: 'nop' });
      out.push({ kind: 'timestamps', tsval: o.tsval as number, tsecr: o.tsecr ?? 0 });
    }
    if (o.wscale !== undefined) out.push({ kind: 'nop' }, { kind: 'wscale', shift: o.wscale });
    return out;
  }
  if (ts)
    out.push(
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'timestamps', tsval: o.tsval as number, tsecr: o.tsecr ?? 0 },
    );
  if (o.sack?.length) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: o.sack });
  return out;
}

/** Whether `flags` carries SYN. */
export function isSyn(flags: number): boolean {
  return (flags & TCP_FLAG.SYN) !== 0;
}
