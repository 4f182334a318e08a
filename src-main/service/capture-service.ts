/**
 * The capture side of the LabService: the `capture.*` commands behind the
 * Capture view. It keeps one capture helper client for the service's life,
 * runs one LiveCapture at a time (helper → decoder → tracker, written to a
 * pcapng file as it runs, flushed every second), and turns its packets into
 * batched `capture.*` events on a ~50 ms tick — changed session summaries,
 * the new ladder rows of the one followed session (bounded per tick: when a
 * session outruns the view the tail wins and the store starts a fresh
 * window), the counters — never one message per packet; pausing the drawing
 * stops rows and summaries but not the capture. It starts the loopback lab
 * targets (echo/HTTP servers, clients that close, abort, hold or hit a closed
 * port) and reports what their sockets saw as `capture.socket` events, and
 * injects SYN/FIN/RST into sessions of the running capture through the
 * Injector and its policy (allowed interfaces, confirmation, audit log in the
 * data directory), marking the injected segment and the reaction on the
 * ladder. Failures a user can cause become a `CaptureServiceError` with a
 * code and a sentence that says what to do.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import {
  MAX_UPLOAD_BASE64,
  type CaptureCounters,
  type CaptureInterfaceInfo,
  type CaptureStatus,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type ErrorCode,
  type FileSummary,
  type InjectReport,
  type LabEvent,
  type LabSocketReport,
  type LabTargetAction,
  type LabTargetInfo,
} from '../../src-shared/contract';
import type { SegmentRow } from '../../src-shared/session';
import {
  CaptureFailure,
  CaptureHelperClient,
  LiveCapture,
  runLabClient,
  startLabServer,
  type HelperClientOptions,
  type LabServer,
  type LivePacket,
  type ObservedSocket,
} from '../capture';
import {
  DEFAULT_ALLOWED_INTERFACES,
  InjectionPolicy,
  InjectionRefused,
  Injector,
  interfaceAllowed,
  PlanError,
  type InjectResult,
} from '../inject';

/** Snap length for "whole frames": the largest frame libpcap captures on any link (as tcpdump -s 0). */
const WHOLE_FRAME_SNAPLEN = 262_144;

/** Where TCP Lab keeps its audit log and captures: $TCPLAB_DATA_DIR, else ~/.tcplab. */
export function defaultDataDir(): string {
  return process.env.TCPLAB_DATA_DIR || join(homedir(), '.tcplab');
}

export type CaptureCommandName = Extract<CommandName, `capture.${string}`>;
export type CaptureHandlers = {
  [K in CaptureCommandName]: (args: CommandArgs<K>) => Promise<CommandResult<K>> | CommandResult<K>;
};

/** A failure a user can cause, with the reply's error code and a sentence. */
export class CaptureServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureServiceError';
  }
}

export interface CaptureServiceOptions {
  /** Where events go (the service's EventBatcher). */
  emit: (e: LabEvent) => void;
  /** Opens a capture file as a Files entry (LabService.openPath). */
  openFile: (path: string) => FileSummary;
  /** Audit log and captures live here (default `defaultDataDir()`). */
  dataDir?: string;
  helper?: HelperClientOptions;
  /** Builds the helper client (tests pass a fake). */
  createClient?: () => CaptureHelperClient;
  /** Interfaces injection may use (default lo and tcplab* lab links). */
  allowedInterfaces?: readonly string[];
  /** Event tick in ms (default 50). */
  tickMs?: number;
  /** Rows of the followed session sent per tick at most (default 2,000). */
  maxRowsPerTick?: number;
  /** Stop the capture when this many segments are kept in memory (default 2,000,000). */
  maxSegments?: number;
}

const MAX_SUMMARIES_PER_TICK = 1000;
const LAB_HOST = '127.0.0.1';

function zeroCounters(): CaptureCounters {
  return { seen: 0, decoded: 0, malformed: 0, shown: 0, dropped: 0 };
}

function fromFailure(e: CaptureFailure): CaptureServiceError {
  const code: ErrorCode =
    e.code === 'bad-filter'
      ? 'bad-filter'
      : e.code === 'permission'
        ? 'permission'
        : e.code === 'no-such-interface'
          ? 'not-found'
          : e.code === 'send-refused'
            ? 'refused'
            : e.code === 'bad-request'
              ? 'bad-request'
              : 'unavailable';
  return new CaptureServiceError(code, e.message);
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A TCP port on 127.0.0.1 where nothing listens right now. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, LAB_HOST, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class CaptureService {
  private client: CaptureHelperClient | null = null;
  private capture: LiveCapture | null = null;
  private injector: Injector | null = null;
  private readonly policy: InjectionPolicy;
  private readonly dataDir: string;
  private captureId = 0;
  private iface: string | null = null;
  private filter = '';
  private file: string | null = null;
  private ended: string | null = null;
  private paused = false;
  private following: number | null = null;
  private shown = 0;
  private dropped = 0;
  private pendingRows: SegmentRow[] = [];
  /** Rows of the followed session skipped because the view fell behind. */
  private readonly changed = new Set<number>();
  private tick: NodeJS.Timeout | null = null;
  private statsTick: NodeJS.Timeout | null = null;
  private lastCounters = '';
  private unsubscribe: Array<() => void> = [];
  private readonly servers = new Map<'echo' | 'http', LabServer>();
  private readonly held = new Set<ObservedSocket>();
  /** Injected segments seen in the capture: key → [sessionId, row]. */
  private readonly injectedRows = new Map<string, { sessionId: number; row: SegmentRow }>();
  private disposed = false;

  constructor(private readonly o: CaptureServiceOptions) {
    this.dataDir = o.dataDir ?? defaultDataDir();
    this.policy = new InjectionPolicy({
      allowedInterfaces: o.allowedInterfaces ?? DEFAULT_ALLOWED_INTERFACES,
      auditLog: join(this.dataDir, 'inject-audit.jsonl'),
    });
  }

  /** The bridge handlers for every `capture.*` command. */
  handlers(): CaptureHandlers {
    return {
      'capture.interfaces': () => this.interfaces(),
      'capture.start': (a) => this.start(a.iface, a.filter ?? '', a.wholeFrames ?? false),
      'capture.stop': () => this.stop(),
      'capture.pause': () => this.setPaused(true),
      'capture.resume': () => this.setPaused(false),
      'capture.status': () => this.status(),
      'capture.sessions': () => this.current().tracker.summaries(),
      'capture.segments': ({ sessionId, offset = 0, limit = 200_000 }) => {
        const t = this.current().tracker;
        if (!t.summary(sessionId))
          throw new CaptureServiceError('not-found', `Session ${sessionId} is not in this capture.`);
        const all = t.segments(sessionId);
        return { total: all.length, offset, rows: all.slice(offset, offset + limit) };
      },
      'capture.follow': ({ sessionId }) => {
        this.following = sessionId ?? null;
        this.pendingRows = [];
        return { following: this.following };
      },
      'capture.reopen': () => this.reopen(),
      'capture.download': () => this.download(),
      'capture.target.start': ({ kind }) => this.startTarget(kind),
      'capture.target.stop': () => this.stopTargets(),
      'capture.target.client': ({ port, action }) => this.runClient(action, port),
      'capture.inject': (a) =>
        this.inject(a.sessionId, a.flag, a.toward, a.seq ?? 'exact', a.confirm, a.timeoutMs),
    };
  }

  private helper(): CaptureHelperClient {
    if (!this.client) {
      this.client = this.o.createClient ? this.o.createClient() : new CaptureHelperClient(this.o.helper);
      this.client.onLog((line) => {
        if (/warning|error/i.test(line)) this.o.emit({ type: 'log', level: 'warn', message: line });
      });
    }
    return this.client;
  }

  private current(): LiveCapture {
    if (!this.capture) {
      throw new CaptureServiceError('not-found', 'No capture yet: choose an interface and start one.');
    }
    return this.capture;
  }

  async interfaces(): Promise<CaptureInterfaceInfo[]> {
    let list;
    try {
      list = await this.helper().listInterfaces();
    } catch (e) {
      if (e instanceof CaptureFailure) throw fromFailure(e);
      throw e;
    }
    return list.map((d) => ({
      name: d.name,
      description: d.description,
      loopback: d.loopback,
      addresses: d.addresses.map((a) => a.addr).filter((a) => typeof a === 'string' && a !== ''),
      injectAllowed: interfaceAllowed(d.name, this.policy.allowedInterfaces),
    }));
  }

  status(): CaptureStatus {
    const c = this.capture;
    return {
      id: this.captureId,
      state: c === null ? 'idle' : c.isRunning ? 'running' : 'stopped',
      iface: this.iface,
      filter: this.filter,
      linkTypeName: c?.opened?.linkTypeName ?? null,
      paused: this.paused,
      file: this.file,
      injectAllowed: this.iface !== null && interfaceAllowed(this.iface, this.policy.allowedInterfaces),
      counters: this.counters(),
      ended: this.ended,
      following: this.following,
    };
  }

  private counters(): CaptureCounters {
    const c = this.capture?.counters;
    if (!c) return zeroCounters();
    return {
      seen: c.seen,
      decoded: c.decoded,
      malformed: c.malformed,
      shown: this.shown,
      dropped: this.dropped,
    };
  }

  async start(iface: string, filter: string, wholeFrames = false): Promise<CaptureStatus> {
    if (this.capture?.isRunning) await this.stop();
    const dir = join(this.dataDir, 'captures');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `capture-${stamp(new Date())}-${iface.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`);
    const capture = new LiveCapture({
      iface,
      filter,
      client: this.helper(),
      write: file,
      keepSegments: true,
      snaplen: wholeFrames ? WHOLE_FRAME_SNAPLEN : undefined,
    });
    try {
      await capture.start();
    } catch (e) {
      if (e instanceof CaptureFailure) {
        const err = fromFailure(e);
        this.o.emit({ type: 'capture.error', message: err.message });
        throw err;
      }
      throw e;
    }
    this.teardownCapture();
    this.capture = capture;
    this.captureId++;
    this.iface = iface;
    this.filter = filter;
    this.file = file;
    this.ended = null;
    this.paused = false;
    this.following = null;
    this.shown = 0;
    this.dropped = 0;
    this.pendingRows = [];
    this.changed.clear();
    this.injectedRows.clear();
    this.lastCounters = '';
    if (interfaceAllowed(iface, this.policy.allowedInterfaces)) {
      // Created now so its flow book sees every packet of the capture.
      this.injector = new Injector(capture, this.policy);
    }
    this.unsubscribe.push(capture.onPacket((lp) => this.onPacket(lp)));
    this.unsubscribe.push(capture.onError((e) => this.o.emit({ type: 'capture.error', message: e.message })));
    const id = this.captureId;
    void capture.done.then((r) => {
      if (this.captureId !== id || this.disposed) return;
      this.dropped = r.dropped;
      if (r.error) this.ended = r.error;
      else if (this.ended === null) this.ended = r.ended;
      this.stopTicks();
      this.flush();
      this.o.emit({ type: 'capture.status', status: this.status() });
    });
    const tickMs = this.o.tickMs ?? 50;
    this.tick = setInterval(() => this.flush(), tickMs);
    this.statsTick = setInterval(() => void this.pollStats(), 1000);
    this.o.emit({ type: 'capture.status', status: this.status() });
    return this.status();
  }

  private async pollStats(): Promise<void> {
    const c = this.capture;
    if (!c?.isRunning) return;
    try {
      this.dropped = (await c.stats()).dropped;
    } catch {
      // the helper went away; the capture's error says so
    }
  }

  private onPacket(lp: LivePacket): void {
    const { sessionId, row } = lp;
    if (row && this.injector?.isInjected(lp.packet)) {
      row.injected = true;
      const p = lp.packet;
      this.injectedRows.set(`${p.src}|${p.srcPort}|${p.seq}|${p.flags}`, { sessionId, row });
    }
    this.changed.add(sessionId);
    if (!this.paused && row && sessionId === this.following) this.pendingRows.push(row);
  }

  /** One tick: counters, changed sessions, and the followed session's new rows. */
  flush(): void {
    const c = this.capture;
    if (!c) return;
    const limit = this.o.maxSegments ?? 2_000_000;
    if (c.isRunning && c.counters.decoded >= limit) {
      this.ended =
        `The capture stopped after ${limit.toLocaleString('en')} segments, as many as the view keeps in memory; ` +
        'use a narrower filter, or `tcplab capture --write FILE.pcapng` for long captures.';
      this.o.emit({ type: 'capture.error', message: this.ended });
      void this.stop();
    }
    if (!this.paused) {
      if (this.changed.size > 0) {
        const t = c.tracker;
        const sessions = [];
        for (const id of this.changed) {
          const s = t.summary(id);
          if (s) sessions.push(s);
          this.changed.delete(id);
          if (sessions.length >= MAX_SUMMARIES_PER_TICK) break;
        }
        if (sessions.length) this.o.emit({ type: 'capture.sessions', sessions });
      }
      if (this.pendingRows.length > 0 && this.following !== null) {
        const max = this.o.maxRowsPerTick ?? 2000;
        // When the session outruns the view, the tail wins: the store sees the gap and starts afresh.
        const rows = this.pendingRows.length > max ? this.pendingRows.slice(-max) : this.pendingRows;
        this.pendingRows = [];
        this.shown += rows.length;
        this.o.emit({ type: 'capture.rows', sessionId: this.following, rows });
      }
    }
    const counters = this.counters();
    const key = `${counters.seen},${counters.decoded},${counters.malformed},${counters.shown},${counters.dropped}`;
    if (key !== this.lastCounters) {
      this.lastCounters = key;
      this.o.emit({ type: 'capture.counters', ...counters });
    }
  }

  private stopTicks(): void {
    if (this.tick) clearInterval(this.tick);
    if (this.statsTick) clearInterval(this.statsTick);
    this.tick = this.statsTick = null;
  }

  private teardownCapture(): void {
    this.stopTicks();
    for (const u of this.unsubscribe.splice(0)) u();
    this.injector?.dispose();
    this.injector = null;
  }

  async stop(): Promise<CaptureStatus> {
    const c = this.capture;
    if (c?.isRunning) {
      this.ended = 'stopped';
      const r = await c.stop();
      this.dropped = r.dropped;
      this.stopTicks();
      this.flush();
      this.o.emit({ type: 'capture.status', status: this.status() });
    }
    return this.status();
  }

  setPaused(paused: boolean): CaptureStatus {
    if (this.paused !== paused) {
      this.paused = paused;
      this.pendingRows = [];
      this.o.emit({ type: 'capture.status', status: this.status() });
    }
    return this.status();
  }

  private savedFile(): string {
    if (!this.file || !existsSync(this.file)) {
      throw new CaptureServiceError('not-found', 'No saved capture yet: start a capture first.');
    }
    if (this.capture?.isRunning) {
      throw new CaptureServiceError(
        'unavailable',
        'The capture is still being written: stop it first, then open or download it.',
      );
    }
    return this.file;
  }

  reopen(): FileSummary {
    return this.o.openFile(this.savedFile());
  }

  download(): { name: string; data: string } {
    const path = this.savedFile();
    if (Math.ceil(statSync(path).size / 3) * 4 > MAX_UPLOAD_BASE64) {
      throw new CaptureServiceError(
        'unavailable',
        `The capture is too large to download here; it is saved as ${path}.`,
      );
    }
    return { name: basename(path), data: readFileSync(path).toString('base64') };
  }

  /* ------------------------------------------------------------------ lab targets */

  async startTarget(kind: 'echo' | 'http'): Promise<LabTargetInfo> {
    const running = this.servers.get(kind);
    if (running) return { kind, host: running.host, port: running.port };
    let server: LabServer | null = null;
    server = await startLabServer({
      host: LAB_HOST,
      mode: kind,
      onConnection: (obs) => this.watchSocket(obs, 'server', () => server?.port ?? 0),
    });
    this.servers.set(kind, server);
    return { kind, host: server.host, port: server.port };
  }

  async stopTargets(): Promise<{ stopped: number }> {
    const n = this.servers.size;
    for (const s of this.held) s.socket.destroy();
    this.held.clear();
    await Promise.all([...this.servers.values()].map((s) => s.close()));
    this.servers.clear();
    return { stopped: n };
  }

  private report(
    obs: ObservedSocket,
    role: 'client' | 'server',
    port: number,
    action?: LabTargetAction,
  ): LabSocketReport {
    return {
      role,
      ...(action ? { action } : {}),
      host: LAB_HOST,
      port,
      localPort: role === 'client' ? obs.localPort : obs.remotePort,
      connected: obs.saw('connect') || role === 'server',
      received: obs.received,
      saw: role === 'server' ? ['accept', obs.describe()].filter(Boolean).join(', ') : obs.describe(),
      events: obs.events.map((e) => ({ ...e })),
      open: !obs.socket.destroyed,
    };
  }

  /** Emits a `capture.socket` event whenever the socket sees something decisive. */
  private watchSocket(
    obs: ObservedSocket,
    role: 'client' | 'server',
    port: () => number,
    action?: LabTargetAction,
  ): void {
    const send = (): void => {
      if (!this.disposed)
        this.o.emit({ type: 'capture.socket', report: this.report(obs, role, port(), action) });
    };
    for (const ev of ['end', 'error', 'close']) obs.socket.on(ev, send);
    if (role === 'server') send();
    obs.socket.on('close', () => this.held.delete(obs));
  }

  async runClient(action: LabTargetAction, port?: number): Promise<LabSocketReport> {
    const ours = [...this.servers.values()].map((s) => s.port);
    let target: number;
    if (action === 'refused') {
      if (port !== undefined && ours.includes(port)) {
        throw new CaptureServiceError(
          'bad-request',
          `Port ${port} is a running lab target: a refused connection needs a closed port (leave the port out to pick one).`,
        );
      }
      target = port ?? (await closedPort());
    } else {
      if (ours.length === 0) {
        throw new CaptureServiceError('not-found', 'Start a lab target (echo or HTTP server) first.');
      }
      target = port ?? ours[0];
      if (!ours.includes(target)) {
        throw new CaptureServiceError(
          'bad-request',
          `Port ${target} is not a lab target: the lab client connects only to ${ours.join(', ')} on ${LAB_HOST}.`,
        );
      }
    }
    const kind = [...this.servers.entries()].find(([, s]) => s.port === target)?.[0];
    const payload =
      action === 'refused' ? '' : kind === 'http' ? `GET / HTTP/1.1\r\nHost: ${LAB_HOST}\r\n\r\n` : 'hello\n';
    const r = await runLabClient({ host: LAB_HOST, port: target, action, payload, timeoutMs: 5000 });
    if (action === 'refused' && r.connected) r.socket.socket.destroy();
    if (action === 'hold' && !r.socket.socket.destroyed) {
      this.held.add(r.socket);
      this.watchSocket(r.socket, 'client', () => target, action);
    }
    return this.report(r.socket, 'client', target, action);
  }

  /* ------------------------------------------------------------------ injection */

  async inject(
    sessionId: number,
    flag: 'SYN' | 'FIN' | 'RST',
    toward: 'a' | 'b',
    seq: 'exact' | 'in-window' | 'out-of-window' | number,
    confirm: boolean,
    timeoutMs?: number,
  ): Promise<InjectReport> {
    const c = this.capture;
    if (!c?.isRunning) {
      throw new CaptureServiceError(
        'unavailable',
        'Start a capture that shows the session before injecting.',
      );
    }
    const s = c.tracker.summary(sessionId);
    if (!s) throw new CaptureServiceError('not-found', `Session ${sessionId} is not in this capture.`);
    if (!this.injector) {
      throw new CaptureServiceError(
        'refused',
        `Injection on ${this.iface} is not allowed: only ${this.policy.allowedInterfaces.join(', ')} are ` +
          '(loopback and the lab’s own network namespaces). Capture on one of those to inject.',
      );
    }
    let r: InjectResult;
    try {
      r = await this.injector.inject({
        session: { a: s.a, b: s.b },
        flag: flag.toLowerCase() as 'syn' | 'fin' | 'rst',
        toward,
        seq,
        confirm,
        timeoutMs: timeoutMs ?? 2000,
      });
    } catch (e) {
      if (e instanceof InjectionRefused) throw new CaptureServiceError('refused', e.message);
      if (e instanceof PlanError) throw new CaptureServiceError('bad-request', e.message);
      if (e instanceof CaptureFailure) throw fromFailure(e);
      throw e;
    }
    this.annotate(r);
    const seg = (x: InjectResult['sent']) => ({
      src: x.src,
      srcPort: x.srcPort,
      dst: x.dst,
      dstPort: x.dstPort,
      seq: x.seq,
      ack: x.ack,
      flags: x.flags,
      flagsText: x.flagsText,
      window: x.window,
      offset: x.offset,
      rcvNxt: x.rcvNxt,
      bytes: x.bytes,
    });
    return {
      sessionId,
      sent: seg(r.sent),
      method: r.method,
      reaction: r.reaction,
      explain: r.explain,
      observedText: r.observedText,
      observed: r.observed,
      ...(r.learnedWith ? { learnedWith: seg(r.learnedWith) } : {}),
      ...(r.probe ? { probe: { ...seg(r.probe), answer: r.probe.answer } } : {}),
    };
  }

  /** Puts the explanation on the injected rows and the reaction's row, and re-sends them to a following view. */
  private annotate(r: InjectResult): void {
    const touched = new Map<number, SegmentRow[]>();
    const mark = (
      x: { src: string; srcPort: number; seq: number; flags: number },
      text: string,
      rule: string,
    ) => {
      const hit = this.injectedRows.get(`${x.src}|${x.srcPort}|${x.seq}|${x.flags}`);
      if (!hit) return null;
      hit.row.explain = { rule, rfc: 'RFC 9293 §3.10.7.4, RFC 5961', text };
      const list = touched.get(hit.sessionId) ?? [];
      list.push(hit.row);
      touched.set(hit.sessionId, list);
      return hit;
    };
    if (r.learnedWith) {
      mark(r.learnedWith, 'A SYN to learn the numbers (killcx): the answer is a challenge ACK.', 'learn');
    }
    const hit = mark(r.sent, r.explain, 'inject');
    if (r.probe) mark(r.probe, `A probe after a silent RST: answered ${r.probe.answer}.`, 'probe');
    if (hit && this.capture) {
      const rows = this.capture.tracker.segments(hit.sessionId);
      const first = r.observed[0];
      if (first) {
        const answer = rows.find(
          (x) =>
            x.index > hit.row.index &&
            x.dir === first.dir &&
            x.seq === first.seq &&
            x.ack === first.ack &&
            !x.injected,
        );
        if (answer) {
          answer.explain = { rule: 'reaction', rfc: 'RFC 9293 §3.10.7.4, RFC 5961', text: r.observedText };
          touched.get(hit.sessionId)!.push(answer);
        }
      }
    }
    if (this.paused) return;
    for (const [sessionId, rows] of touched) {
      if (sessionId === this.following) {
        rows.sort((x, y) => x.index - y.index);
        this.o.emit({ type: 'capture.rows', sessionId, rows });
      }
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.teardownCapture();
    try {
      if (this.capture?.isRunning) await this.capture.stop();
    } catch {
      // the helper is gone already
    }
    await this.stopTargets().catch(() => undefined);
    await this.client?.dispose();
    this.client = null;
  }
}
