/**
 * Streaming readers for the two capture-file formats: classic pcap
 * (draft-ietf-opsawg-pcap; microsecond and nanosecond magic, either byte
 * order, and the 24-byte-record "modified" variant) and pcapng
 * (draft-ietf-opsawg-pcapng; SHB, IDB, EPB, SPB and the obsolete Packet
 * Block, several sections and interfaces, either byte order, per-interface
 * link type, if_tsresol, if_tsoffset and opt_comment). A file is read with
 * synchronous `fs.readSync` in 1 MiB chunks into one reusable buffer, so
 * memory stays flat however big the file is; a record's `data` is a view into
 * that buffer, valid until the next `next()`. Every structural problem —
 * unknown magic, truncated header or body, impossible or oversized length,
 * mismatched block trailer — is a `CaptureFormatError` that says what is
 * wrong and at which byte offset; a record or block may be at most 256 MiB.
 * The header (magic) is checked when the reader is opened, so
 * `openCaptureFile` and `captureReaderFromBytes` throw it for a file that is
 * not a capture at all; later problems are thrown by `next()`.
 */
import * as fs from 'node:fs';

export interface CaptureRecord {
  /** 1-based number of the packet in the file. */
  frame: number;
  /** Seconds since the epoch (float). Simple Packet Blocks carry none: they get the previous packet's time. */
  time: number;
  linkType: number;
  /** Captured bytes; a view into the reader's buffer, valid only until the next `next()` call. */
  data: Uint8Array;
  origLength: number;
  /** Index into `reader.interfaces` (counted across all sections of a pcapng file; always 0 for pcap). */
  interfaceId: number;
  /** opt_comment (several are joined with "\n"). */
  comment?: string;
  /** Byte offset of the record (pcap) or block (pcapng) in the file. */
  offset: number;
  /** Byte offset of the captured bytes in the file (or in the bytes read): where `data` can be read again. */
  dataOffset?: number;
  /**
   * Bulk readers set this on the `reuse` record: `next()` then leaves `data` alone and gives the
   * captured bytes as `buf[start, end)` instead, so no view is made per packet.
   */
  span?: boolean;
  /** With `span`: the reader's buffer, valid only until the next `next()` call. */
  buf?: Uint8Array;
  start?: number;
  end?: number;
}

export interface CaptureInterface {
  linkType: number;
  name?: string;
  description?: string;
  /** Timestamp units per second: 1e6 for microseconds (the pcap and pcapng default), 1e9 for nanoseconds. */
  tsResolution: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
  snapLength: number;
  /** Index of the pcapng section that defined it (0 for pcap). */
  section: number;
}

export class CaptureFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'CaptureFormatError';
    this.offset = offset;
  }
}

export interface CaptureReader {
  readonly format: 'pcap' | 'pcapng';
  /**
   * The next packet, or null at the end of the file. Throws CaptureFormatError on a broken file.
   * With `reuse`, that object is filled in and returned instead of a new one (bulk readers).
   */
  next(reuse?: CaptureRecord): CaptureRecord | null;
  close(): void;
  /** Interfaces seen so far (pcapng fills this as its blocks are read). */
  readonly interfaces: CaptureInterface[];
}

/** Largest record or block accepted; anything claiming more is rejected as broken. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
/** Read chunk size for files. */
const CHUNK = 1024 * 1024;
/** Snap length libpcap and Wireshark accept for any link type; pcap records may exceed a smaller header snaplen. */
const MAX_SNAPLEN = 262144;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/** The bytes of a file, seen through a window that slides and grows as records are read. */
class ByteWindow {
  buf: Uint8Array;
  view: DataView;
  /** File offset of buf[0]. */
  start = 0;
  /** Number of valid bytes in buf. */
  filled = 0;
  private eof: boolean;
  /** File size as last seen (refreshed with fstat when a read would pass it). */
  private size = 0;

  constructor(
    private readonly fd: number | null,
    bytes?: Uint8Array,
  ) {
    if (bytes) {
      this.buf = bytes;
      this.filled = bytes.length;
      this.eof = true;
    } else {
      this.buf = new Uint8Array(CHUNK);
      this.eof = false;
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /**
   * Makes `n` bytes from file offset `pos` available if the file has them;
   * returns how many are available from `pos` (fewer than `n` only at the end
   * of the file). Afterwards `buf[pos - start]` is the byte at `pos`.
   */
  fill(pos: number, n: number): number {
    const have = this.start + this.filled - pos;
    if (have >= n || this.eof) return Math.max(0, have);
    // Never grow the buffer past what the file holds: a hostile length must not cost memory.
    if (pos + n > this.size) {
      this.size = fs.fstatSync(this.fd as number).size;
      if (pos + n > this.size) n = Math.max(0, this.size - pos);
      if (have >= n) return Math.max(0, have);
    }
    // Slide what is still needed to the front, growing (or shrinking back) the buffer when useful.
    const keep = Math.max(0, have);
    const want = Math.max(n, CHUNK);
    if (want > this.buf.length || (this.buf.length > CHUNK && want === CHUNK)) {
      const next = new Uint8Array(want);
      next.set(this.buf.subarray(pos - this.start, pos - this.start + keep));
      this.buf = next;
      this.view = new DataView(next.buffer);
    } else if (keep > 0) {
      this.buf.copyWithin(0, pos - this.start, pos - this.start + keep);
    }
    this.start = pos;
    this.filled = keep;
    while (this.filled < n) {
      const got = fs.readSync(
        this.fd as number,
        this.buf,
        this.filled,
        this.buf.length - this.filled,
        pos + this.filled,
      );
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.filled += got;
    }
    return this.filled;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.eof = true;
    this.filled = 0;
  }
}

/**
 * Fills a caller's record object (`next(reuse)`) with the bytes `buf[start, end)`, so bulk
 * reading allocates no record per packet (and, with `span`, no view either). The caller sets
 * `r.time` itself: a time passed as an argument would be boxed in a heap number per record.
 */
function fill(
  r: CaptureRecord,
  frame: number,
  linkType: number,
  buf: Uint8Array,
  start: number,
  end: number,
  origLength: number,
  interfaceId: number,
  offset: number,
  comment: string | undefined,
  dataOffset: number,
): CaptureRecord {
  r.dataOffset = dataOffset;
  r.frame = frame;
  r.linkType = linkType;
  if (r.span === true) {
    r.buf = buf;
    r.start = start;
    r.end = end;
  } else {
    r.data = buf.subarray(start, end);
  }
  r.origLength = origLength;
  r.interfaceId = interfaceId;
  r.offset = offset;
  if (comment !== undefined) r.comment = comment;
  else if (r.comment !== undefined) delete r.comment;
  return r;
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

/** Opens a capture file for streaming (synchronous reads in 1 MiB chunks). Throws CaptureFormatError for a non-capture. */
export function openCaptureFile(path: string): CaptureReader {
  const fd = fs.openSync(path, 'r');
  try {
    return readerFor(new ByteWindow(fd));
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** A reader over bytes already in memory (records are views into `bytes`). */
export function captureReaderFromBytes(bytes: Uint8Array): CaptureReader {
  return readerFor(new ByteWindow(null, bytes));
}

function readerFor(w: ByteWindow): CaptureReader {
  const n = w.fill(0, 4);
  if (n < 4) {
    throw new CaptureFormatError(
      n === 0
        ? 'the file is empty (0 bytes), not a pcap or pcapng file'
        : `not a pcap or pcapng file (only ${n} bytes)`,
      0,
    );
  }
  const magicLE = w.view.getUint32(0, true);
  const magicBE = w.view.getUint32(0, false);
  if (magicLE === PCAPNG_SHB) return new PcapngReader(w);
  for (const [magic, le] of [
    [magicLE, true],
    [magicBE, false],
  ] as const) {
    if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_MODIFIED) {
      return new PcapReader(
        w,
        le,
        magic === PCAP_MAGIC_NS ? 1e9 : 1e6,
        magic === PCAP_MAGIC_MODIFIED ? 24 : 16,
      );
    }
  }
  throw new CaptureFormatError(`not a pcap or pcapng file (magic ${hex32(magicBE)})`, 0);
}

/**
 * Classic pcap: a 24-byte file header, then records of a 16-byte header
 * (seconds, micro- or nanoseconds, captured length, original length) and the
 * captured bytes.
 *
 * ```
 * file header: magic(4) major(2) minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype(4)
 * record:      ts_sec(4) ts_frac(4) incl_len(4) orig_len(4) data(incl_len)
 * ```
 */
class PcapReader implements CaptureReader {
  readonly format = 'pcap';
  readonly interfaces: CaptureInterface[];
  private pos = 24;
  private frame = 0;
  private readonly snapLength: number;
  private readonly linkType: number;

  constructor(
    private readonly w: ByteWindow,
    private readonly le: boolean,
    private readonly tsResolution: number,
    private readonly recordHeader: number,
  ) {
    const n = w.fill(0, 24);
    if (n < 24) throw new CaptureFormatError(`pcap file header is truncated: ${n} of 24 bytes present`, 0);
    const v = w.view;
    const major = v.getUint16(4, le);
    const minor = v.getUint16(6, le);
    if (major !== 2)
      throw new CaptureFormatError(`unsupported pcap version ${major}.${minor} (expected 2.4)`, 4);
    this.snapLength = v.getUint32(16, le);
    // The upper bits hold FCS information (draft-ietf-opsawg-pcap §4: LinkType and additional information).
    this.linkType = v.getUint32(20, le) & 0x03ffffff;
    this.interfaces = [
      { linkType: this.linkType, tsResolution, tsOffset: 0, snapLength: this.snapLength, section: 0 },
    ];
  }

  next(reuse?: CaptureRecord): CaptureRecord | null {
    const pos = this.pos;
    const hdr = this.recordHeader;
    const w = this.w;
    const got = w.fill(pos, hdr);
    if (got === 0) return null;
    if (got < hdr) {
      throw new CaptureFormatError(
        `pcap record header at byte ${pos} is truncated: ${got} of ${hdr} bytes present`,
        pos,
      );
    }
    let i = pos - w.start;
    const le = this.le;
    const sec = w.view.getUint32(i, le);
    const frac = w.view.getUint32(i + 4, le);
    const incl = w.view.getUint32(i + 8, le);
    const orig = w.view.getUint32(i + 12, le);
    if (incl > Math.max(this.snapLength, MAX_SNAPLEN) || incl > MAX_RECORD_BYTES) {
      throw new CaptureFormatError(
        `pcap record at byte ${pos} claims ${incl} captured bytes (more than the snap length ${this.snapLength})`,
        pos,
      );
    }
    const body = w.fill(pos, hdr + incl);
    if (body < hdr + incl) {
      throw new CaptureFormatError(
        `pcap record at byte ${pos} is truncated: it claims ${incl} captured bytes but the file ends after ${body - hdr}`,
        pos,
      );
    }
    i = pos - w.start;
    this.pos = pos + hdr + incl;
    const time = sec + frac / this.tsResolution;
    if (reuse !== undefined) {
      reuse.time = time;
      return fill(
        reuse,
        ++this.frame,
        this.linkType,
        w.buf,
        i + hdr,
        i + hdr + incl,
        orig,
        0,
        pos,
        undefined,
        pos + hdr,
      );
    }
    return {
      frame: ++this.frame,
      time,
      linkType: this.linkType,
      data: w.buf.subarray(i + hdr, i + hdr + incl),
      origLength: orig,
      interfaceId: 0,
      offset: pos,
      dataOffset: pos + hdr,
    };
  }

  close(): void {
    this.w.close();
  }
}

const BT_SHB = PCAPNG_SHB;
const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_EPB = 6;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

const utf8 = new TextDecoder('utf-8');

/**
 * pcapng: a sequence of blocks, each `type(4) total_length(4) body
 * total_length(4)`, the lengths a multiple of 4. A Section Header Block
 * starts each section and fixes its byte order; Interface Description Blocks
 * define the interfaces the packet blocks of that section refer to.
 *
 * ```
 * EPB body: interface_id(4) ts_high(4) ts_low(4) captured_len(4) original_len(4) data(pad 4) options
 * SPB body: original_len(4) data(pad 4)
 * PB body:  interface_id(2) drops(2) ts_high(4) ts_low(4) captured_len(4) original_len(4) data(pad 4) options
 * option:   code(2) length(2) value(pad 4) … opt_endofopt
 * ```
 */
class PcapngReader implements CaptureReader {
  readonly format = 'pcapng';
  readonly interfaces: CaptureInterface[] = [];
  private pos = 0;
  private frame = 0;
  private le = true;
  private section = -1;
  /** Global interface index of each interface id in the current section. */
  private sectionInterfaces: number[] = [];
  private lastTime = 0;

  constructor(private readonly w: ByteWindow) {}

  next(reuse?: CaptureRecord): CaptureRecord | null {
    const w = this.w;
    for (;;) {
      const pos = this.pos;
      const got = w.fill(pos, 12);
      if (got === 0) {
        if (this.section < 0) throw new CaptureFormatError('pcapng file has no Section Header Block', 0);
        return null;
      }
      if (got < 12) {
        throw new CaptureFormatError(
          `pcapng block header at byte ${pos} is truncated: ${got} of 12 bytes present`,
          pos,
        );
      }
      let i = pos - w.start;
      let le = this.le;
      const type = w.view.getUint32(i, le);
      if (type === BT_SHB) {
        const bom = w.view.getUint32(i + 8, true);
        if (bom === PCAPNG_BOM) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else {
          throw new CaptureFormatError(
            `pcapng section header at byte ${pos} has byte-order magic ${hex32(w.view.getUint32(i + 8, false))} (expected 0x1a2b3c4d)`,
            pos,
          );
        }
      } else if (this.section < 0) {
        throw new CaptureFormatError(`pcapng file does not start with a Section Header Block`, pos);
      }
      const total = w.view.getUint32(i + 4, le);
      const min = type === BT_SHB ? 28 : 12;
      if (total < min || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
        throw new CaptureFormatError(
          `pcapng block at byte ${pos} (type ${hex32(type)}) has an impossible total length ${total}` +
            (total > MAX_RECORD_BYTES
              ? ` (more than ${MAX_RECORD_BYTES})`
              : total % 4 !== 0
                ? ' (not a multiple of 4)'
                : ` (less than ${min})`),
          pos,
        );
      }
      const have = w.fill(pos, total);
      if (have < total) {
        throw new CaptureFormatError(
          `pcapng block at byte ${pos} is truncated: its length is ${total} but the file ends after ${have} bytes`,
          pos,
        );
      }
      i = pos - w.start;
      const v = w.view;
      const trailer = v.getUint32(i + total - 4, le);
      if (trailer !== total) {
        throw new CaptureFormatError(
          `pcapng block at byte ${pos} has a trailing length ${trailer} that differs from its leading length ${total}`,
          pos,
        );
      }
      this.pos = pos + total;
      const body = i + 8;
      const bodyEnd = i + total - 4;
      switch (type) {
        case BT_SHB: {
          this.le = le;
          const major = v.getUint16(body + 4, le);
          const minor = v.getUint16(body + 6, le);
          if (major !== 1) {
            throw new CaptureFormatError(
              `pcapng section at byte ${pos} has unsupported version ${major}.${minor} (expected 1.0)`,
              pos,
            );
          }
          this.section++;
          this.sectionInterfaces = [];
          this.checkOptions(body + 16, bodyEnd, pos);
          break;
        }
        case BT_IDB:
          this.readInterface(body, bodyEnd, pos);
          break;
        case BT_EPB:
        case BT_PB: {
          const isEpb = type === BT_EPB;
          if (bodyEnd - body < 20) {
            throw new CaptureFormatError(
              `pcapng packet block at byte ${pos} is too short (${total} bytes)`,
              pos,
            );
          }
          const ifid = isEpb ? v.getUint32(body, le) : v.getUint16(body, le);
          const caplen = v.getUint32(body + 12, le);
          const origLength = v.getUint32(body + 16, le);
          const dataStart = body + 20;
          if (caplen > bodyEnd - dataStart) {
            throw new CaptureFormatError(
              `pcapng packet block at byte ${pos} claims ${caplen} captured bytes but the block holds only ${bodyEnd - dataStart}`,
              pos,
            );
          }
          const iface = this.interfaceFor(ifid, pos);
          const desc = this.interfaces[iface];
          const hi = v.getUint32(body + 4, le);
          const lo = v.getUint32(body + 8, le);
          const time = hi * (4294967296 / desc.tsResolution) + lo / desc.tsResolution + desc.tsOffset;
          this.lastTime = time;
          const optStart = dataStart + ((caplen + 3) & ~3);
          const comment = optStart < bodyEnd ? this.readComment(optStart, bodyEnd, pos) : undefined;
          if (reuse !== undefined) {
            const end = dataStart + caplen;
            reuse.time = time;
            return fill(
              reuse,
              ++this.frame,
              desc.linkType,
              w.buf,
              dataStart,
              end,
              origLength,
              iface,
              pos,
              comment,
              w.start + dataStart,
            );
          }
          const rec: CaptureRecord = {
            frame: ++this.frame,
            time,
            linkType: desc.linkType,
            data: w.buf.subarray(dataStart, dataStart + caplen),
            origLength,
            interfaceId: iface,
            offset: pos,
            dataOffset: w.start + dataStart,
          };
          if (comment !== undefined) rec.comment = comment;
          return rec;
        }
        case BT_SPB: {
          if (bodyEnd - body < 4) {
            throw new CaptureFormatError(
              `pcapng simple packet block at byte ${pos} is too short (${total} bytes)`,
              pos,
            );
          }
          const iface = this.interfaceFor(0, pos);
          const desc = this.interfaces[iface];
          const origLength = v.getUint32(body, le);
          let caplen = Math.min(origLength, bodyEnd - body - 4);
          if (desc.snapLength > 0) caplen = Math.min(caplen, desc.snapLength);
          if (reuse !== undefined) {
            reuse.time = this.lastTime;
            return fill(
              reuse,
              ++this.frame,
              desc.linkType,
              w.buf,
              body + 4,
              body + 4 + caplen,
              origLength,
              iface,
              pos,
              undefined,
              w.start + body + 4,
            );
          }
          return {
            frame: ++this.frame,
            time: this.lastTime,
            linkType: desc.linkType,
            data: w.buf.subarray(body + 4, body + 4 + caplen),
            origLength,
            interfaceId: iface,
            offset: pos,
            dataOffset: w.start + body + 4,
          };
        }
        default:
          // NRB, ISB, DSB, custom and unknown blocks carry no packets: skip them.
          break;
      }
    }
  }

  close(): void {
    this.w.close();
  }

  private interfaceFor(ifid: number, pos: number): number {
    if (ifid >= this.sectionInterfaces.length) {
      throw new CaptureFormatError(
        `pcapng packet block at byte ${pos} refers to interface ${ifid} but its section defines ${this.sectionInterfaces.length}`,
        pos,
      );
    }
    return this.sectionInterfaces[ifid];
  }

  /** Walks options in buf[start..end); calls `fn` for each; throws when one runs past the block. */
  private walkOptions(
    start: number,
    end: number,
    pos: number,
    fn: ((code: number, value: number, length: number) => void) | null,
  ): void {
    const v = this.w.view;
    const le = this.le;
    let p = start;
    while (p + 4 <= end) {
      const code = v.getUint16(p, le);
      const len = v.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) return;
      if (p + 4 + len > end) {
        throw new CaptureFormatError(
          `pcapng option ${code} in the block at byte ${pos} claims ${len} bytes, more than the ${end - p - 4} left in the block`,
          pos,
        );
      }
      if (fn) fn(code, p + 4, len);
      p += 4 + ((len + 3) & ~3);
    }
  }

  private checkOptions(start: number, end: number, pos: number): void {
    this.walkOptions(start, end, pos, null);
  }

  private readComment(start: number, end: number, pos: number): string | undefined {
    let comment: string | undefined;
    const buf = this.w.buf;
    this.walkOptions(start, end, pos, (code, value, length) => {
      if (code !== OPT_COMMENT) return;
      const text = utf8.decode(buf.subarray(value, value + length));
      comment = comment === undefined ? text : `${comment}\n${text}`;
    });
    return comment;
  }

  private readInterface(body: number, bodyEnd: number, pos: number): void {
    if (bodyEnd - body < 8) {
      throw new CaptureFormatError(`pcapng interface description block at byte ${pos} is too short`, pos);
    }
    const v = this.w.view;
    const buf = this.w.buf;
    const le = this.le;
    const iface: CaptureInterface = {
      linkType: v.getUint16(body, le),
      tsResolution: 1e6,
      tsOffset: 0,
      snapLength: v.getUint32(body + 4, le),
      section: this.section,
    };
    this.walkOptions(body + 8, bodyEnd, pos, (code, value, length) => {
      if (code === IF_NAME) iface.name = utf8.decode(buf.subarray(value, value + length));
      else if (code === IF_DESCRIPTION) iface.description = utf8.decode(buf.subarray(value, value + length));
      else if (code === IF_TSRESOL && length >= 1) {
        const r = buf[value];
        const exp = r & 0x7f;
        if ((r & 0x80) === 0 ? exp > 18 : exp > 63) {
          throw new CaptureFormatError(
            `pcapng interface at byte ${pos} has an unusable if_tsresol 0x${r.toString(16)}`,
            pos,
          );
        }
        iface.tsResolution = (r & 0x80) === 0 ? 10 ** exp : 2 ** exp;
      } else if (code === IF_TSOFFSET && length >= 8) {
        iface.tsOffset = Number(v.getBigInt64(value, le));
      }
    });
    this.sectionInterfaces.push(this.interfaces.length);
    this.interfaces.push(iface);
  }
}
