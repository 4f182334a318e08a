/**
 * Link-layer headers: Ethernet II (IEEE 802.3), 802.1Q/802.1ad VLAN tags,
 * Linux cooked capture v1 and v2 (the "any" device; tcpdump.org LINKTYPE_LINUX_SLL
 * and LINUX_SLL2) and the 4-byte BSD/OpenBSD loopback header. Named byte
 * offsets used by the decoder and the dissector, plain representations, and
 * emitters that write exactly the header's length into a caller's buffer.
 *
 * ```
 * Ethernet II                      802.1Q tag (after the MAC addresses)
 * +------------+------------+------+   +------+---+-+-----------+------+
 * | dst MAC(6) | src MAC(6) | type |   | TPID |PCP|D| VLAN ID   | type |
 * +------------+------------+------+   +------+---+-+-----------+------+
 * Linux cooked v1 (16 bytes)       Linux cooked v2 (20 bytes)
 * +-----+------+------+--------+-----+  +-----+----+-------+------+----+-----+--------+
 * |pkttype|hatype|halen|addr(8)|proto|  |proto|rsv |ifindex|hatype|pkt |halen|addr(8)|
 * |  2    |  2   |  2  |  8    |  2  |  |  2  | 2  |   4   |  2   | 1  |  1  |  8    |
 * +-----+------+------+--------+-----+  +-----+----+-------+------+----+-----+--------+
 * ```
 */
import { parseMac } from './addr';

export const ETH = { DST: 0, SRC: 6, TYPE: 12, HEADER: 14 } as const;
/** Offsets inside one 4-byte tag, counted from the TPID's end (the tag follows the 2-byte TPID already read as "type"). */
export const VLAN = { TCI: 0, TYPE: 2, HEADER: 4 } as const;
export const SLL = {
  PACKET_TYPE: 0,
  HA_TYPE: 2,
  HA_LENGTH: 4,
  ADDRESS: 6,
  PROTOCOL: 14,
  HEADER: 16,
  ARPHRD_ETHER: 1,
  ARPHRD_LOOPBACK: 772,
  ARPHRD_NETLINK: 824,
} as const;
export const SLL2 = {
  PROTOCOL: 0,
  RESERVED: 2,
  IF_INDEX: 4,
  HA_TYPE: 8,
  PACKET_TYPE: 10,
  HA_LENGTH: 11,
  ADDRESS: 12,
  HEADER: 20,
} as const;

/** Linux packet types (sll_pkttype). */
export const SLL_PACKET_TYPE: readonly string[] = [
  'Unicast to us',
  'Broadcast',
  'Multicast',
  'Unicast to another host',
  'Sent by us',
];

export interface EthernetRepr {
  dst: string;
  src: string;
  /** VLAN IDs of the tags, outermost first (802.1ad TPID for all but the innermost when more than one). */
  vlans?: number[];
  etherType: number;
}

export function ethernetHeaderLength(repr: EthernetRepr): number {
  return ETH.HEADER + 4 * (repr.vlans?.length ?? 0);
}

/** Writes the Ethernet header (with VLAN tags) at `d[offset..)`; returns its length. */
export function emitEthernet(repr: EthernetRepr, d: Uint8Array, offset: number): number {
  const n = ethernetHeaderLength(repr);
  if (offset + n > d.length) throw new RangeError(`Ethernet header needs ${n} bytes at offset ${offset}`);
  d.set(parseMac(repr.dst), offset + ETH.DST);
  d.set(parseMac(repr.src), offset + ETH.SRC);
  const v = new DataView(d.buffer, d.byteOffset + offset, n);
  let p = ETH.TYPE;
  const vlans = repr.vlans ?? [];
  for (let i = 0; i < vlans.length; i++) {
    const id = vlans[i];
    if (!Number.isInteger(id) || id < 0 || id > 0xfff)
      throw new RangeError(`VLAN ID ${id} does not fit in 12 bits`);
    v.setUint16(p, i < vlans.length - 1 ? 0x88a8 : 0x8100);
    v.setUint16(p + 2, id);
    p += 4;
  }
  v.setUint16(p, repr.etherType);
  return n;
}

export interface SllRepr {
  /** 0 to us, 1 broadcast, 2 multicast, 3 other host, 4 sent by us. */
  packetType: number;
  /** ARPHRD_ type (1 Ethernet, 772 loopback). */
  haType: number;
  /** Link-layer address bytes (up to 8 are stored). */
  address: Uint8Array;
  protocol: number;
  /** SLL2 only. */
  ifIndex?: number;
}

/** Writes a Linux cooked v1 header; returns 16. */
export function emitSll(repr: SllRepr, d: Uint8Array, offset: number): number {
  const v = new DataView(d.buffer, d.byteOffset + offset, SLL.HEADER);
  v.setUint16(SLL.PACKET_TYPE, repr.packetType);
  v.setUint16(SLL.HA_TYPE, repr.haType);
  v.setUint16(SLL.HA_LENGTH, repr.address.length);
  d.fill(0, offset + SLL.ADDRESS, offset + SLL.ADDRESS + 8);
  d.set(repr.address.subarray(0, 8), offset + SLL.ADDRESS);
  v.setUint16(SLL.PROTOCOL, repr.protocol);
  return SLL.HEADER;
}

/** Writes a Linux cooked v2 header; returns 20. */
export function emitSll2(repr: SllRepr, d: Uint8Array, offset: number): number {
  const v = new DataView(d.buffer, d.byteOffset + offset, SLL2.HEADER);
  v.setUint16(SLL2.PROTOCOL, repr.protocol);
  v.setUint16(SLL2.RESERVED, 0);
  v.setUint32(SLL2.IF_INDEX, repr.ifIndex ?? 0);
  v.setUint16(SLL2.HA_TYPE, repr.haType);
  v.setUint8(SLL2.PACKET_TYPE, repr.packetType);
  v.setUint8(SLL2.HA_LENGTH, repr.address.length);
  d.fill(0, offset + SLL2.ADDRESS, offset + SLL2.ADDRESS + 8);
  d.set(repr.address.subarray(0, 8), offset + SLL2.ADDRESS);
  return SLL2.HEADER;
}

/** Writes a 4-byte loopback header: `littleEndian` for LINKTYPE_NULL captured on x86, network order for LOOP. */
export function emitLoopback(family: number, littleEndian: boolean, d: Uint8Array, offset: number): number {
  new DataView(d.buffer, d.byteOffset + offset, 4).setUint32(0, family, littleEndian);
  return 4;
}
