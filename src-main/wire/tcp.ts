/**
 * The TCP header (RFC 9293 §3.1, with the AE bit of RFC 3168/accurate ECN in
 * the reserved nibble) and its options (RFC 9293 §3.2, RFC 7323, RFC 2018):
 * named byte offsets, a checked view that parses a header into a plain
 * `TcpHeaderRepr`, and an emitter that writes a header of exactly the needed
 * length with the checksum computed over the pseudo-header. Option parsing
 * is lenient, so the segment itself still decodes: a known kind with the
 * wrong length becomes an `unknown` option with its value bytes, and a
 * structurally broken one (length < 2, or running past the header) becomes
 * an `unknown` option holding every remaining byte after the kind, and ends
 * the list.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrv|E|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import type { TcpOption } from '../../src-shared/tcp';
import { TCP_OPTION } from '../../src-shared/tcp';
import { internetChecksum, pseudoHeaderSum } from './checksum';

/** Byte offsets of the TCP header fields. */
export const TCP = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  /** Data offset (high nibble), reserved bits, AE (bit 0). */
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
  MIN_HEADER: 20,
  MAX_HEADER: 60,
  PROTOCOL: 6,
} as const;

/** Everything in a TCP header, as plain data. */
export interface TcpHeaderRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Flag bits (`TCP_FLAG`), AE included. */
  flags: number;
  window: number;
  urgent: number;
  options: TcpOption[];
  /** The three reserved bits (0–7) as found on the wire; emitted as given, default 0. */
  reserved?: number;
  /** The header length in bytes when parsed; when emitting, computed from the options. */
  headerLength?: number;
  /** The checksum as found on the wire (parse only). */
  checksum?: number;
}

/**
 * Parses the options in `d[start..end)`. Never throws; a broken option ends
 * the list as an `unknown` option holding the remaining bytes (data from the
 * byte after the kind, length byte included).
 */
export function parseTcpOptions(d: Uint8Array, start: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = d[i];
    if (kind === TCP_OPTION.EOL) {
      out.push({ kind: 'eol' });
      break; // the rest is padding
    }
    if (kind === TCP_OPTION.NOP) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    const len = i + 1 < end ? d[i + 1] : 0;
    if (len < 2 || i + len > end) {
      out.push({ kind: 'unknown', type: kind, data: Array.from(d.subarray(i + 1, end)) });
      break;
    }
    const v = i + 2;
    switch (kind) {
      case TCP_OPTION.MSS:
        if (len === 4) {
          out.push({ kind: 'mss', value: (d[v] << 8) | d[v + 1] });
          i += len;
          continue;
        }
        break;
      case TCP_OPTION.WSCALE:
        if (len === 3) {
          out.push({ kind: 'wscale', shift: d[v] });
          i += len;
          continue;
        }
        break;
      case TCP_OPTION.SACK_PERMITTED:
        if (len === 2) {
          out.push({ kind: 'sack-permitted' });
          i += len;
          continue;
        }
        break;
      case TCP_OPTION.SACK:
        if (len >= 10 && (len - 2) % 8 === 0) {
          const blocks: Array<[number, number]> = [];
          for (let p = v; p < i + len; p += 8) blocks.push([readU32(d, p), readU32(d, p + 4)]);
          out.push({ kind: 'sack', blocks });
          i += len;
          continue;
        }
        break;
      case TCP_OPTION.TIMESTAMPS:
        if (len === 10) {
          out.push({ kind: 'timestamps', tsval: readU32(d, v), tsecr: readU32(d, v + 4) });
          i += len;
          continue;
        }
        break;
      default:
        out.push({ kind: 'unknown', type: kind, data: Array.from(d.subarray(v, i + len)) });
        i += len;
        continue;
    }
    // A known kind with the wrong length: keep it as raw bytes and go on.
    out.push({ kind: 'unknown', type: kind, data: Array.from(d.subarray(v, i + len)) });
    i += len;
  }
  return out;
}

function readU32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

/** Wire length of one option. */
function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamps':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** The options' length padded to a multiple of 4; RangeError when over the 40 bytes a header can hold. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += optionLength(o);
  const padded = (n + 3) & ~3;
  if (padded > TCP.MAX_HEADER - TCP.MIN_HEADER) {
    throw new RangeError(`TCP options need ${n} bytes, more than the 40 a header can hold`);
  }
  return padded;
}

/**
 * Writes the options at `d[offset..)` and zero padding (EOL) up to a multiple
 * of 4; returns the padded length. Parsing the result yields a trailing
 * `eol` option when padding was needed.
 */
export function emitTcpOptions(options: readonly TcpOption[], d: Uint8Array, offset: number): number {
  const total = tcpOptionsLength(options);
  let i = offset;
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        d[i++] = TCP_OPTION.EOL;
        break;
      case 'nop':
        d[i++] = TCP_OPTION.NOP;
        break;
      case 'mss':
        checkU16('MSS', o.value);
        d[i] = TCP_OPTION.MSS;
        d[i + 1] = 4;
        d[i + 2] = o.value >> 8;
        d[i + 3] = o.value & 0xff;
        i += 4;
        break;
      case 'wscale':
        if (!Number.isInteger(o.shift) || o.shift < 0 || o.shift > 255) {
          throw new RangeError(`window scale shift ${o.shift} is not a byte`);
        }
        d[i] = TCP_OPTION.WSCALE;
        d[i + 1] = 3;
        d[i + 2] = o.shift;
        i += 3;
        break;
      case 'sack-permitted':
        d[i] = TCP_OPTION.SACK_PERMITTED;
        d[i + 1] = 2;
        i += 2;
        break;
      case 'sack':
        d[i] = TCP_OPTION.SACK;
        d[i + 1] = 2 + 8 * o.blocks.length;
        i += 2;
        for (const [l, r] of o.blocks) {
          writeU32(d, i, l);
          writeU32(d, i + 4, r);
          i += 8;
        }
        break;
      case 'timestamps':
        d[i] = TCP_OPTION.TIMESTAMPS;
        d[i + 1] = 10;
        writeU32(d, i + 2, o.tsval);
        writeU32(d, i + 6, o.tsecr);
        i += 10;
        break;
      case 'unknown':
        d[i] = o.type;
        d[i + 1] = 2 + o.data.length;
        d.set(o.data, i + 2);
        i += 2 + o.data.length;
        break;
    }
  }
  d.fill(0, i, offset + total);
  return total;
}

function writeU32(d: Uint8Array, o: number, v: number): void {
  d[o] = v >>> 24;
  d[o + 1] = (v >>> 16) & 0xff;
  d[o + 2] = (v >>> 8) & 0xff;
  d[o + 3] = v & 0xff;
}

function checkU16(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new RangeError(`${what} ${v} does not fit in 16 bits`);
}

function checkU32(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new RangeError(`${what} ${v} does not fit in 32 bits`);
}

/** Header length (bytes) the emitter will write for `repr`. */
export function tcpHeaderLength(repr: Pick<TcpHeaderRepr, 'options'>): number {
  return TCP.MIN_HEADER + tcpOptionsLength(repr.options);
}

/**
 * Parses the TCP header at the start of `bytes` (a checked view: RangeError
 * naming the length that is wrong). `bytes` may hold the payload too.
 */
export function parseTcpHeader(bytes: Uint8Array): TcpHeaderRepr {
  if (bytes.length < TCP.MIN_HEADER) {
    throw new RangeError(`TCP header needs 20 bytes, got ${bytes.length}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offByte = v.getUint8(TCP.DATA_OFFSET);
  const headerLength = (offByte >> 4) * 4;
  if (headerLength < TCP.MIN_HEADER) {
    throw new RangeError(`TCP data offset ${offByte >> 4} is below the minimum 5`);
  }
  if (headerLength > bytes.length) {
    throw new RangeError(`TCP data offset says ${headerLength} header bytes, only ${bytes.length} present`);
  }
  return {
    srcPort: v.getUint16(TCP.SRC_PORT),
    dstPort: v.getUint16(TCP.DST_PORT),
    seq: v.getUint32(TCP.SEQ),
    ack: v.getUint32(TCP.ACK),
    flags: ((offByte & 1) << 8) | v.getUint8(TCP.FLAGS),
    reserved: (offByte >> 1) & 7,
    window: v.getUint16(TCP.WINDOW),
    checksum: v.getUint16(TCP.CHECKSUM),
    urgent: v.getUint16(TCP.URGENT),
    headerLength,
    options: parseTcpOptions(bytes, TCP.OPTIONS, headerLength),
  };
}

/** The addresses a TCP checksum covers (pseudo-header), as bytes: 4 each for IPv4, 16 for IPv6. */
export interface PseudoHeader {
  src: Uint8Array;
  dst: Uint8Array;
}

/**
 * Writes header and payload at `d[offset..)`, which must have room for
 * `tcpHeaderLength(repr) + payload.length` bytes; computes the checksum over
 * the pseudo-header unless `pseudo` is null (checksum left 0). Returns the
 * number of bytes written.
 */
export function emitTcp(
  repr: TcpHeaderRepr,
  payload: Uint8Array,
  d: Uint8Array,
  offset: number,
  pseudo: PseudoHeader | null,
): number {
  checkU16('TCP source port', repr.srcPort);
  checkU16('TCP destination port', repr.dstPort);
  checkU32('TCP sequence number', repr.seq);
  checkU32('TCP acknowledgment number', repr.ack);
  checkU16('TCP window', repr.window);
  checkU16('TCP urgent pointer', repr.urgent);
  if (!Number.isInteger(repr.flags) || repr.flags < 0 || repr.flags > 0x1ff) {
    throw new RangeError(`TCP flags 0x${repr.flags.toString(16)} do not fit in 9 bits`);
  }
  const hlen = tcpHeaderLength(repr);
  const total = hlen + payload.length;
  if (offset + total > d.length) {
    throw new RangeError(`TCP segment needs ${total} bytes at offset ${offset}, buffer holds ${d.length}`);
  }
  const v = new DataView(d.buffer, d.byteOffset + offset, total);
  v.setUint16(TCP.SRC_PORT, repr.srcPort);
  v.setUint16(TCP.DST_PORT, repr.dstPort);
  v.setUint32(TCP.SEQ, repr.seq);
  v.setUint32(TCP.ACK, repr.ack);
  v.setUint8(TCP.DATA_OFFSET, ((hlen / 4) << 4) | (((repr.reserved ?? 0) & 7) << 1) | (repr.flags >> 8));
  v.setUint8(TCP.FLAGS, repr.flags & 0xff);
  v.setUint16(TCP.WINDOW, repr.window);
  v.setUint16(TCP.CHECKSUM, 0);
  v.setUint16(TCP.URGENT, repr.urgent);
  emitTcpOptions(repr.options, d, offset + TCP.OPTIONS);
  d.set(payload, offset + hlen);
  if (pseudo) {
    const alen = pseudo.src.length;
    if ((alen !== 4 && alen !== 16) || pseudo.dst.length !== alen) {
      throw new RangeError(
        `pseudo-header addresses must be 4 or 16 bytes, got ${alen} and ${pseudo.dst.length}`,
      );
    }
    const sum = pseudoHeaderSum(pseudo.src, 0, pseudo.dst, 0, alen, TCP.PROTOCOL, total);
    v.setUint16(TCP.CHECKSUM, internetChecksum(d, offset, offset + total, sum));
  }
  return total;
}

/** A standalone TCP segment (header + payload) with its checksum for the given addresses. */
export function encodeTcp(repr: TcpHeaderRepr, payload: Uint8Array, pseudo: PseudoHeader | null): Uint8Array {
  const out = new Uint8Array(tcpHeaderLength(repr) + payload.length);
  emitTcp(repr, payload, out, 0, pseudo);
  return out;
}
