/**
 * `analyzeCapture` on two threads for big files: a worker thread reads and
 * decodes the frames, this thread tracks the segments. The worker runs the
 * same frame loop (`readSegments`) with a decoder that writes each TCP
 * segment as a fixed-size record of numbers (`SEG`, `SegmentSink`) into a
 * ring of blocks in shared memory; this thread turns each record back into
 * the scratch packet (address text from the same caches, SYN options from
 * two reused objects) and calls `Tracker.track`, so the tracker and its
 * results are exactly those of the one-thread pipeline. Blocks are handed
 * over with `Atomics` (full / free per block): the worker waits when the ring
 * is full, this thread when it is empty. At the end the worker sends the
 * frame counts, malformed samples and any error through a message port,
 * read synchronously after the end marker.
 *
 * Used only where it pays and is safe: a regular file of at least
 * PIPELINE_MIN_BYTES, no ladder rows or frames kept, more than one CPU, and
 * the built JavaScript (the worker runs out/main/decode-worker.js). Anything
 * unexpected in the worker — it fails to start, throws, or stops sending
 * for STALL_MS — makes `analyzeCapturePipelined` return null and the caller
 * runs the one-thread pipeline instead. TCPLAB_ANALYZE_THREADS=1 turns it
 * off; =2 turns it on for any file size and hands the worker every frame
 * (tests use it to run the ring on small captures).
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { TcpOption } from '../../src-shared/tcp';
import { Tracker } from '../tracker';
import { ipv4ToString, ipv6ToString, newDecodeScratch, SEG, type SegmentSink } from '../wire';
import {
  CaptureOpenError,
  newReuseRecord,
  openReader,
  readSegments,
  type AnalyzeResult,
  type ReadCounts,
} from './analyze';

/** Files smaller than this are read on one thread (starting a worker costs about 30 ms). */
export const PIPELINE_MIN_BYTES = 32 * 1024 * 1024;
/** Records per block and blocks in the ring: 16 × 4096 records of 96 bytes, about 6 MB. */
const BLOCK = 4096;
const BLOCKS = 16;
/** Malformed frames described, as in analyzeCapture. */
const MAX_SAMPLES = 20;
/** Give up on a worker that has not handed over a block for this long. */
const STALL_MS = 10_000;

/** Block states in the control array. */
const FREE = 0;
const FULL = 1;
/** `count` of the block after the last one: the end of the file (or of what could be read). */
const END = -1;
/** Control slots after the blocks' states and counts: the worker is ready; where it starts. */
const READY = BLOCKS * 2;
const START = BLOCKS * 2 + 1;
/** START before this thread has answered, and when it has no work for the worker. */
const UNSET = -1;
const ABORT = -2;

interface Ring {
  i32: Int32Array;
  u8: Uint8Array;
  /** Capture time of each record (seconds), by record index. */
  time: Float64Array;
  /** state[b] at b, count[b] at BLOCKS + b, then READY and START. */
  ctl: Int32Array;
}

function newRing(): Ring {
  const records = BLOCK * BLOCKS;
  const data = new SharedArrayBuffer(records * SEG.STRIDE * 4);
  return {
    i32: new Int32Array(data),
    u8: new Uint8Array(data),
    time: new Float64Array(new SharedArrayBuffer(records * 8)),
    ctl: new Int32Array(new SharedArrayBuffer((BLOCKS * 2 + 2) * 4)),
  };
}

/**
 * The worker's script: loads the built decode-worker.js, which runs
 * `runDecodeWorker`; if even that fails it reports why and marks the end, so
 * the tracking thread does not wait for blocks that will never come.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
try {
  require(workerData.module);
} catch (e) {
  workerData.port.postMessage({ ok: false, message: String(e && e.message || e) });
  const ctl = new Int32Array(workerData.ctl);
  Atomics.store(ctl, ${BLOCKS}, ${END});
  Atomics.store(ctl, 0, ${FULL});
  Atomics.notify(ctl, 0);
}`;

/** What the worker is started with. */
interface WorkerJob {
  module: string;
  path: string;
  data: SharedArrayBuffer;
  time: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
  port: MessagePort;
}

/** The worker's last word: its frame counts, or why it stopped (`open`: the file is broken from the start). */
type WorkerReport =
  | { ok: true; counts: ReadCounts }
  | { ok: false; message: string; open?: { message: string; offset: number } };

/** The built worker script (out/main/decode-worker.js beside the CLI), or null (running from source). */
function workerScript(): string | null {
  if (typeof __dirname === 'undefined') return null;
  for (const p of [join(__dirname, 'decode-worker.js'), join(__dirname, '..', 'decode-worker.js')]) {
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * How `path` should be analysed (see the module comment): null for one
 * thread, else the options for `analyzeCapturePipelined`.
 */
export function pipelineMode(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): { handAll: boolean } | null {
  if (workerScript() === null) return null;
  const forced = env.TCPLAB_ANALYZE_THREADS;
  if (forced === '1') return null;
  if (forced === '2') return { handAll: true };
  if (availableParallelism() < 2) return null;
  try {
    const st = statSync(path);
    return st.isFile() && st.size >= PIPELINE_MIN_BYTES ? { handAll: false } : null;
  } catch {
    return null;
  }
}

/**
 * The worker's side: reads and decodes `job.path` into the ring, then reports.
 * Runs in the worker thread (started by `analyzeCapturePipelined`).
 */
export function runDecodeWorker(job: WorkerJob): void {
  const ring: Ring = {
    i32: new Int32Array(job.data),
    u8: new Uint8Array(job.data),
    time: new Float64Array(job.time),
    ctl: new Int32Array(job.ctl),
  };
  const ctl = ring.ctl;
  const sink: SegmentSink = { i32: ring.i32, u8: ring.u8, at: 0 };
  let block = 0;
  let index = 0; // record index within the block
  const claim = (b: number): void => {
    while (Atomics.load(ctl, b) !== FREE) Atomics.wait(ctl, b, FULL, STALL_MS);
  };
  const publish = (count: number): void => {
    Atomics.store(ctl, BLOCKS + block, count);
    Atomics.store(ctl, block, FULL);
    Atomics.notify(ctl, block);
    block = (block + 1) % BLOCKS;
  };
  let report: WorkerReport;
  try {
    // Say we are ready, then learn how many frames the tracking thread has read itself meanwhile.
    const reader = openReader(job.path);
    Atomics.store(ctl, READY, 1);
    while (Atomics.load(ctl, START) === UNSET) Atomics.wait(ctl, START, UNSET, STALL_MS);
    const start = Atomics.load(ctl, START);
    if (start < 0) {
      reader.close();
      return;
    }
    const skip = newReuseRecord();
    for (let k = 0; k < start; k++) reader.next(skip);
    claim(0);
    sink.at = 0;
    const counts = readSegments(reader, newDecodeScratch(false, false, sink), (p, wireLength) => {
      const r = block * BLOCK + index;
      ring.i32[sink.at + SEG.FRAME] = p.frame;
      ring.i32[sink.at + SEG.WIRE] = wireLength;
      ring.time[r] = p.time;
      if (++index === BLOCK) {
        publish(BLOCK);
        claim(block);
        index = 0;
      }
      sink.at = (block * BLOCK + index) * SEG.STRIDE;
    });
    report = { ok: true, counts };
  } catch (e) {
    report =
      e instanceof CaptureOpenError
        ? { ok: false, message: e.message, open: { message: e.message, offset: e.offset } }
        : { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  // The report first, then the end marker: the tracking thread reads the report once it sees the marker.
  job.port.postMessage(report);
  if (index > 0) {
    publish(index);
    claim(block);
  }
  publish(END);
}

/** Turns ring record `r` back into the scratch packet the tracker takes. */
class Refill {
  private readonly mss: TcpOption & { kind: 'mss' } = { kind: 'mss', value: 0 };
  private readonly wscale: TcpOption & { kind: 'wscale' } = { kind: 'wscale', shift: 0 };
  private readonly both: TcpOption[] = [this.mss, this.wscale];
  private readonly mssOnly: TcpOption[] = [this.mss];
  private readonly wscaleOnly: TcpOption[] = [this.wscale];
  private readonly none: TcpOption[] = [];
  readonly scratch = newDecodeScratch(false, false);

  constructor(private readonly ring: Ring) {}

  /** Fills the packet from record `r`; returns its length on the wire. */
  packet(r: number): number {
    const i32 = this.ring.i32;
    const u8 = this.ring.u8;
    const at = r * SEG.STRIDE;
    const p = this.scratch.result.packet;
    const v4 = i32[at + SEG.VERSION] === 4;
    p.frame = i32[at + SEG.FRAME];
    p.time = this.ring.time[r];
    p.ipVersion = v4 ? 4 : 6;
    p.src = v4 ? ipv4ToString(u8, (at + SEG.SRC) * 4) : ipv6ToString(u8, (at + SEG.SRC) * 4);
    p.dst = v4 ? ipv4ToString(u8, (at + SEG.DST) * 4) : ipv6ToString(u8, (at + SEG.DST) * 4);
    p.srcPort = i32[at + SEG.SRC_PORT];
    p.dstPort = i32[at + SEG.DST_PORT];
    p.seq = i32[at + SEG.SEQ] >>> 0;
    p.ack = i32[at + SEG.ACK] >>> 0;
    p.flags = i32[at + SEG.FLAGS];
    p.window = i32[at + SEG.WINDOW];
    p.urgent = i32[at + SEG.URGENT];
    p.payloadLength = i32[at + SEG.PAYLOAD];
    p.headerLength = i32[at + SEG.HEADER];
    p.checksum = i32[at + SEG.CHECKSUM];
    p.checksumOk = null;
    const mss = i32[at + SEG.MSS];
    const ws = i32[at + SEG.WSCALE];
    if (mss < 0 && ws < 0) {
      p.options = this.none;
    } else {
      this.mss.value = mss;
      this.wscale.shift = ws;
      p.options = mss < 0 ? this.wscaleOnly : ws < 0 ? this.mssOnly : this.both;
    }
    return i32[at + SEG.WIRE];
  }
}

/**
 * `analyzeCapture(path, { keepSegments: false })` on two
 * threads; null when the worker could not do its part (the caller then runs
 * the one-thread pipeline). Throws CaptureOpenError, as analyzeCapture does,
 * when the file cannot be read at all.
 *
 * Starting a worker takes tens of milliseconds, so this thread does not wait
 * for it: it reads and tracks the first frames itself until the worker says
 * it is ready, tells it how many frames that was, and from then on tracks
 * what the worker decodes. If the worker is never ready, this thread simply
 * reads the whole file. With `handAll` this thread waits for the worker
 * (up to STALL_MS) and hands it every frame: the path tests exercise on small files.
 */
export function analyzeCapturePipelined(
  path: string,
  opts: { handAll?: boolean } = {},
): AnalyzeResult | null {
  const script = workerScript();
  if (script === null) return null;
  const reader = openReader(path); // throws CaptureOpenError exactly as analyzeCapture does
  const ring = newRing();
  const ctl = ring.ctl;
  Atomics.store(ctl, START, UNSET);
  const channel = new MessageChannel();
  let worker: Worker | null = null;
  try {
    const job: WorkerJob = {
      module: script,
      path,
      data: ring.i32.buffer as SharedArrayBuffer,
      time: ring.time.buffer as SharedArrayBuffer,
      ctl: ctl.buffer as SharedArrayBuffer,
      port: channel.port2,
    };
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job, transferList: [channel.port2] });
  } catch {
    // No worker: the loop below reads the whole file on this thread.
  }
  const tracker = new Tracker({ keepSegments: false });
  try {
    if (opts.handAll && worker !== null) {
      for (let waited = 0; Atomics.load(ctl, READY) !== 1 && waited < STALL_MS; waited += 100) {
        Atomics.wait(ctl, READY, 0, 100);
      }
    }
    let handoff = -1;
    let own: ReadCounts;
    if (opts.handAll && Atomics.load(ctl, READY) === 1) {
      handoff = 0;
      reader.close();
      own = {
        format: reader.format,
        packets: 0,
        tcpPackets: 0,
        malformed: 0,
        malformedSamples: [],
        error: null,
      };
    } else {
      own = readSegments(reader, newDecodeScratch(false, false), (p, w) => tracker.track(p, w), {
        until: (packets) => {
          if (Atomics.load(ctl, READY) !== 1) return false;
          handoff = packets;
          return true;
        },
      });
    }
    if (handoff < 0) {
      // The file ended (or broke) before the worker was ready: it was all read here.
      return { ...own, tracker, index: null };
    }
    Atomics.store(ctl, START, handoff);
    Atomics.notify(ctl, START);
    const refill = new Refill(ring);
    const p = refill.scratch.result.packet;
    for (let block = 0; ; block = (block + 1) % BLOCKS) {
      let waited = 0;
      while (Atomics.load(ctl, block) !== FULL) {
        if (Atomics.wait(ctl, block, FREE, 100) === 'timed-out' && (waited += 100) >= STALL_MS) return null;
      }
      const count = Atomics.load(ctl, BLOCKS + block);
      if (count === END) break;
      const first = block * BLOCK;
      for (let r = first; r < first + count; r++) {
        const wireLength = refill.packet(r);
        tracker.track(p, wireLength);
      }
      Atomics.store(ctl, block, FREE);
      Atomics.notify(ctl, block);
    }
    const message = receiveMessageOnPort(channel.port1)?.message as WorkerReport | undefined;
    if (message === undefined) return null;
    let rest: ReadCounts;
    if (message.ok) {
      rest = message.counts;
    } else if (message.open) {
      // The worker's first frame is broken: the whole file if it had them all, else a break part-way.
      if (handoff === 0) throw new CaptureOpenError(message.open.message, message.open.offset);
      rest = {
        format: own.format,
        packets: 0,
        tcpPackets: 0,
        malformed: 0,
        malformedSamples: [],
        error: message.open,
      };
    } else {
      return null;
    }
    return {
      format: own.format,
      packets: own.packets + rest.packets,
      tcpPackets: own.tcpPackets + rest.tcpPackets,
      malformed: own.malformed + rest.malformed,
      malformedSamples: own.malformedSamples.concat(rest.malformedSamples).slice(0, MAX_SAMPLES),
      error: rest.error,
      tracker,
      index: null,
    };
  } finally {
    if (Atomics.load(ctl, START) === UNSET) {
      Atomics.store(ctl, START, ABORT);
      Atomics.notify(ctl, START);
    }
    channel.port1.close();
    void worker?.terminate();
  }
}
