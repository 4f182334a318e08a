/**
 * Writers for pcapng (draft-ietf-opsawg-pcapng: one Section Header Block,
 * one Interface Description Block per interface added, Enhanced Packet Blocks
 * with micro- or nanosecond timestamps and opt_comment) and classic pcap.
 * Both encode little-endian, buffer whole blocks in memory and hand them to
 * `fs.writeSync` on `flush()` (and on their own once `flushBytes` are
 * pending), so a live capture can be written incrementally and a reader of
 * the file only ever sees whole blocks. Without a file descriptor they
 * collect the bytes for `toBytes()`.
 */
import * as fs from 'node:fs';

export interface WritePacket {
  /** Captured bytes. */
  data: Uint8Array;
  /** Seconds since the epoch (float); written to the precision the double carries (about 1 µs today). */
  time: number;
  /** Exact nanoseconds since the epoch; when given it wins over `time`. */
  timestampNs?: bigint;
  /** Length on the wire; default `data.length`. */
  origLength?: number;
  /** pcapng only: the id `addInterface` returned (default 0). */
  interfaceId?: number;
  /** pcapng only: opt_comment. */
  comment?: string;
}

export interface WriterOutput {
  /** File descriptor to write to; without one the bytes are collected for `toBytes()`. */
  fd?: number;
  /** Pending bytes that trigger a flush to `fd` (default 1 MiB). */
  flushBytes?: number;
}

const utf8 = new TextEncoder();

/** Buffers blocks and writes them to a descriptor, or keeps them all. */
class BlockSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly kept: Uint8Array[] = [];
  private closed = false;
  constructor(
    private readonly fd: number | undefined,
    private readonly flushBytes: number,
    private readonly ownsFd: boolean,
  ) {}

  push(block: Uint8Array): void {
    if (this.closed) throw new Error('capture writer is closed');
    if (this.fd === undefined) {
      this.kept.push(block);
      return;
    }
    this.pending.push(block);
    this.pendingBytes += block.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const all = concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    while (done < all.length) done += fs.writeSync(this.fd, all, done, all.length - done);
  }

  bytes(): Uint8Array {
    if (this.fd !== undefined)
      throw new Error('toBytes() is only available when no file descriptor was given');
    return concat(
      this.kept,
      this.kept.reduce((n, b) => n + b.length, 0),
    );
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsFd && this.fd !== undefined) fs.closeSync(this.fd);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Seconds and sub-second ticks (at `resolution` per second) of a packet's timestamp. */
function splitTime(p: WritePacket, resolution: number): { sec: number; frac: number } {
  if (p.timestampNs !== undefined) {
    const ns = p.timestampNs;
    const sec = ns / 1_000_000_000n;
    const fracNs = ns % 1_000_000_000n;
    return { sec: Number(sec), frac: Number((fracNs * BigInt(resolution)) / 1_000_000_000n) };
  }
  if (!Number.isFinite(p.time) || p.time < 0)
    throw new RangeError(`packet time ${p.time} is not a time since the epoch`);
  let sec = Math.floor(p.time);
  // A double holds a time since the epoch only to ~0.24 µs: round the fraction to the finest power of
  // ten the value really carries, so 1700000001.000001 is written as …001000 ns, not …000954 ns.
  const ulp = Math.max(p.time, 1) * Number.EPSILON;
  const quantum = Math.max(1, Math.round(10 ** Math.ceil(Math.log10(ulp)) * resolution));
  let frac = Math.round(((p.time - sec) * resolution) / quantum) * quantum;
  if (frac >= resolution) {
    sec += 1;
    frac -= resolution;
  }
  return { sec, frac };
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

interface Option {
  code: number;
  value: Uint8Array;
}

function optionsLength(opts: Option[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + pad4(o.value.length);
  return n;
}

function writeOptions(v: DataView, b: Uint8Array, at: number, opts: Option[]): number {
  if (opts.length === 0) return at;
  for (const o of opts) {
    if (o.value.length > 0xffff)
      throw new RangeError(`pcapng option ${o.code} is ${o.value.length} bytes, over 65535`);
    v.setUint16(at, o.code, true);
    v.setUint16(at + 2, o.value.length, true);
    b.set(o.value, at + 4);
    at += 4 + pad4(o.value.length);
  }
  v.setUint32(at, 0, true);
  return at + 4;
}

/** A whole block: type, length, body (written by `fill` at offset 8), options, length. */
function block(
  type: number,
  bodyLength: number,
  opts: Option[],
  fill: (v: DataView, b: Uint8Array) => void,
): Uint8Array {
  const total = 8 + pad4(bodyLength) + optionsLength(opts) + 4;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  fill(v, b);
  writeOptions(v, b, 8 + pad4(bodyLength), opts);
  v.setUint32(total - 4, total, true);
  return b;
}

function textOption(code: number, text: string | undefined): Option[] {
  return text === undefined || text === '' ? [] : [{ code, value: utf8.encode(text) }];
}

export interface PcapngInterfaceSpec {
  linkType: number;
  name?: string;
  description?: string;
  /** Default 262144. */
  snapLength?: number;
  /** Timestamp units per second: 1e6 (default) or 1e9, or any power of ten up to 1e9. */
  tsResolution?: number;
}

export interface PcapngWriterOptions extends WriterOutput {
  /** shb_userappl. */
  application?: string;
  /** shb_os. */
  os?: string;
  /** shb_hardware. */
  hardware?: string;
  /** opt_comment of the section. */
  comment?: string;
}

/**
 * Writes one pcapng section. The Section Header Block goes out on
 * construction, an Interface Description Block on each `addInterface`.
 *
 * ```
 * SHB: 0x0a0d0d0a len 0x1a2b3c4d major=1 minor=0 section_length=-1 options len
 * IDB: 1 len linktype(2) reserved(2) snaplen(4) options(if_name, if_tsresol) len
 * EPB: 6 len interface_id ts_high ts_low captured_len original_len data(pad 4) options len
 * ```
 */
export class PcapngWriter {
  private readonly sink: BlockSink;
  private readonly ifaces: Array<{ resolution: number; snapLength: number }> = [];

  /** `ownsFd`: close `options.fd` on `close()`. */
  constructor(options: PcapngWriterOptions = {}, ownsFd = false) {
    this.sink = new BlockSink(options.fd, options.flushBytes ?? 1 << 20, ownsFd);
    const opts = [
      ...textOption(1, options.comment),
      ...textOption(2, options.hardware),
      ...textOption(3, options.os),
      ...textOption(4, options.application ?? 'TCP Lab'),
    ];
    this.sink.push(
      block(0x0a0d0d0a, 16, opts, (v) => {
        v.setUint32(8, 0x1a2b3c4d, true);
        v.setUint16(12, 1, true);
        v.setUint16(14, 0, true);
        v.setBigInt64(16, -1n, true); // section length unknown
      }),
    );
  }

  /** A writer that creates (truncates) `path` and closes it on `close()`. */
  static toFile(path: string, options: Omit<PcapngWriterOptions, 'fd'> = {}): PcapngWriter {
    return new PcapngWriter({ ...options, fd: fs.openSync(path, 'w') }, true);
  }

  /** Adds an interface; returns its id for `writePacket`. */
  addInterface(spec: PcapngInterfaceSpec): number {
    const resolution = spec.tsResolution ?? 1e6;
    const exp = Math.round(Math.log10(resolution));
    if (10 ** exp !== resolution || exp < 0 || exp > 9) {
      throw new RangeError(`tsResolution ${resolution} is not a power of ten between 1 and 1e9`);
    }
    const snapLength = spec.snapLength ?? 262144;
    if (!Number.isInteger(spec.linkType) || spec.linkType < 0 || spec.linkType > 0xffff) {
      throw new RangeError(`link type ${spec.linkType} does not fit in 16 bits`);
    }
    const opts = [
      ...textOption(2, spec.name),
      ...textOption(3, spec.description),
      ...(exp !== 6 ? [{ code: 9, value: Uint8Array.of(exp) }] : []),
    ];
    this.sink.push(
      block(1, 8, opts, (v) => {
        v.setUint16(8, spec.linkType, true);
        v.setUint16(10, 0, true);
        v.setUint32(12, snapLength, true);
      }),
    );
    this.ifaces.push({ resolution, snapLength });
    return this.ifaces.length - 1;
  }

  writePacket(p: WritePacket): void {
    const id = p.interfaceId ?? 0;
    const iface = this.ifaces[id];
    if (!iface) throw new RangeError(`interface ${id} was not added (${this.ifaces.length} interfaces)`);
    const { sec, frac } = splitTime(p, iface.resolution);
    const ticks = BigInt(sec) * BigInt(iface.resolution) + BigInt(frac);
    const data = p.data;
    const orig = p.origLength ?? data.length;
    this.sink.push(
      block(6, 20 + data.length, textOption(1, p.comment), (v, b) => {
        v.setUint32(8, id, true);
        v.setUint32(12, Number(ticks >> 32n), true);
        v.setUint32(16, Number(ticks & 0xffffffffn), true);
        v.setUint32(20, data.length, true);
        v.setUint32(24, orig, true);
        b.set(data, 28);
      }),
    );
  }

  /** Writes pending blocks to the descriptor. */
  flush(): void {
    this.sink.flush();
  }

  /** Everything written so far (only without a file descriptor). */
  toBytes(): Uint8Array {
    return this.sink.bytes();
  }

  /** Flushes; closes the file only when the writer opened it (`toFile`). */
  close(): void {
    this.sink.close();
  }
}

export interface PcapWriterOptions extends WriterOutput {
  linkType: number;
  /** Default 262144; longer packets are cut to it. */
  snapLength?: number;
  /** Nanosecond magic (0xa1b23c4d) instead of microsecond. */
  nanosecond?: boolean;
}

/**
 * Writes a classic pcap file: the 24-byte header on construction, then a
 * 16-byte record header and the captured bytes per packet.
 *
 * ```
 * header: magic(4) 2(2) 4(2) thiszone=0(4) sigfigs=0(4) snaplen(4) linktype(4)
 * record: ts_sec(4) ts_usec|ts_nsec(4) incl_len(4) orig_len(4) data
 * ```
 */
export class PcapWriter {
  private readonly sink: BlockSink;
  private readonly snapLength: number;
  private readonly resolution: number;

  /** `ownsFd`: close `options.fd` on `close()`. */
  constructor(options: PcapWriterOptions, ownsFd = false) {
    this.sink = new BlockSink(options.fd, options.flushBytes ?? 1 << 20, ownsFd);
    this.snapLength = options.snapLength ?? 262144;
    this.resolution = options.nanosecond ? 1e9 : 1e6;
    const h = new Uint8Array(24);
    const v = new DataView(h.buffer);
    v.setUint32(0, options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, this.snapLength, true);
    v.setUint32(20, options.linkType, true);
    this.sink.push(h);
  }

  /** A writer that creates (truncates) `path` and closes it on `close()`. */
  static toFile(path: string, options: Omit<PcapWriterOptions, 'fd'>): PcapWriter {
    return new PcapWriter({ ...options, fd: fs.openSync(path, 'w') }, true);
  }

  writePacket(p: WritePacket): void {
    const { sec, frac } = splitTime(p, this.resolution);
    if (sec > 0xffffffff) throw new RangeError(`packet time ${sec} s does not fit pcap's 32-bit seconds`);
    const incl = Math.min(p.data.length, this.snapLength);
    const r = new Uint8Array(16 + incl);
    const v = new DataView(r.buffer);
    v.setUint32(0, sec, true);
    v.setUint32(4, frac, true);
    v.setUint32(8, incl, true);
    v.setUint32(12, p.origLength ?? p.data.length, true);
    r.set(p.data.subarray(0, incl), 16);
    this.sink.push(r);
  }

  flush(): void {
    this.sink.flush();
  }

  toBytes(): Uint8Array {
    return this.sink.bytes();
  }

  close(): void {
    this.sink.close();
  }
}
