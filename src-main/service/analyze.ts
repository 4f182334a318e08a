/**
 * Reads a whole capture file through the wire decoders into a tracker: the
 * one pipeline behind `tcplab analyze`, the Files view and every later
 * consumer of capture files. Streaming: records are pulled one at a time, so
 * memory grows with the number of sessions (and, when asked, the frames kept
 * for the details pane), not with the file. A file broken part-way yields
 * what was read before the break plus an error naming the byte offset.
 */
import {
  CaptureFormatError,
  captureReaderFromBytes,
  decodeFrameAt,
  newDecodeScratch,
  openCaptureFile,
} from '../wire';
import type { CaptureReader, CaptureRecord, DecodeScratch } from '../wire';
import type { TcpPacket } from '../../src-shared/tcp';
import { Tracker } from '../tracker';
import { CaptureIndex } from './capture-index';
import type { MalformedSample } from '../../src-shared/contract';

export interface AnalyzeOptions {
  /** Keep ladder rows per session (the UI needs them; `analyze` does not). */
  keepSegments?: boolean;
  /**
   * Index the frames and each session's segments (`CaptureIndex`), so the
   * details pane can read a frame again and the ladder can have a session's
   * rows made again, without keeping either in memory (the Files view).
   */
  index?: boolean;
  /** How many malformed frames to describe (the count is always exact). */
  maxMalformedSamples?: number;
  /**
   * Flag TCP segments whose checksum is wrong (default false, as Wireshark's
   * tcp.check_checksum): frames captured on the sending host carry checksums
   * that the NIC fills in later (offload), so they would all look bad.
   */
  verifyChecksums?: boolean;
}

export interface AnalyzeResult {
  format: 'pcap' | 'pcapng';
  packets: number;
  tcpPackets: number;
  malformed: number;
  malformedSamples: MalformedSample[];
  tracker: Tracker;
  /** Where each frame and each session's segments are, when `index` is set. */
  index: CaptureIndex | null;
  /** Set when the file is broken part-way. */
  error: { message: string; offset: number } | null;
}

/** Thrown when a file cannot be read at all (not a capture, unreadable). */
export class CaptureOpenError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CaptureOpenError';
  }
}

/** Opens a capture file or bytes; throws CaptureOpenError (with the reason in words) when it cannot. */
export function openReader(source: string | Uint8Array): CaptureReader {
  try {
    return typeof source === 'string' ? openCaptureFile(source) : captureReaderFromBytes(source);
  } catch (e) {
    if (e instanceof CaptureFormatError) throw new CaptureOpenError(e.message, e.offset);
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string') {
      const what =
        err.code === 'ENOENT'
          ? 'no such file'
          : err.code === 'EACCES'
            ? 'permission denied (check the file permissions)'
            : err.code === 'EISDIR'
              ? 'it is a folder, not a capture file'
              : err.message;
      throw new CaptureOpenError(`cannot open ${String(source)}: ${what}`, 0);
    }
    throw e;
  }
}

/**
 * One record object for `reader.next(reuse)`, refilled for every packet with
 * its bytes given in place (`span`: buf[start, end) of the reader's buffer,
 * no view per packet).
 */
export function newReuseRecord(): CaptureRecord {
  return {
    frame: 0,
    time: 0,
    linkType: 0,
    data: new Uint8Array(0),
    origLength: 0,
    interfaceId: 0,
    offset: 0,
    span: true,
    buf: new Uint8Array(0),
    start: 0,
    end: 0,
  };
}

/** What reading a capture's frames found, apart from what was done with its TCP segments. */
export interface ReadCounts {
  format: 'pcap' | 'pcapng';
  packets: number;
  tcpPackets: number;
  malformed: number;
  malformedSamples: MalformedSample[];
  error: AnalyzeResult['error'];
}

/**
 * The frame loop shared by every bulk reader: reads `reader` to its end,
 * decodes each frame with `scratch` and hands each TCP segment to `onSegment`
 * with its length on the wire (the packet object is the scratch's, valid
 * until the next call). Counts packets, TCP segments and malformed frames
 * (describing the first `maxSamples`); a file broken part-way ends the loop
 * with `error`, one broken from the start throws CaptureOpenError. Closes
 * the reader, at the end of the file or when `until` says so.
 */
export function readSegments(
  reader: CaptureReader,
  scratch: DecodeScratch,
  onSegment: (p: TcpPacket, wireLength: number) => void,
  opts: {
    maxMalformedSamples?: number;
    verifyChecksums?: boolean;
    /** Told where every frame is (for the Files view). */
    index?: CaptureIndex | null;
    /** Asked every 1024 packets (with the count so far): true stops reading there. */
    until?: (packets: number) => boolean;
  } = {},
): ReadCounts {
  const until = opts.until;
  const maxSamples = opts.maxMalformedSamples ?? 20;
  const index = opts.index ?? null;
  const verify = opts.verifyChecksums ?? false;
  let packets = 0;
  let tcpPackets = 0;
  let malformed = 0;
  const malformedSamples: MalformedSample[] = [];
  let error: AnalyzeResult['error'] = null;
  const reuse = newReuseRecord();
  try {
    for (;;) {
      const rec = reader.next(reuse);
      if (rec === null) break;
      packets++;
      const buf = rec.buf!;
      const start = rec.start!;
      const end = rec.end!;
      if (index !== null) index.addFrame(rec);
      const d = decodeFrameAt(rec.linkType, buf, start, end, rec.frame, rec.time, rec.origLength, scratch);
      if (d.kind === 'tcp') {
        tcpPackets++;
        if (!verify) d.packet.checksumOk = null;
        onSegment(d.packet, rec.origLength);
      } else if (d.kind === 'malformed') {
        malformed++;
        if (malformedSamples.length < maxSamples) {
          malformedSamples.push({ frame: rec.frame, layer: d.layer, reason: d.reason });
        }
      }
      if (until !== undefined && (packets & 1023) === 0 && until(packets)) break;
    }
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    if (packets === 0) {
      throw new CaptureOpenError(e.message, e.offset);
    }
    error = { message: e.message, offset: e.offset };
  } finally {
    reader.close();
  }
  return { format: reader.format, packets, tcpPackets, malformed, malformedSamples, error };
}

/** Reads and analyses a capture; throws CaptureOpenError when nothing could be read. */
export function analyzeCapture(source: string | Uint8Array, opts: AnalyzeOptions = {}): AnalyzeResult {
  const reader = openReader(source);
  const tracker = new Tracker({ keepSegments: opts.keepSegments ?? false });
  const index = opts.index ? new CaptureIndex(source) : null;
  // One packet object reused for every segment (the tracker copies what it keeps); options of
  // non-SYN segments are parsed only when ladder rows, which show them, are kept.
  const scratch = newDecodeScratch(opts.keepSegments ?? false, opts.verifyChecksums ?? false);
  const counts = readSegments(
    reader,
    scratch,
    index === null
      ? (p, wireLength) => tracker.track(p, wireLength)
      : (p, wireLength) => index.addSegment(tracker.track(p, wireLength), p.frame),
    { maxMalformedSamples: opts.maxMalformedSamples, verifyChecksums: opts.verifyChecksums, index },
  );
  return { ...counts, tracker, index };
}
