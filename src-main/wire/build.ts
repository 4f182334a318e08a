/**
 * Frame building (fields → bytes) for injection, for the engine on a real
 * interface and for tests: one call lays out link header, IPv4 or IPv6 header
 * and TCP segment into a buffer of exactly the needed length, with the IPv4
 * header checksum and the TCP checksum (over the pseudo-header) computed.
 * Link types: Ethernet (optionally VLAN-tagged), Linux cooked v1/v2, BSD
 * and OpenBSD loopback, and raw IP (101, 228, 229).
 */
import type { TcpOption } from '../../src-shared/tcp';
import { parseIp, parseMac } from './addr';
import { ETHERTYPE, LINKTYPE } from './link-types';
import { emitEthernet, emitLoopback, emitSll, emitSll2, ethernetHeaderLength, SLL } from './link';
import { emitIpv4, IPV4 } from './ipv4';
import { emitIpv6, IPV6 } from './ipv6';
import { emitTcp, tcpHeaderLength, TCP } from './tcp';

export interface FrameSpec {
  /** LINKTYPE_ value; default Ethernet (1). */
  linkType?: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  /** Default 0. */
  ack?: number;
  /** `TCP_FLAG` bits. */
  flags: number;
  /** Default 65535. */
  window?: number;
  /** Default 0. */
  urgent?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
  /** Inferred from the addresses when absent; must agree with them. */
  ipVersion?: 4 | 6;
  /** Default 02:00:00:00:00:01 / 02:00:00:00:00:02. */
  srcMac?: string;
  dstMac?: string;
  /** VLAN IDs (Ethernet only), outermost first. */
  vlans?: number[];
  /** IPv4 TTL / IPv6 hop limit; default 64. */
  ttl?: number;
  /** IPv4 identification; default 0. */
  ipId?: number;
  /** IPv4 DF; default true. */
  dontFragment?: boolean;
  /** IPv4 TOS / IPv6 traffic class; default 0. */
  tos?: number;
  /** IPv6 flow label; default 0. */
  flowLabel?: number;
  /** Linux cooked packet type: 0 to us (default), 4 sent by us. */
  sllPacketType?: number;
  /** Write a wrong TCP checksum (for tests and lessons on bad checksums). */
  corruptChecksum?: boolean;
}

const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
const DEFAULT_DST_MAC = '02:00:00:00:00:02';

function linkHeaderLength(spec: FrameSpec, linkType: number): number {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return ethernetHeaderLength({ dst: '', src: '', etherType: 0, vlans: spec.vlans });
    case LINKTYPE.LINUX_SLL:
      return 16;
    case LINKTYPE.LINUX_SLL2:
      return 20;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      return 4;
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return 0;
    default:
      throw new RangeError(`cannot build frames for link type ${linkType}`);
  }
}

/** Builds a whole frame carrying one TCP segment. Throws RangeError on a field that does not fit. */
export function buildFrame(spec: FrameSpec): Uint8Array {
  const linkType = spec.linkType ?? LINKTYPE.ETHERNET;
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  if (src.version !== dst.version)
    throw new RangeError(`source ${spec.src} and destination ${spec.dst} differ in IP version`);
  const version = src.version;
  if (spec.ipVersion !== undefined && spec.ipVersion !== version) {
    throw new RangeError(`ipVersion ${spec.ipVersion} does not match the address ${spec.src}`);
  }
  if (linkType === LINKTYPE.IPV4 && version !== 4) throw new RangeError('link type 228 carries IPv4 only');
  if (linkType === LINKTYPE.IPV6 && version !== 6) throw new RangeError('link type 229 carries IPv6 only');
  const payload = spec.payload ?? new Uint8Array(0);
  const options = spec.options ?? [];
  const tcpLen = tcpHeaderLength({ options }) + payload.length;
  const ipHeader = version === 4 ? IPV4.MIN_HEADER : IPV6.HEADER;
  const linkLen = linkHeaderLength(spec, linkType);
  const out = new Uint8Array(linkLen + ipHeader + tcpLen);
  const etherType = version === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;

  switch (linkType) {
    case LINKTYPE.ETHERNET:
      emitEthernet(
        {
          dst: spec.dstMac ?? DEFAULT_DST_MAC,
          src: spec.srcMac ?? DEFAULT_SRC_MAC,
          etherType,
          vlans: spec.vlans,
        },
        out,
        0,
      );
      break;
    case LINKTYPE.LINUX_SLL:
    case LINKTYPE.LINUX_SLL2: {
      const repr = {
        packetType: spec.sllPacketType ?? 0,
        haType: SLL.ARPHRD_ETHER,
        address: parseMac(spec.srcMac ?? DEFAULT_SRC_MAC),
        protocol: etherType,
      };
      if (linkType === LINKTYPE.LINUX_SLL) emitSll(repr, out, 0);
      else emitSll2(repr, out, 0);
      break;
    }
    case LINKTYPE.NULL:
      // As captured on a little-endian host; AF_INET6 as on FreeBSD (28).
      emitLoopback(version === 4 ? 2 : 28, true, out, 0);
      break;
    case LINKTYPE.LOOP:
      emitLoopback(version === 4 ? 2 : 24, false, out, 0);
      break;
    default:
      break;
  }

  const ipOff = linkLen;
  if (version === 4) {
    emitIpv4(
      {
        src: spec.src,
        dst: spec.dst,
        protocol: TCP.PROTOCOL,
        payloadLength: tcpLen,
        ttl: spec.ttl,
        ident: spec.ipId,
        dontFragment: spec.dontFragment,
        tos: spec.tos,
      },
      out,
      ipOff,
    );
  } else {
    emitIpv6(
      {
        src: spec.src,
        dst: spec.dst,
        nextHeader: TCP.PROTOCOL,
        payloadLength: tcpLen,
        hopLimit: spec.ttl,
        trafficClass: spec.tos,
        flowLabel: spec.flowLabel,
      },
      out,
      ipOff,
    );
  }
  const tcpOff = ipOff + ipHeader;
  emitTcp(
    {
      srcPort: spec.srcPort,
      dstPort: spec.dstPort,
      seq: spec.seq,
      ack: spec.ack ?? 0,
      flags: spec.flags,
      window: spec.window ?? 65535,
      urgent: spec.urgent ?? 0,
      options,
    },
    payload,
    out,
    tcpOff,
    { src: src.bytes, dst: dst.bytes },
  );
  if (spec.corruptChecksum) out[tcpOff + TCP.CHECKSUM + 1] ^= 0xff;
  return out;
}
