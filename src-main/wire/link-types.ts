/**
 * Link-layer header types (the LINKTYPE_ values of the tcpdump.org registry,
 * as stored in pcap and pcapng files) that TCP Lab decodes, the EtherTypes it
 * recognises, and display names for the protocols it does not decode, so a
 * frame that carries no TCP can still be labelled ("ARP", "UDP", "ICMPv6").
 */

export const LINKTYPE = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW on most platforms (raw IPv4 or IPv6, by the version nibble). */
  RAW_12: 12,
  /** DLT_RAW on OpenBSD. */
  RAW_14: 14,
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1 ("any" device). */
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  /** Linux cooked capture v2. */
  LINUX_SLL2: 276,
} as const;

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
} as const;

const ETHERTYPE_NAMES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x0842: 'Wake-on-LAN',
  0x22f0: 'AVTP',
  0x22f3: 'TRILL',
  0x6003: 'DECnet',
  0x8035: 'RARP',
  0x809b: 'AppleTalk',
  0x80f3: 'AARP',
  0x8100: '802.1Q',
  0x8137: 'IPX',
  0x86dd: 'IPv6',
  0x8808: 'Ethernet flow control',
  0x8809: 'LACP',
  0x8847: 'MPLS',
  0x8848: 'MPLS',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE',
  0x886d: 'Intel ANS',
  0x888e: 'EAPOL',
  0x8892: 'PROFINET',
  0x889a: 'HyperSCSI',
  0x88a2: 'ATA over Ethernet',
  0x88a4: 'EtherCAT',
  0x88a8: '802.1ad',
  0x88b8: 'GOOSE',
  0x88cc: 'LLDP',
  0x88e1: 'HomePlug',
  0x88e5: 'MACsec',
  0x88f7: 'PTP',
  0x8902: 'CFM',
  0x8906: 'FCoE',
  0x8914: 'FIP',
  0x893a: 'IEEE 1905',
  0x9000: 'Loopback',
};

/** "ARP", "LLDP", or "EtherType 0x1234". */
export function etherTypeName(type: number): string {
  return ETHERTYPE_NAMES[type] ?? `EtherType 0x${type.toString(16).padStart(4, '0')}`;
}

const IP_PROTOCOL_NAMES: Record<number, string> = {
  0: 'IPv6 hop-by-hop',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  8: 'EGP',
  17: 'UDP',
  27: 'RDP',
  33: 'DCCP',
  41: 'IPv6 in IP',
  43: 'IPv6 routing',
  44: 'IPv6 fragment',
  46: 'RSVP',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'IPv6 no next header',
  60: 'IPv6 destination options',
  88: 'EIGRP',
  89: 'OSPF',
  103: 'PIM',
  112: 'VRRP',
  115: 'L2TP',
  132: 'SCTP',
  135: 'Mobility header',
  136: 'UDP-Lite',
  137: 'MPLS in IP',
};

/** "UDP", "ICMPv6", or "IP protocol 253". */
export function ipProtocolName(protocol: number): string {
  return IP_PROTOCOL_NAMES[protocol] ?? `IP protocol ${protocol}`;
}

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'BSD loopback',
  1: 'Ethernet',
  12: 'Raw IP',
  14: 'Raw IP',
  101: 'Raw IP',
  105: 'IEEE 802.11',
  108: 'OpenBSD loopback',
  113: 'Linux cooked capture v1',
  127: 'IEEE 802.11 radiotap',
  228: 'Raw IPv4',
  229: 'Raw IPv6',
  276: 'Linux cooked capture v2',
};

/** "Ethernet", "Linux cooked capture v1", or "link type 147". */
export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES[linkType] ?? `link type ${linkType}`;
}

/** BSD loopback address-family values that mean IPv4 / IPv6 (AF_INET6 differs per OS). */
export function nullFamilyVersion(family: number): 4 | 6 | 0 {
  if (family === 2) return 4;
  // NetBSD/OpenBSD/BSD/OS 24, FreeBSD 28, Darwin 30, Linux 10.
  if (family === 24 || family === 28 || family === 30 || family === 10) return 6;
  return 0;
}
