/**
 * The TCP vocabulary shared by every layer: flag bits, options, the eleven
 * connection states with their RFC 9293 names, and the plain segment model
 * that decoders produce, the tracker and engine consume, and the bridge
 * carries to the renderer. Pure data: no Node, DOM or Electron.
 */

/** Flag bits of the TCP header, byte 13 plus the AE bit (RFC 3168, RFC 9293 §3.1). */
export const TCP_FLAG = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

export type TcpFlagName = keyof typeof TCP_FLAG;

/** Display order used in labels ("SYN, ACK"). */
export const FLAG_ORDER: readonly TcpFlagName[] = [
  'SYN',
  'FIN',
  'RST',
  'PSH',
  'ACK',
  'URG',
  'ECE',
  'CWR',
  'AE',
];

/** Names of the set bits in `flags`, in display order. */
export function flagNames(flags: number): TcpFlagName[] {
  return FLAG_ORDER.filter((n) => (flags & TCP_FLAG[n]) !== 0);
}

/** Bits of a list of flag names. */
export function flagBits(names: readonly string[]): number {
  let bits = 0;
  for (const n of names) {
    const b = (TCP_FLAG as Record<string, number>)[n.toUpperCase()];
    if (b === undefined) throw new RangeError(`unknown TCP flag "${n}"`);
    bits |= b;
  }
  return bits;
}

export function hasFlag(flags: number, f: TcpFlagName): boolean {
  return (flags & TCP_FLAG[f]) !== 0;
}

/** The eleven states of RFC 9293 §3.3.2, spelled as the RFC does. */
export const TCP_STATES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
] as const;

export type TcpState = (typeof TCP_STATES)[number];

/** TCP option kinds (IANA "TCP Option Kind Numbers"). */
export const TCP_OPTION = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
} as const;

/** One decoded TCP option, in the order it appeared on the wire. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  | { kind: 'unknown'; type: number; data: number[] };

/** A short human label for an option ("MSS=1460", "WS=7", "SACK_PERM"). */
export function optionLabel(o: TcpOption): string {
  switch (o.kind) {
    case 'eol':
      return 'EOL';
    case 'nop':
      return 'NOP';
    case 'mss':
      return `MSS=${o.value}`;
    case 'wscale':
      return `WS=${2 ** o.shift}`;
    case 'sack-permitted':
      return 'SACK_PERM';
    case 'sack':
      return `SACK ${o.blocks.map(([l, r]) => `${l}-${r}`).join(' ')}`;
    case 'timestamps':
      return `TSval=${o.tsval} TSecr=${o.tsecr}`;
    case 'unknown':
      return `opt${o.type}(${o.data.length})`;
  }
}

/** Human label of a flag set: "SYN, ACK"; "<none>" when empty. */
export function flagsLabel(flags: number): string {
  const names = flagNames(flags);
  return names.length ? names.join(', ') : '<none>';
}

/**
 * The TCP segment model: what a decoder makes of one frame carrying TCP, with
 * addresses already rendered as text (IPv4 dotted, IPv6 RFC 5952). `time` is
 * seconds since the epoch as a float (microsecond or nanosecond precision kept
 * to what a double holds); `frame` is the 1-based frame number in the file.
 */
export interface TcpPacket {
  frame: number;
  time: number;
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Flag bits (`TCP_FLAG`). */
  flags: number;
  window: number;
  urgent: number;
  /** TCP payload length in bytes (from the IP length, not the capture length). */
  payloadLength: number;
  options: TcpOption[];
  /** Header length in bytes (data offset × 4). */
  headerLength: number;
  checksum: number;
  /** true/false when the checksum could be verified, null when it could not (truncated frame). */
  checksumOk: boolean | null;
}

/** "10.0.0.1:80" or "[::1]:80". */
export function endpointLabel(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const SYNCHRONIZED: ReadonlySet<TcpState> = new Set<TcpState>([
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
]);

/** The synchronized states of RFC 9293 §3.10.7.4: a connection exists and both ISNs are known. */
export function isSynchronized(s: TcpState): boolean {
  return SYNCHRONIZED.has(s);
}
