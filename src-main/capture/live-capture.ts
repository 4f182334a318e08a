/**
 * A live capture in the main process: capture helper → wire decoder →
 * tracker, the same pipeline `analyze` runs over a file, fed by frame batches
 * as they arrive. It counts frames seen, decoded as TCP, malformed and other;
 * optionally writes every frame to a pcapng file incrementally (flushed at
 * least once a second, so a crash loses at most the last second and the file
 * still opens in tshark); and ends by itself after `count` frames or
 * `durationS` seconds. Consumers (the service, injection's reaction watch)
 * subscribe to decoded packets with `onPacket`. `runCapture` is the core of
 * `tcplab capture`: it returns the `analyze --json` shape and never prints
 * or exits.
 */
import { decodeFrame, PcapngWriter } from '../wire';
import { Tracker } from '../tracker';
import type { TcpPacket } from '../../src-shared/tcp';
import type { SessionSummary, SegmentRow } from '../../src-shared/session';
import type { MalformedSample } from '../../src-shared/contract';
import {
  CaptureFailure,
  CaptureHelperClient,
  FrameBatch,
  type CapturedFrame,
  type HelperClientOptions,
  type OpenResult,
} from './helper-client';

export interface LiveCaptureOptions {
  iface: string;
  /** BPF filter (pcap-filter(7)); empty captures everything. */
  filter?: string;
  /** Bytes kept per frame (default LIVE_SNAPLEN, headers and the start of the payload; 262144 for whole frames). */
  snaplen?: number;
  bufferSize?: number;
  /** A running helper client to share; otherwise one is started (and disposed on stop). */
  client?: CaptureHelperClient;
  helper?: HelperClientOptions;
  /** pcapng file to write incrementally. */
  write?: string;
  /** Stop after this many frames. */
  count?: number;
  /** Stop after this many seconds. */
  durationS?: number;
  /** Keep ladder rows per session (the UI needs them). */
  keepSegments?: boolean;
  /** How many malformed frames to describe (the count is always exact). */
  maxMalformedSamples?: number;
  /**
   * Flag bad TCP checksums (default false, as in Wireshark): frames this host sends are captured
   * before the NIC (or, on loopback, never) fills the checksum in, so they would all look bad.
   */
  verifyChecksums?: boolean;
}

export interface LiveCounters {
  /** Frames received from the helper. */
  seen: number;
  /** Frames decoded as TCP and given to the tracker. */
  decoded: number;
  malformed: number;
  /** Frames that carry no TCP (ARP, UDP, …). */
  other: number;
  /** Frames written to the pcapng file. */
  written: number;
}

/** What a packet consumer gets: the decoded packet, its frame (bytes valid only during the call) and the tracker's answer. */
export interface LivePacket {
  packet: TcpPacket;
  frame: CapturedFrame;
  sessionId: number;
  row: SegmentRow | null;
}

export interface LiveCaptureResult {
  packets: number;
  tcpPackets: number;
  malformed: number;
  malformedSamples: MalformedSample[];
  sessions: SessionSummary[];
  /** Frames the helper dropped because this process fell behind. */
  dropped: number;
  /** Why the capture ended: 'count', 'duration', 'stopped' or an error sentence. */
  ended: string;
  error: string | null;
}

type EndReason = 'count' | 'duration' | 'stopped' | 'error';

/** A batch of frames waiting to be decoded. */
type FrameList = FrameBatch | CapturedFrame[];

/**
 * Bytes kept per frame unless the caller asks for more: every header a ladder needs (Ethernet or
 * Linux cooked, VLAN tags, IPv4 with options or IPv6, TCP with options) and the start of the
 * payload; the wire length still counts the rest. Small frames keep libpcap's buffer, the pipe and
 * the pcapng file small.
 */
export const LIVE_SNAPLEN = 256;

/** Longest stretch of decoding before yielding to the event loop, and frames between clock checks. */
const SLICE_MS = 4;
const SLICE_FRAMES = 256;

export class LiveCapture {
  readonly tracker: Tracker;
  readonly counters: LiveCounters = { seen: 0, decoded: 0, malformed: 0, other: 0, written: 0 };
  readonly malformedSamples: MalformedSample[] = [];
  private readonly client: CaptureHelperClient;
  private readonly ownsClient: boolean;
  private readonly packetListeners = new Set<(p: LivePacket) => void>();
  private readonly errorListeners = new Set<(e: CaptureFailure) => void>();
  private readonly unsubscribe: Array<() => void> = [];
  private writer: PcapngWriter | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private durationTimer: NodeJS.Timeout | null = null;
  private frameNo = 0;
  private running = false;
  private endReason: EndReason | null = null;
  private error: string | null = null;
  private resolveDone!: (r: LiveCaptureResult) => void;
  /** Resolves when the capture ends (count, duration, stop or error). */
  readonly done: Promise<LiveCaptureResult>;
  opened: OpenResult | null = null;
  private dropped = 0;

  constructor(private readonly opts: LiveCaptureOptions) {
    this.tracker = new Tracker({ keepSegments: opts.keepSegments ?? false });
    this.client = opts.client ?? new CaptureHelperClient(opts.helper);
    this.ownsClient = !opts.client;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Opens the interface; rejects with a CaptureFailure whose message says what to do. */
  async start(): Promise<OpenResult> {
    if (this.running) throw new CaptureFailure('error', 'This capture is already running.');
    // Batches read on demand where the client offers them (test doubles may offer only arrays).
    this.unsubscribe.push(
      typeof this.client.onBatches === 'function'
        ? this.client.onBatches((batch) => this.enqueue(batch))
        : this.client.onFrames((frames) => this.enqueue(frames)),
    );
    this.unsubscribe.push(
      this.client.onError((e) => {
        for (const l of this.errorListeners) l(e);
        if (this.running) void this.finish('error', e.message);
      }),
    );
    let opened: OpenResult;
    try {
      opened = await this.client.open({
        iface: this.opts.iface,
        filter: this.opts.filter,
        snaplen: this.opts.snaplen ?? LIVE_SNAPLEN,
        bufferSize: this.opts.bufferSize,
        // The ladder can wait 10 ms for a block of frames; at high rates that is what keeps up.
        immediate: false,
      });
    } catch (e) {
      for (const u of this.unsubscribe.splice(0)) u();
      if (this.ownsClient) await this.client.dispose();
      throw e;
    }
    this.opened = opened;
    this.running = true;
    if (this.opts.write) {
      this.writer = PcapngWriter.toFile(this.opts.write, {
        comment: `TCP Lab live capture on ${opened.iface}`,
      });
      this.writer.addInterface({
        linkType: opened.linkType,
        name: opened.iface,
        snapLength: opened.snaplen ?? this.opts.snaplen ?? LIVE_SNAPLEN,
      });
      this.writer.flush();
      this.flushTimer = setInterval(() => this.writer?.flush(), 1000);
    }
    if (this.opts.durationS !== undefined) {
      this.durationTimer = setTimeout(() => void this.finish('duration'), this.opts.durationS * 1000);
    }
    return opened;
  }

  /** Batches waiting to be decoded, and where the first one is at. */
  private readonly queue: FrameList[] = [];
  private queueAt = 0;
  private drainScheduled = false;

  /**
   * Decoding and tracking run in slices of at most SLICE_MS, yielding to the event loop between
   * them, so a burst (a 256 KiB batch holds ~3,000 small frames) never blocks the main process
   * for long; batches are handled strictly in order.
   */
  private enqueue(frames: FrameList): void {
    if (!this.running) return;
    this.queue.push(frames);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.drainScheduled = false;
    const until = performance.now() + SLICE_MS;
    while (this.queue.length > 0 && this.running) {
      const batch = this.queue[0];
      const end = Math.min(batch.length, this.queueAt + SLICE_FRAMES);
      this.onFrames(batch, this.queueAt, end);
      this.queueAt = end;
      if (end >= batch.length) {
        this.queue.shift();
        this.queueAt = 0;
      }
      if (performance.now() >= until) break;
    }
    if (!this.running) {
      this.queue.length = 0;
      this.queueAt = 0;
    } else if (this.queue.length > 0) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Frames waiting to be decoded (for tests and benchmarks). */
  get backlog(): number {
    let n = -this.queueAt;
    for (const b of this.queue) n += b.length;
    return n;
  }

  private onFrames(frames: FrameList, from = 0, to = frames.length): void {
    if (!this.running) return;
    const limit = this.opts.count;
    const maxSamples = this.opts.maxMalformedSamples ?? 20;
    for (let i = from; i < to; i++) {
      if (limit !== undefined && this.counters.seen >= limit) break;
      const f = frames instanceof FrameBatch ? frames.frame(i) : frames[i];
      this.counters.seen++;
      const frameNo = ++this.frameNo;
      if (this.writer) {
        this.writer.writePacket({ data: f.data, time: f.time, origLength: f.origLength });
        this.counters.written++;
      }
      const d = decodeFrame(f.linkType, f.data, frameNo, f.time, f.origLength);
      if (d.kind === 'tcp') {
        this.counters.decoded++;
        if (!this.opts.verifyChecksums) d.packet.checksumOk = null;
        const { sessionId, row } = this.tracker.add(d.packet, f.origLength);
        if (this.packetListeners.size) {
          const lp: LivePacket = { packet: d.packet, frame: f, sessionId, row: row ?? null };
          for (const l of this.packetListeners) l(lp);
        }
      } else if (d.kind === 'malformed') {
        this.counters.malformed++;
        if (this.malformedSamples.length < maxSamples) {
          this.malformedSamples.push({ frame: frameNo, layer: d.layer, reason: d.reason });
        }
      } else this.counters.other++;
    }
    if (limit !== undefined && this.counters.seen >= limit) void this.finish('count');
  }

  /** Sends a frame on the captured interface (injection; policy is the caller's job). */
  send(frame: Uint8Array): Promise<{ bytes: number }> {
    if (!this.running) return Promise.reject(new CaptureFailure('not-open', 'The capture is not running.'));
    return this.client.send(frame);
  }

  /** Decoded TCP packets as they arrive; returns the unsubscribe function. */
  onPacket(cb: (p: LivePacket) => void): () => void {
    this.packetListeners.add(cb);
    return () => this.packetListeners.delete(cb);
  }

  onError(cb: (e: CaptureFailure) => void): () => void {
    this.errorListeners.add(cb);
    return () => this.errorListeners.delete(cb);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The helper's counters plus this side's. */
  async stats(): Promise<
    LiveCounters & { helperSeen: number; dropped: number; kernelDropped: number | null }
  > {
    const s = await this.client.stats();
    return {
      ...this.counters,
      helperSeen: s.seen,
      dropped: s.dropped,
      kernelDropped: s.kernelDropped ?? null,
    };
  }

  /** Stops the capture and resolves with the result. */
  stop(): Promise<LiveCaptureResult> {
    void this.finish('stopped');
    return this.done;
  }

  private finishing = false;

  private async finish(reason: EndReason, error?: string): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    if (reason === 'stopped' || reason === 'duration') {
      // What has arrived is part of the capture: decode the rest of the queue now.
      for (const batch of this.queue.splice(0)) {
        this.onFrames(batch, this.queueAt);
        this.queueAt = 0;
      }
    }
    this.running = false;
    this.endReason = reason;
    this.error = error ?? null;
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (reason !== 'error') {
      try {
        this.dropped = (await this.client.stats()).dropped;
        await this.client.close();
      } catch {
        // the helper is gone: nothing to close
      }
    }
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.writer) {
      try {
        this.writer.close();
      } catch {
        // already closed
      }
      this.writer = null;
    }
    if (this.ownsClient) await this.client.dispose();
    this.resolveDone(this.result());
  }

  /** The `analyze --json` shape plus the live extras. */
  result(): LiveCaptureResult {
    return {
      packets: this.counters.seen,
      tcpPackets: this.counters.decoded,
      malformed: this.counters.malformed,
      malformedSamples: this.malformedSamples,
      sessions: this.tracker.summaries(),
      dropped: this.dropped,
      ended: this.endReason === 'error' ? (this.error ?? 'error') : (this.endReason ?? 'running'),
      error: this.error,
    };
  }
}

export interface RunCaptureOptions {
  iface: string;
  filter?: string;
  count?: number;
  durationS?: number;
  /** pcapng path. */
  write?: string;
  /** Bytes kept per frame (default 256; 262144 keeps whole frames in the pcapng). */
  snaplen?: number;
  helper?: HelperClientOptions;
  /** Stops the capture early (e.g. on Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The core of `tcplab capture`: captures until `count` frames or `durationS`
 * seconds (or the signal aborts) and returns `{ packets, tcpPackets,
 * malformed, sessions, … }`; rejects with a CaptureFailure (bad filter,
 * missing interface, no permission) whose message says what to do.
 */
export async function runCapture(o: RunCaptureOptions): Promise<LiveCaptureResult> {
  if (o.count === undefined && o.durationS === undefined && !o.signal) {
    throw new CaptureFailure(
      'bad-request',
      'Say when to stop: give a count (--count N) or a duration (--duration S).',
    );
  }
  const cap = new LiveCapture({
    iface: o.iface,
    filter: o.filter,
    count: o.count,
    durationS: o.durationS,
    write: o.write,
    snaplen: o.snaplen,
    helper: o.helper,
  });
  await cap.start();
  if (o.signal) {
    if (o.signal.aborted) void cap.stop();
    else o.signal.addEventListener('abort', () => void cap.stop(), { once: true });
  }
  return cap.done;
}
