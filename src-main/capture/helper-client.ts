/**
 * The main-process side of the capture helper (./helper-process.cjs): spawns
 * it as a child process (with this process's Node — or Electron run as Node —
 * or a dedicated, privileged Node binary, optionally behind a wrapper such as
 * pkexec), speaks its length-prefixed stdio protocol, and exposes a small
 * promise/callback API: `listInterfaces()`, `open()`, `onFrames()` (or
 * `onBatches()`, frames read on demand), `send()`, `stats()`, `close()`,
 * `dispose()`. Frame batches arrive as views into one received chunk (no copy
 * per frame). Nothing the helper does can crash this
 * process: a failed request rejects with the helper's sentence, and a helper
 * that exits, or an interface that went away, reaches `onError` listeners as
 * a `CaptureFailure` with a code and a sentence that says what to do.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPE_JSON = 1;
const TYPE_BATCH = 2;
const TYPE_SEND = 3;
const FRAME_HEADER = 20;

export type CaptureErrorCode =
  | 'bad-filter'
  | 'no-such-interface'
  | 'permission'
  | 'unavailable'
  | 'open-failed'
  | 'send-failed'
  | 'send-refused'
  | 'not-open'
  | 'interface-gone'
  | 'helper-exited'
  | 'helper-missing'
  | 'bad-request'
  | 'error';

/** An error a user can cause or meet, with a sentence that says what to do. */
export class CaptureFailure extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureFailure';
  }
}

export interface InterfaceAddress {
  addr: string;
  netmask: string | null;
  broadaddr: string | null;
}

export interface CaptureInterface {
  name: string;
  description: string;
  loopback: boolean;
  addresses: InterfaceAddress[];
}

export interface OpenOptions {
  iface: string;
  /** BPF filter in pcap-filter(7) syntax; empty captures everything. */
  filter?: string;
  /** Bytes kept per frame (64 … 262144, default 65535). */
  snaplen?: number;
  /** libpcap's kernel buffer in bytes (default 32 MiB). */
  bufferSize?: number;
  /**
   * Hand every frame over at once (default true). False lets libpcap hand them over in blocks, at
   * most 10 ms late: far fewer wake-ups and, on Linux, a buffer that holds many more frames.
   */
  immediate?: boolean;
}

export interface OpenResult {
  iface: string;
  /** LINKTYPE_ number (1 = Ethernet; Linux `lo` is Ethernet with zero MACs). */
  linkType: number;
  linkTypeName: string;
  /** The snap length in effect (what a pcapng interface block should say). */
  snaplen: number;
}

/** One captured frame; `data` is a view into the received chunk, valid as long as you keep it. */
export interface CapturedFrame {
  time: number;
  linkType: number;
  caplen: number;
  origLength: number;
  data: Uint8Array;
}

/**
 * One batch as the helper sent it, read on demand: a batch waiting to be decoded costs its buffer
 * and an offset table, not an object and a view per frame (hundreds of thousands of those, queued
 * while the main process is busy, make every garbage collection slower and the backlog longer).
 */
export class FrameBatch {
  readonly length: number;
  private readonly offsets: Uint32Array;

  constructor(private readonly payload: Buffer) {
    const count = payload.length >= 4 ? payload.readUInt32BE(0) : 0;
    const offsets = new Uint32Array(count);
    let o = 4;
    let n = 0;
    while (n < count && o + FRAME_HEADER <= payload.length) {
      offsets[n++] = o;
      o += FRAME_HEADER + payload.readUInt32BE(o + 12);
    }
    this.offsets = n === count ? offsets : offsets.subarray(0, n);
    this.length = n;
  }

  /** Frame `i` (0 ≤ i < length); its `data` is a view into the batch. */
  frame(i: number): CapturedFrame {
    const o = this.offsets[i];
    const p = this.payload;
    const caplen = p.readUInt32BE(o + 12);
    return {
      time: p.readDoubleBE(o),
      linkType: p.readUInt32BE(o + 8),
      caplen,
      origLength: p.readUInt32BE(o + 16),
      data: p.subarray(o + FRAME_HEADER, o + FRAME_HEADER + caplen),
    };
  }

  toArray(): CapturedFrame[] {
    const frames: CapturedFrame[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) frames[i] = this.frame(i);
    return frames;
  }
}

export interface HelperStats {
  /** Frames libpcap handed to the helper since the last open. */
  seen: number;
  /** Frames written to this process. */
  delivered: number;
  /** Frames the helper dropped because this process did not keep up. */
  dropped: number;
  /** Frames libpcap's buffer had no room for (pcap_stats; on `lo` each frame counts twice), or null where cap cannot tell. */
  kernelDropped: number | null;
  /** Frames sent (injected). */
  sent: number;
  open: boolean;
  iface: string | null;
}

export interface HelperClientOptions {
  /** Path of helper-process.cjs; default: `defaultHelperPath()`. */
  helperPath?: string;
  /** Node binary to run the helper with (default process.execPath, with ELECTRON_RUN_AS_NODE=1). */
  execPath?: string;
  /** A command to run it through, e.g. ['pkexec'] or ['sudo', '-n']. */
  wrapper?: string[];
  /** Milliseconds to wait for a reply (default 10 s). */
  requestTimeoutMs?: number;
}

/**
 * Where helper-process.cjs is: $TCPLAB_CAPTURE_HELPER, else beside this module
 * (running from source) or in `capture/` beside the bundle (the build copies
 * helper-process.cjs and cap-adapter.cjs there).
 */
export function defaultHelperPath(): string {
  const env = process.env.TCPLAB_CAPTURE_HELPER;
  if (env) return env;
  const dirs: string[] = [];
  if (typeof __dirname === 'string') dirs.push(__dirname);
  try {
    dirs.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // CommonJS bundle: import.meta.url is not available
  }
  for (const d of dirs) {
    for (const rel of ['helper-process.cjs', 'capture/helper-process.cjs', '../capture/helper-process.cjs']) {
      const p = join(d, rel);
      if (existsSync(p)) return p;
    }
  }
  return join(dirs[0] ?? '.', 'helper-process.cjs');
}

/** Linux only: whether the interface no longer exists (false when unsure). */
function interfaceGone(iface: string): boolean {
  if (process.platform !== 'linux' || iface === 'any') return false;
  return !existsSync(`/sys/class/net/${iface}`);
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** The message as sent, re-sent to a fresh helper after a restart. */
  type: number;
  payload: Buffer;
}

type FramesListener = (frames: CapturedFrame[]) => void;
type BatchListener = (batch: FrameBatch) => void;
type ErrorListener = (err: CaptureFailure) => void;

export class CaptureHelperClient {
  private child: ChildProcessWithoutNullStreams | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly frameListeners = new Set<FramesListener>();
  private readonly batchListeners = new Set<BatchListener>();
  private readonly errorListeners = new Set<ErrorListener>();
  private readonly logListeners = new Set<(line: string) => void>();
  private inbuf: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsLength = 0;
  private needed = 5;
  private stderrTail = '';
  private disposed = false;
  private openIface: string | null = null;
  /** Frames decoded from batches by this client. */
  framesReceived = 0;

  constructor(private readonly opts: HelperClientOptions = {}) {}

  /** Starts the helper (done lazily by every request). */
  start(): Promise<void> {
    if (this.disposed)
      return Promise.reject(new CaptureFailure('helper-exited', 'The capture helper was shut down.'));
    if (this.ready) return this.ready;
    const helperPath = this.opts.helperPath ?? defaultHelperPath();
    if (!existsSync(helperPath)) {
      return Promise.reject(
        new CaptureFailure(
          'helper-missing',
          `The capture helper is missing (${helperPath}); reinstall TCP Lab or set TCPLAB_CAPTURE_HELPER to its path.`,
        ),
      );
    }
    const node = this.opts.execPath ?? process.execPath;
    const wrapper = this.opts.wrapper ?? [];
    const cmd = wrapper.length ? wrapper[0] : node;
    const args = wrapper.length ? [...wrapper.slice(1), node, helperPath] : [helperPath];
    this.ready = new Promise<void>((resolve, reject) => {
      let child: ChildProcessWithoutNullStreams;
      try {
        child = spawn(cmd, args, {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        });
      } catch (e) {
        reject(
          new CaptureFailure('helper-exited', `Cannot start the capture helper: ${(e as Error).message}.`),
        );
        return;
      }
      this.child = child;
      let started = false;
      this.onReady = () => {
        started = true;
        resolve();
      };
      child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        this.stderrTail = (this.stderrTail + s).slice(-2000);
        for (const line of s.split('\n')) if (line.trim()) for (const l of this.logListeners) l(line);
      });
      child.stdin.on('error', () => {
        // the helper went away; 'exit' reports it
      });
      child.on('error', (e) => {
        const failure = new CaptureFailure(
          'helper-exited',
          `Cannot start the capture helper (${cmd}): ${e.message}.`,
        );
        if (!started) reject(failure);
        this.fail(failure);
      });
      child.on('exit', (code, signal) => {
        if (child !== this.child) return; // retired after a restart
        this.child = null;
        this.ready = null;
        if (this.disposed) return;
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        const detail = this.stderrTail.trim().split('\n').slice(-1)[0] ?? '';
        const iface = this.openIface;
        if (iface && interfaceGone(iface)) {
          // cap aborts when its device disappears under it (libuv poll error): say what happened.
          const gone = new CaptureFailure(
            'interface-gone',
            `interface ${iface} went away (removed, or its network namespace was deleted); the capture stopped — choose another interface to go on.`,
          );
          if (!started) reject(gone);
          this.fail(gone);
          return;
        }
        const failure = new CaptureFailure(
          'helper-exited',
          `The capture helper stopped unexpectedly (${why}${detail ? `: ${detail}` : ''})` +
            (iface
              ? `; the capture on ${iface} ended — check that the interface still exists and start again.`
              : '.'),
        );
        if (!started) reject(failure);
        this.fail(failure);
      });
    });
    return this.ready;
  }

  private onReady: (() => void) | null = null;

  /** Rejects every pending request and tells the error listeners. */
  private fail(failure: CaptureFailure): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(failure);
      this.pending.delete(id);
    }
    this.openIface = null;
    this.emitError(failure);
  }

  private emitError(failure: CaptureFailure): void {
    for (const l of this.errorListeners) {
      try {
        l(failure);
      } catch {
        // a listener's bug must not stop the others
      }
    }
  }

  private onData(chunk: Buffer): void {
    // A 256 KiB batch arrives as several pipe reads: gather them and join once the message is whole,
    // instead of re-copying the growing prefix on every read.
    if (this.parts.length > 0 || (this.inbuf.length > 0 && this.inbuf.length < this.needed)) {
      if (this.parts.length === 0) this.parts.push(this.inbuf);
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.partsLength < this.needed) return;
      this.inbuf = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
    } else {
      this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
    }
    let off = 0;
    const buf = this.inbuf;
    while (buf.length - off >= 5) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off < 4 + len) break;
      const type = buf[off + 4];
      const payload = buf.subarray(off + 5, off + 4 + len);
      off += 4 + len;
      if (type === TYPE_BATCH) this.onBatch(payload);
      else if (type === TYPE_JSON) this.onJson(payload);
    }
    this.inbuf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    // Bytes needed before the next message can be handled (its header, then its whole length).
    this.needed = this.inbuf.length >= 4 ? 4 + this.inbuf.readUInt32BE(0) : 5;
    this.partsLength = this.inbuf.length;
  }

  private onBatch(p: Buffer): void {
    const batch = new FrameBatch(p);
    this.framesReceived += batch.length;
    for (const l of this.batchListeners) {
      try {
        l(batch);
      } catch (e) {
        this.emitError(new CaptureFailure('error', `A frame consumer failed: ${(e as Error).message}`));
      }
    }
    if (this.frameListeners.size === 0) return;
    const frames = batch.toArray();
    for (const l of this.frameListeners) {
      try {
        l(frames);
      } catch (e) {
        this.emitError(new CaptureFailure('error', `A frame consumer failed: ${(e as Error).message}`));
      }
    }
  }

  private onJson(p: Buffer): void {
    let msg: {
      id?: number;
      ok?: boolean;
      result?: unknown;
      error?: { code: string; message: string };
      event?: string;
      code?: string;
      message?: string;
    };
    try {
      msg = JSON.parse(p.toString('utf8'));
    } catch {
      return;
    }
    if (msg.event) {
      if (msg.event === 'ready') this.onReady?.();
      else if (msg.event === 'restart') this.restart();
      else if (msg.event === 'error') {
        this.openIface = null;
        this.emitError(
          new CaptureFailure((msg.code as CaptureErrorCode) ?? 'error', msg.message ?? 'capture error'),
        );
      } else if (msg.event === 'log') for (const l of this.logListeners) l(msg.message ?? '');
      return;
    }
    const pending = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
    if (!pending || msg.id === undefined) return;
    this.pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (msg.ok) pending.resolve(msg.result);
    else {
      const code = (msg.error?.code ?? 'error') as CaptureErrorCode;
      pending.reject(
        new CaptureFailure(code, msg.error?.message ?? 'the capture helper refused the request'),
      );
    }
  }

  /**
   * The helper asked to be replaced (cap cannot clean up a failed open in
   * place): retire it and re-send whatever is still pending to a new one.
   */
  private restart(): void {
    this.child = null;
    this.ready = null;
    this.openIface = null;
    const again = [...this.pending.values()];
    if (again.length === 0) return;
    this.start().then(
      () => {
        for (const p of again) if (this.child) this.write(p.type, p.payload);
      },
      (e: Error) => {
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(e);
          this.pending.delete(id);
        }
      },
    );
  }

  private write(type: number, payload: Buffer): void {
    const head = Buffer.allocUnsafe(5);
    head.writeUInt32BE(payload.length + 1, 0);
    head[4] = type;
    this.child!.stdin.write(head);
    this.child!.stdin.write(payload);
  }

  private async request<T>(type: number, build: (id: number) => Buffer, what: string): Promise<T> {
    await this.start();
    if (!this.child) throw new CaptureFailure('helper-exited', 'The capture helper is not running.');
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CaptureFailure('error', `The capture helper did not answer "${what}" in time.`));
      }, this.opts.requestTimeoutMs ?? 10_000);
      const payload = build(id);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, type, payload });
      this.write(type, payload);
    });
  }

  private json<T>(req: Record<string, unknown>): Promise<T> {
    return this.request<T>(
      TYPE_JSON,
      (id) => Buffer.from(JSON.stringify({ ...req, id }), 'utf8'),
      String(req.op),
    );
  }

  /** Interfaces libpcap can open, with their addresses. */
  listInterfaces(): Promise<CaptureInterface[]> {
    return this.json<CaptureInterface[]>({ op: 'list' });
  }

  /** Opens `iface` (closing any previous capture); rejects with libpcap's words and what to do. */
  async open(o: OpenOptions): Promise<OpenResult> {
    const r = await this.json<OpenResult>({
      op: 'open',
      iface: o.iface,
      filter: o.filter ?? '',
      snaplen: o.snaplen,
      bufferSize: o.bufferSize,
      immediate: o.immediate,
    });
    this.openIface = r.iface;
    return r;
  }

  /** Sends one whole frame (link header included) on the open interface. */
  send(frame: Uint8Array): Promise<{ bytes: number }> {
    return this.request<{ bytes: number }>(
      TYPE_SEND,
      (id) => {
        const b = Buffer.allocUnsafe(4 + frame.length);
        b.writeUInt32BE(id, 0);
        b.set(frame, 4);
        return b;
      },
      'send',
    );
  }

  stats(): Promise<HelperStats> {
    return this.json<HelperStats>({ op: 'stats' });
  }

  /** Stops capturing; the helper stays up for the next open. */
  async close(): Promise<void> {
    if (!this.child) return;
    this.openIface = null;
    await this.json({ op: 'close' });
  }

  /** Subscribes to frame batches; returns the unsubscribe function. */
  onFrames(cb: FramesListener): () => void {
    this.frameListeners.add(cb);
    return () => this.frameListeners.delete(cb);
  }

  /** Subscribes to frame batches read on demand (cheaper to queue); returns the unsubscribe function. */
  onBatches(cb: BatchListener): () => void {
    this.batchListeners.add(cb);
    return () => this.batchListeners.delete(cb);
  }

  /** Subscribes to failures (helper exit, interface gone); returns the unsubscribe function. */
  onError(cb: ErrorListener): () => void {
    this.errorListeners.add(cb);
    return () => this.errorListeners.delete(cb);
  }

  /** The helper's stderr lines and log events (libpcap warnings). */
  onLog(cb: (line: string) => void): () => void {
    this.logListeners.add(cb);
    return () => this.logListeners.delete(cb);
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the helper: closes its stdin (it exits on its own) and waits up to 2 s before killing it. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const child = this.child;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new CaptureFailure('helper-exited', 'The capture helper was shut down.'));
      this.pending.delete(id);
    }
    if (!child) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.stdin.end();
    });
    this.child = null;
  }
}
