/**
 * The "Real peer" side of LabService (issue 7): lab networks (`labnet.*`: a
 * namespace with a real Linux kernel behind a veth pair, with delay and loss
 * by `tc netem` or, where the kernel has no netem, by the virtual host
 * itself) and one virtual host at a time (`vhost.*`) attached to a lab
 * network's outer end or to a named interface. The service starts the
 * kernel's side inside the namespace — a small Node echo peer (`ip netns
 * exec … node`) that listens, or connects to the virtual host — and lets the
 * learner drive the virtual side: connect, listen, send text, close with FIN
 * (shutdown, then close at the peer's end of file) or RST, and inject SYN,
 * FIN or RST numbered from the virtual TCB (RFC 5961 exact, in-window,
 * out-of-window or typed). `vhost.state` answers with a mixed ladder: the
 * engine's events go through the Simulate view's `eventsToRows` (lane A, the
 * virtual host's exact TCB states), and each row's lane-B state is the
 * kernel's as the tracker infers it from the very frame on the wire
 * (`mixKernelStates`), so the two are never confused. Live changes go out as
 * one `vhost.updated` event per ~50 ms at most, never one per packet.
 * Namespaces this service created and every helper process are removed on
 * `vhost.stop`, `labnet.down` and `dispose`. Errors a user can cause are
 * `VhostServiceError`s with a sentence.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { userInfo } from 'node:os';
import type {
  BridgeError,
  CommandArgs,
  CommandName,
  CommandResult,
  LabEvent,
  LabnetInfo,
  LabnetList,
  VhostHostView,
  VhostLogEntry,
  VhostState,
} from '../../src-shared/contract';
import type { SegmentAnalysis, SegmentRow, SessionSummary } from '../../src-shared/session';
import type { TcpState } from '../../src-shared/tcp';
import { CaptureFailure, CaptureHelperClient, type HelperClientOptions } from '../capture/helper-client';
import type { SimEvent, SegmentEvent, Socket, Tcb } from '../engine';
import {
  bare,
  describeLabnet,
  LabNetError,
  labnetDown,
  labnetUnsupported,
  labnetUp,
  listLabnetIndexes,
  spawnInLabnet,
  wantsNetem,
  type LabNetOptions,
  type LabNetwork,
} from '../labnet';
import {
  canonicalIp,
  nameOfAddress,
  VhostError,
  VirtualHost,
  type FrameIo,
  type Impairment,
  type VhostEvent,
  type VListener,
} from '../vhost';
import { eventsToRows, socketLogText, tcbView } from './sim-service';

/** A mistake a user can make with a virtual host or lab network, as a code and a sentence. */
export class VhostServiceError extends Error {
  constructor(
    readonly code: BridgeError['code'],
    message: string,
    /** A capture permission problem: LabService appends the install's capture advice. */
    readonly captureAdvice = false,
  ) {
    super(message);
    this.name = 'VhostServiceError';
  }
}

export type VhostCommand = Extract<CommandName, `vhost.${string}` | `labnet.${string}`>;

export type VhostHandlers = {
  [K in VhostCommand]: (args: CommandArgs<K>) => Promise<CommandResult<K>> | CommandResult<K>;
};

/** The lab-network operations the service uses (unit tests fake them). */
export interface LabnetLayer {
  /** Why lab networks cannot be made here (not Linux, not root), or null. */
  unsupported(): LabNetError | null;
  up(o: LabNetOptions): LabNetwork;
  down(index: number): boolean;
  list(): number[];
  describe(index: number): LabNetwork;
  spawn(lab: Pick<LabNetwork, 'ns'>, argv: readonly string[], opts: SpawnOptions): ChildProcess;
}

export const systemLabnet: LabnetLayer = {
  unsupported: () => labnetUnsupported(),
  up: (o) => labnetUp(o),
  down: (i) => labnetDown(i),
  list: () => listLabnetIndexes(),
  describe: (i) => describeLabnet(i),
  spawn: (lab, argv, opts) => spawnInLabnet(lab, argv, opts),
};

/** A frame source and sink for the virtual host; the service disposes it on stop. */
export type VhostIo = FrameIo & { dispose?(): Promise<void> };

export interface VhostServiceOptions {
  /** Where service events go (LabService's batcher). */
  emit?: (e: LabEvent) => void;
  /** Replaces parts of the lab-network layer (tests). */
  labnet?: Partial<LabnetLayer>;
  /** Builds the virtual host's frame I/O (default: a capture helper client of its own). */
  createIo?: () => VhostIo;
  /** Capture helper settings (path, privilege wrapper) for the default I/O. */
  helper?: HelperClientOptions;
  /** Least milliseconds between two `vhost.updated` events (default 50). */
  updateMs?: number;
  /** How long the kernel peer may take to start listening (default 8 s). */
  kernelTimeoutMs?: number;
}

/* ------------------------------------------------------------------ the mixed ladder */

/** One frame on the wire as the tracker saw it, reduced to what matching and the kernel lane need. */
export interface WireRow {
  fromKernel: boolean;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  /** The kernel's inferred state after this frame. */
  kernelState: TcpState;
  analysis: SegmentAnalysis[];
}

/**
 * Gives each ladder row (lane A the virtual host, lane B the kernel) the
 * kernel's inferred state: the tracker's inference from the same segment on
 * the wire, matched by direction, SEQ, ACK, flags and length in order. A
 * segment the virtual host lost on purpose (impairment) never reached the
 * wire and leaves the kernel as it was; one not on the wire yet (waiting for
 * ARP) does too, and `awaiting` is the first such row (it may still change).
 * The tracker's analysis flags join the row's own — all of them for the
 * kernel's segments, the RST verdicts (exact, in-window, out-of-window) for
 * the virtual host's — and a kernel state change becomes a lane-B change.
 */
export function mixKernelStates(
  rows: SegmentRow[],
  wire: readonly WireRow[],
  initial: TcpState,
): { awaiting: number; kernelState: TcpState } {
  const queues = new Map<string, number[]>();
  const sig = (fromKernel: boolean, seq: number, ack: number, flags: number, len: number): string =>
    `${fromKernel ? 'k' : 'v'}|${seq}|${ack}|${flags}|${len}`;
  wire.forEach((w, i) => {
    const k = sig(w.fromKernel, w.seq, w.ack, w.flags, w.len);
    const q = queues.get(k);
    if (q) q.push(i);
    else queues.set(k, [i]);
  });
  let prev = initial;
  let awaiting = rows.length;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const fromKernel = r.dir === 'ba';
    let w: WireRow | undefined;
    if (fromKernel || !r.dropped) {
      const q = queues.get(sig(fromKernel, r.seq, r.ack, r.flags, r.len));
      const idx = q?.shift();
      if (idx === undefined) awaiting = Math.min(awaiting, i);
      else w = wire[idx];
    }
    const ks = w ? w.kernelState : prev;
    r.changes = (r.changes ?? []).filter((c) => c.side !== 'b');
    if (ks !== prev) r.changes.push({ side: 'b', from: prev, to: ks });
    if (r.changes.length === 0) delete r.changes;
    r.stateB = ks;
    // The kernel's segments take the tracker's whole analysis (challenge ACK, dup ACK …); the virtual
    // host's own keep the engine's (it knows its retransmissions) plus how the kernel's window judges a RST.
    const extra = w ? (fromKernel ? w.analysis : w.analysis.filter((a) => a.startsWith('rst-'))) : [];
    if (extra.length) r.analysis = [...new Set([...r.analysis, ...extra])];
    prev = ks;
  }
  return { awaiting, kernelState: prev };
}

/* ------------------------------------------------------------------ the kernel's side */

/**
 * The kernel peer: one Node process inside the lab namespace with real kernel
 * sockets — an echo server (`listen`) or a client that connects to the
 * virtual host (`connect`); both echo what they read and close their side
 * (FIN) at end of file. It reports what its sockets see as JSON lines.
 */
const KERNEL_PEER = String.raw`
const net = require('node:net');
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
function track(s, role) {
  s.on('data', (d) => { say({ ev: 'data', role, bytes: d.length }); s.write(d); });
  s.on('end', () => { say({ ev: 'end', role }); s.end(); });
  s.on('error', (e) => say({ ev: 'error', role, code: e.code }));
  s.on('close', () => say({ ev: 'close', role }));
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const c = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (c.op === 'listen') {
      const srv = net.createServer({ allowHalfOpen: true }, (s) => {
        say({ ev: 'accept', port: c.port, from: s.remoteAddress, fromPort: s.remotePort });
        track(s, 'server');
      });
      srv.on('error', (e) => say({ ev: 'listen-failed', port: c.port, code: e.code }));
      srv.listen({ port: c.port, host: '::', ipv6Only: false }, () => say({ ev: 'listening', port: c.port }));
    } else if (c.op === 'connect') {
      const s = net.connect({ host: c.host, port: c.port, allowHalfOpen: true });
      s.on('connect', () => say({ ev: 'connected', host: c.host, port: c.port, localPort: s.localPort }));
      track(s, 'client');
    }
  }
});
process.stdin.on('end', () => process.exit(0));
say({ ev: 'ready' });
`;

interface KernelLine {
  ev: string;
  port?: number;
  role?: string;
  bytes?: number;
  code?: string;
  from?: string;
  fromPort?: number;
  host?: string;
  localPort?: number;
}

class KernelPeer {
  readonly lines: KernelLine[] = [];
  readonly listening = new Set<number>();
  stderr = '';
  exited = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly child: ChildProcess,
    private readonly onLine: (l: KernelLine) => void,
  ) {
    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let l: KernelLine;
        try {
          l = JSON.parse(text) as KernelLine;
        } catch {
          continue;
        }
        this.lines.push(l);
        if (l.ev === 'listening' && l.port !== undefined) this.listening.add(l.port);
        this.onLine(l);
        for (const w of [...this.waiters]) w();
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-2000)));
    child.on('error', (e) => {
      this.stderr += e.message;
      this.exited = true;
      for (const w of [...this.waiters]) w();
    });
    child.on('exit', () => {
      this.exited = true;
      for (const w of [...this.waiters]) w();
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin?.write(JSON.stringify(cmd) + '\n');
  }

  /** Resolves with the first line `pred` accepts (seen before or after the call), or null on timeout or exit. */
  waitFor(pred: (l: KernelLine) => boolean, ms: number): Promise<KernelLine | null> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const done = (v: KernelLine | null): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const check = (): void => {
        const l = this.lines.find(pred);
        if (l) done(l);
        else if (this.exited) done(null);
      };
      const timer = setTimeout(() => done(null), ms);
      this.waiters.add(check);
    });
  }

  kill(): void {
    if (this.exited) return;
    this.child.stdin?.end();
    this.child.kill('SIGKILL');
  }
}

/* ------------------------------------------------------------------ the service */

interface Tuple {
  /** The virtual host's port, the kernel's engine name (`10.213.1.2`, `[fd00:…::2]`) and port. */
  lp: number;
  peer: string;
  rp: number;
}

interface Running {
  vh: VirtualHost;
  io: VhostIo;
  lab: LabNetwork | null;
  mode: 'connect' | 'listen' | null;
  listenPort: number | null;
  listener: VListener | null;
  sock: Socket | null;
  tuple: Tuple | null;
  /** Close (release the socket) once the peer's FIN arrives: the second half of "close with FIN". */
  closeOnEof: boolean;
  kernel: KernelPeer | null;
  kernelLog: VhostLogEntry[];
  /** Each event's instant: the time of the first event of its turn of the event loop (see `onVhostEvent`). */
  instants: WeakMap<VhostEvent, number>;
  burst: number | null;
  stopped: boolean;
  unsub: () => void;
}

const MAX_LOG = 400;
const MAX_RECEIVED = 4096;
const SENDING_STATES: readonly TcpState[] = ['ESTABLISHED', 'CLOSE-WAIT'];

function fromLabnet(e: unknown): VhostServiceError {
  if (!(e instanceof LabNetError))
    return new VhostServiceError('internal', String((e as Error)?.message ?? e));
  switch (e.code) {
    case 'permission':
      return new VhostServiceError('permission', permissionSentence(e.message));
    case 'not-linux':
    case 'missing-tool':
      return new VhostServiceError('unavailable', e.message);
    case 'exists':
    case 'not-found':
    case 'bad-option':
      return new VhostServiceError(e.code === 'not-found' ? 'not-found' : 'bad-request', e.message);
    default:
      return new VhostServiceError('unavailable', e.message);
  }
}

function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return 'an unprivileged user';
  }
}

function permissionSentence(detail: string): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  if (uid === 0) return detail;
  return (
    `Lab networks are not permitted here: creating a network namespace needs root (CAP_NET_ADMIN), and ` +
    `TCP Lab runs as ${whoAmI()}. Start it with sudo (sudo tcplab serve), or create one in a terminal ` +
    `with \`sudo tcplab labnet up\` and use \`sudo tcplab vhost\` there.`
  );
}

function captureProblem(e: CaptureFailure, iface: string): VhostServiceError {
  if (e.code === 'permission')
    return new VhostServiceError(
      'permission',
      `The virtual host cannot capture and send on ${iface}: ${e.message}`,
      true,
    );
  if (e.code === 'no-such-interface' || e.code === 'interface-gone')
    return new VhostServiceError('not-found', `There is no interface ${iface}: ${e.message}`);
  return new VhostServiceError('unavailable', `The virtual host cannot use ${iface}: ${e.message}`);
}

export class VhostService {
  private readonly layer: LabnetLayer;
  private readonly emit: (e: LabEvent) => void;
  private run: Running | null = null;
  /** Lab networks this service created, with the impairment asked for. */
  private readonly owned = new Map<number, LabnetInfo['impairment']>();
  private updateTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(private readonly opts: VhostServiceOptions = {}) {
    this.layer = { ...systemLabnet, ...(opts.labnet ?? {}) };
    this.emit = opts.emit ?? (() => {});
  }

  /** The `labnet.*` and `vhost.*` handlers, for LabService's table. */
  handlers(): VhostHandlers {
    return {
      'labnet.list': () => this.labnetList(),
      'labnet.up': ({ delayMs, lossPct }) => this.labnetUp(delayMs ?? 0, lossPct ?? 0),
      'labnet.down': ({ index }) => this.labnetDown(index),
      'vhost.start': (a) => this.start(a),
      'vhost.connect': (a) => this.connect(a.port, a.ipv6 ?? false, a.ip),
      'vhost.listen': ({ port }) => this.listen(port),
      'vhost.kernelConnect': (a) => this.kernelConnect(a.port, a.ipv6 ?? false),
      'vhost.send': ({ text }) => this.send(text),
      'vhost.close': ({ how }) => this.close(how),
      'vhost.inject': ({ flag, seqMode, seq }) => this.inject(flag, seqMode, seq),
      'vhost.state': ({ since }) => this.state(since),
      'vhost.stop': async () => {
        await this.stopVhost();
        return this.state();
      },
    };
  }

  /* ---------------------------------------------------------------- lab networks */

  labnetList(): LabnetList {
    const why = this.layer.unsupported();
    if (why) return { supported: false, reason: fromLabnet(why).message, networks: [] };
    let indexes: number[];
    try {
      indexes = this.layer.list();
    } catch (e) {
      return { supported: false, reason: fromLabnet(e).message, networks: [] };
    }
    return { supported: true, reason: null, networks: indexes.map((i) => this.info(this.layer.describe(i))) };
  }

  private info(n: LabNetwork): LabnetInfo {
    const owned = this.owned.has(n.index);
    return {
      index: n.index,
      ns: n.ns,
      hostIf: n.hostIf,
      nsIf: n.nsIf,
      host: { ...n.host },
      peer: { ...n.peer },
      vhost: { ...n.vhost },
      impairment: this.owned.get(n.index) ?? null,
      owned,
    };
  }

  private labnetUp(delayMs: number, lossPct: number): LabnetInfo {
    const why = this.layer.unsupported();
    if (why) throw fromLabnet(why);
    const netem = { delayMs, lossPct };
    let lab: LabNetwork;
    let by: 'netem' | 'vhost' = 'netem';
    try {
      lab = this.layer.up(netem);
    } catch (e) {
      if (!(e instanceof LabNetError && e.code === 'netem-missing')) throw fromLabnet(e);
      // No sch_netem in this kernel: the virtual host delays and drops frames itself.
      try {
        lab = this.layer.up({});
      } catch (e2) {
        throw fromLabnet(e2);
      }
      by = 'vhost';
    }
    this.owned.set(lab.index, wantsNetem(netem) ? { delayMs, lossPct, by } : null);
    this.labnetChanged();
    return this.info(lab);
  }

  private async labnetDown(index: number): Promise<{ removed: boolean }> {
    const why = this.layer.unsupported();
    if (why) throw fromLabnet(why);
    if (this.run && !this.run.stopped && this.run.lab?.index === index) await this.stopVhost();
    let removed: boolean;
    try {
      removed = this.layer.down(index);
    } catch (e) {
      throw fromLabnet(e);
    }
    this.owned.delete(index);
    this.labnetChanged();
    return { removed };
  }

  private labnetChanged(): void {
    try {
      this.emit({ type: 'labnet.changed', networks: this.labnetList().networks });
    } catch {
      // listing failed: the next labnet.list says why
    }
  }

  /* ---------------------------------------------------------------- the virtual host */

  private async start(a: CommandArgs<'vhost.start'>): Promise<VhostState> {
    let iface: string;
    let addresses: string[];
    let lab: LabNetwork | null = null;
    let impair: Impairment | null = null;
    if (a.labnet !== undefined) {
      if (a.iface !== undefined || a.ip !== undefined)
        throw new VhostServiceError(
          'bad-request',
          'Give a lab network, or an interface and an address, not both.',
        );
      const why = this.layer.unsupported();
      if (why) throw fromLabnet(why);
      let exists: boolean;
      try {
        exists = this.layer.list().includes(a.labnet);
      } catch (e) {
        throw fromLabnet(e);
      }
      if (!exists)
        throw new VhostServiceError(
          'not-found',
          `Lab network ${a.labnet} does not exist: create a lab network first.`,
        );
      lab = this.layer.describe(a.labnet);
      iface = lab.hostIf;
      addresses = [lab.vhost.ipv4, lab.vhost.ipv6];
      const imp = this.owned.get(a.labnet);
      if (imp && imp.by === 'vhost') impair = { delayMs: imp.delayMs, lossPct: imp.lossPct };
    } else if (a.iface !== undefined && a.ip !== undefined) {
      iface = a.iface;
      addresses = a.ip.split(',');
    } else {
      throw new VhostServiceError(
        'bad-request',
        'Pick a lab network to attach the virtual host to, or give an interface and an address (e.g. 10.213.1.3/24).',
      );
    }
    await this.stopVhost();
    const io: VhostIo = this.opts.createIo ? this.opts.createIo() : new CaptureHelperClient(this.opts.helper);
    let vh: VirtualHost;
    try {
      vh = new VirtualHost({ iface, addresses, mac: a.mac, io, impair, name: 'vhost' });
    } catch (e) {
      await io.dispose?.();
      if (e instanceof VhostError) throw new VhostServiceError('bad-request', e.message);
      throw e;
    }
    const run: Running = {
      vh,
      io,
      lab,
      mode: null,
      listenPort: null,
      listener: null,
      sock: null,
      tuple: null,
      closeOnEof: false,
      kernel: null,
      kernelLog: [],
      instants: new WeakMap(),
      burst: null,
      stopped: false,
      unsub: () => {},
    };
    run.unsub = vh.on((ev) => this.onVhostEvent(run, ev));
    this.run = run;
    try {
      await vh.start();
    } catch (e) {
      run.stopped = true;
      run.unsub();
      await vh.stop();
      await io.dispose?.();
      this.run = null;
      if (e instanceof CaptureFailure) throw captureProblem(e, iface);
      if (e instanceof VhostError) throw new VhostServiceError('bad-request', e.message);
      throw e;
    }
    this.scheduleUpdate();
    return this.state();
  }

  private need(): Running {
    const r = this.run;
    if (!r || r.stopped)
      throw new VhostServiceError('bad-request', 'Start the virtual host first ("Start virtual host").');
    return r;
  }

  /** Starts the kernel peer process in the lab namespace (once per virtual host). */
  private kernelPeer(r: Running): KernelPeer {
    if (r.kernel && !r.kernel.exited) return r.kernel;
    const lab = r.lab;
    if (!lab) throw new VhostServiceError('bad-request', 'A kernel peer needs a lab network.');
    let child: ChildProcess;
    try {
      child = this.layer.spawn(lab, [process.execPath, '-e', KERNEL_PEER], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      });
    } catch (e) {
      throw new VhostServiceError(
        'unavailable',
        `The kernel peer cannot start in ${lab.ns}: ${(e as Error).message}`,
      );
    }
    r.kernel = new KernelPeer(child, (l) => this.onKernelLine(r, l));
    return r.kernel;
  }

  private onKernelLine(r: Running, l: KernelLine): void {
    const ns = r.lab?.ns ?? 'the namespace';
    const texts: Record<string, string> = {
      ready: `kernel peer started in ${ns}`,
      listening: `listening on port ${l.port} (a real Linux socket in ${ns})`,
      'listen-failed': `cannot listen on port ${l.port}: ${l.code}`,
      accept: `accepted a connection from ${l.from}:${l.fromPort}`,
      connected: `connected to ${l.host}:${l.port} from port ${l.localPort}`,
      data: `read ${l.bytes} bytes and echoed them`,
      end: 'read end of file: closes its side too (FIN)',
      close: 'socket closed',
      error: `the socket failed: ${l.code}`,
    };
    r.kernelLog.push({
      t: r.vh.now,
      host: 'kernel',
      kind: 'kernel',
      text: `${l.role ? `${l.role}: ` : ''}${texts[l.ev] ?? l.ev}`,
    });
    if (r.kernelLog.length > MAX_LOG) r.kernelLog.splice(0, r.kernelLog.length - MAX_LOG);
    this.scheduleUpdate();
  }

  private async connect(port: number, ipv6: boolean, ip: string | undefined): Promise<VhostState> {
    const r = this.need();
    let peerIp: string;
    if (r.lab) {
      if (ip !== undefined)
        throw new VhostServiceError(
          'bad-request',
          `On lab network ${r.lab.index} the peer is the kernel at ${bare(r.lab.peer.ipv4)}; leave the address out.`,
        );
      const k = this.kernelPeer(r);
      if (!k.listening.has(port)) {
        k.send({ op: 'listen', port });
        const l = await k.waitFor(
          (x) => x.port === port && (x.ev === 'listening' || x.ev === 'listen-failed'),
          this.opts.kernelTimeoutMs ?? 8000,
        );
        if (!l || l.ev !== 'listening')
          throw new VhostServiceError(
            'unavailable',
            `The kernel server in ${r.lab.ns} did not start on port ${port}: ${l?.code ?? (k.stderr.trim() || 'no answer')}.`,
          );
      }
      peerIp = bare(ipv6 ? r.lab.peer.ipv6 : r.lab.peer.ipv4);
    } else {
      if (ip === undefined)
        throw new VhostServiceError(
          'bad-request',
          `Give the address of the peer to connect to on ${r.vh.iface}.`,
        );
      peerIp = ip;
    }
    const v = peerIp.includes(':') ? 6 : 4;
    if (!r.vh.address(v))
      throw new VhostServiceError('bad-request', `The virtual host has no IPv${v} address to connect from.`);
    r.listener?.close();
    r.listener = null;
    r.listenPort = null;
    let sock: Socket;
    try {
      sock = r.vh.connect(peerIp, port);
    } catch (e) {
      throw new VhostServiceError(
        'bad-request',
        `Cannot connect to ${peerIp}:${port}: ${(e as Error).message}`,
      );
    }
    r.mode = 'connect';
    r.sock = sock;
    r.closeOnEof = false;
    r.tuple = { lp: sock.tcb.ends.localPort, peer: sock.tcb.ends.remoteHost, rp: port };
    this.scheduleUpdate();
    return this.state();
  }

  private listen(port: number): VhostState {
    const r = this.need();
    r.listener?.close();
    let l: VListener;
    try {
      l = r.vh.listen(port);
    } catch (e) {
      throw new VhostServiceError('bad-request', `Cannot listen on port ${port}: ${(e as Error).message}`);
    }
    l.onAccept = (s) => {
      if (r.listener !== l) return;
      r.sock = s;
      r.closeOnEof = false;
      r.tuple = { lp: s.tcb.ends.localPort, peer: s.tcb.ends.remoteHost, rp: s.tcb.ends.remotePort };
      this.scheduleUpdate();
    };
    r.listener = l;
    r.mode = 'listen';
    r.listenPort = port;
    r.sock = null;
    r.tuple = null;
    this.scheduleUpdate();
    return this.state();
  }

  private async kernelConnect(port: number | undefined, ipv6: boolean): Promise<VhostState> {
    const r = this.need();
    if (!r.lab)
      throw new VhostServiceError(
        'bad-request',
        'A kernel client runs in a lab network: start the virtual host on one.',
      );
    const p = port ?? r.listenPort;
    if (p === null)
      throw new VhostServiceError('bad-request', 'Listen on a port first, then let the kernel connect.');
    const k = this.kernelPeer(r);
    const ready = await k.waitFor((l) => l.ev === 'ready', this.opts.kernelTimeoutMs ?? 8000);
    if (!ready)
      throw new VhostServiceError(
        'unavailable',
        `The kernel peer did not start in ${r.lab.ns}: ${k.stderr.trim() || 'no answer'}.`,
      );
    k.send({ op: 'connect', host: bare(ipv6 ? r.lab.vhost.ipv6 : r.lab.vhost.ipv4), port: p });
    return this.state();
  }

  /** The current connection's socket (found by its ports in listen mode before accept). */
  private socket(r: Running): Socket {
    if (r.sock) return r.sock;
    const t = this.tuple(r);
    if (t) {
      for (const v of [4, 6] as const) {
        if (!r.vh.address(v)) continue;
        const h = r.vh.host(v);
        const tcb = h.conns.get(`${t.lp}|${t.peer}|${t.rp}`);
        const s = tcb && h.sockets.get(tcb);
        if (s) return s;
      }
    }
    throw new VhostServiceError(
      'bad-request',
      r.mode === 'listen'
        ? 'No connection yet: let the kernel connect first.'
        : 'No connection yet: connect to the kernel first.',
    );
  }

  private send(text: string): VhostState {
    const r = this.need();
    const s = this.socket(r);
    if (!SENDING_STATES.includes(s.state))
      throw new VhostServiceError(
        'bad-request',
        `The connection is ${s.state}: text can be sent in ESTABLISHED or CLOSE-WAIT only.`,
      );
    try {
      s.send(text);
    } catch (e) {
      throw new VhostServiceError('bad-request', `Cannot send: ${(e as Error).message}`);
    }
    return this.state();
  }

  private close(how: 'fin' | 'rst'): VhostState {
    const r = this.need();
    const s = this.socket(r);
    if (s.state === 'CLOSED' || s.state === 'TIME-WAIT')
      throw new VhostServiceError('bad-request', `The connection is ${s.state} already.`);
    try {
      if (how === 'rst') s.abort();
      else if (s.eof || s.state === 'CLOSE-WAIT' || s.state === 'SYN-SENT') s.close();
      else {
        // shutdown(SHUT_WR): the FIN goes at once and the kernel's answer can still be read; the
        // socket is released at its FIN (a full close() would answer late data with RST, as Linux does).
        s.shutdown();
        r.closeOnEof = true;
      }
    } catch (e) {
      throw new VhostServiceError('bad-request', `Cannot close: ${(e as Error).message}`);
    }
    return this.state();
  }

  private inject(
    flag: 'SYN' | 'FIN' | 'RST',
    seqMode: 'exact' | 'in-window' | 'out-of-window' | 'value',
    seq: number | undefined,
  ): VhostState {
    const r = this.need();
    if (seqMode === 'value' && seq === undefined)
      throw new VhostServiceError(
        'bad-request',
        'Type the sequence number to use (0 to 4294967295), or pick exact, in-window or out-of-window.',
      );
    if (seqMode !== 'value' && seq !== undefined)
      throw new VhostServiceError(
        'bad-request',
        `A typed sequence number goes with seqMode "value", not "${seqMode}".`,
      );
    const s = this.socket(r);
    // A bare FIN is dropped by any synchronized TCP (no ACK bit): send FIN,ACK as crafting tools do.
    const flags = flag === 'FIN' ? ['FIN', 'ACK'] : [flag];
    try {
      r.vh.inject({ socket: s, flags, seqMode: seqMode === 'value' ? (seq as number) : seqMode });
    } catch (e) {
      throw new VhostServiceError('bad-request', `Cannot inject: ${(e as Error).message}`);
    }
    return this.state();
  }

  /**
   * Notes the event's instant. The virtual host stamps events with a running
   * wall clock, so a segment and the state change it causes differ by
   * microseconds; the engine handles one frame, timer or call synchronously,
   * so everything emitted before the loop's next check phase is one instant —
   * what `eventsToRows` expects of the simulation's virtual clock.
   */
  private onVhostEvent(r: Running, ev: VhostEvent): void {
    if (r.burst === null) {
      r.burst = ev.t;
      setImmediate(() => (r.burst = null));
    }
    r.instants.set(ev, r.burst);
    if (ev.type === 'socket' && ev.what === 'eof' && r.closeOnEof && r.sock && ev.conn === r.sock.conn) {
      r.closeOnEof = false;
      const s = r.sock;
      // Not from inside the engine's own processing of the FIN.
      setImmediate(() => {
        if (!r.stopped && s.state !== 'CLOSED' && s.state !== 'TIME-WAIT') {
          try {
            s.close();
          } catch {
            // the connection ended meanwhile
          }
        }
      });
    }
    this.scheduleUpdate();
  }

  private async stopVhost(): Promise<void> {
    const r = this.run;
    if (!r || r.stopped) return;
    r.stopped = true;
    r.listener?.close();
    r.kernel?.kill();
    r.unsub();
    try {
      await r.vh.stop();
    } finally {
      await r.io.dispose?.().catch(() => {});
    }
    this.scheduleUpdate();
  }

  /* ---------------------------------------------------------------- state */

  /** The connection shown: the socket's, or in listen mode the newest SYN to the listening port. */
  private tuple(r: Running): Tuple | null {
    if (r.tuple) return r.tuple;
    if (r.mode !== 'listen' || r.listenPort === null) return null;
    const ev = r.vh.events;
    for (let i = ev.length - 1; i >= 0; i--) {
      const e = ev[i];
      if (
        e.type === 'segment' &&
        e.to === r.vh.name &&
        e.dport === r.listenPort &&
        e.flags.includes('SYN') &&
        !e.flags.includes('ACK')
      )
        return { lp: e.dport, peer: e.from, rp: e.sport };
    }
    return null;
  }

  /** The tracker's rows of the connection (every session on its 4-tuple, oldest first), seen from the kernel. */
  private wireRows(
    r: Running,
    t: Tuple,
  ): { wire: WireRow[]; last: SessionSummary | null; kernelIsA: boolean } {
    const kernelIp = canonicalIp(t.peer.replace(/^\[|\]$/g, ''));
    const wire: WireRow[] = [];
    let last: SessionSummary | null = null;
    let kernelIsA = false;
    for (const s of r.vh.tracker.summaries()) {
      const kA = s.a.ip === kernelIp && s.a.port === t.rp && s.b.port === t.lp;
      const kB = s.b.ip === kernelIp && s.b.port === t.rp && s.a.port === t.lp;
      if (!kA && !kB) continue;
      last = s;
      kernelIsA = kA;
      for (const row of r.vh.tracker.segments(s.id)) {
        wire.push({
          fromKernel: (row.dir === 'ab') === kA,
          seq: row.seq,
          ack: row.ack,
          flags: row.flags,
          len: row.len,
          kernelState: kA ? row.stateA : row.stateB,
          analysis: row.analysis,
        });
      }
    }
    return { wire, last, kernelIsA };
  }

  /** The kernel before the first segment: a server we connect to listens (the tracker presumes so too). */
  private initialKernelState(r: Running): TcpState {
    return r.mode === 'connect' ? 'LISTEN' : 'CLOSED';
  }

  private tcbOf(r: Running, t: Tuple | null): Tcb | null {
    if (r.sock) return r.sock.tcb;
    if (!t) return null;
    for (const v of [4, 6] as const) {
      if (!r.vh.address(v)) continue;
      const tcb = r.vh.host(v).conns.get(`${t.lp}|${t.peer}|${t.rp}`);
      if (tcb) return tcb;
    }
    return null;
  }

  state(since?: number): VhostState {
    const r = this.run;
    if (!r) {
      return {
        running: false,
        iface: null,
        mac: null,
        addresses: [],
        labnet: null,
        mode: null,
        listenPort: null,
        now: 0,
        endpoints: null,
        laneHosts: null,
        virtual: null,
        kernel: null,
        rowCount: 0,
        rowsOffset: 0,
        rowsSettled: 0,
        rows: [],
        log: [],
        received: '',
        errors: [],
      };
    }
    const vh = r.vh;
    const t = this.tuple(r);
    let rows: SegmentRow[] = [];
    let settled = 0;
    let kernelState: TcpState = this.initialKernelState(r);
    if (t) {
      const own = vh.name;
      const conn = `${own}:${t.lp}-${t.peer}:${t.rp}`;
      const picked: SimEvent[] = [];
      for (const e of vh.events) {
        const at = r.instants.get(e) ?? e.t;
        if (e.type === 'segment') {
          const out = e.from === own && e.sport === t.lp && e.to === t.peer && e.dport === t.rp;
          const inn = e.to === own && e.dport === t.lp && e.from === t.peer && e.sport === t.rp;
          if (!out && !inn) continue;
          // The virtual host cannot see when the kernel gets a segment: on a veth, at once.
          const arrive = e.dropped ? null : out ? at : e.arrive === null ? null : at;
          picked.push({ ...e, t: at, arrive } as SegmentEvent);
        } else if (e.type === 'state' && !('inferred' in e) && e.host === own) {
          if (e.conn === conn || e.conn === `${own}:${t.lp}`) picked.push({ ...e, t: at });
        }
      }
      const res = eventsToRows(picked, { a: own, b: t.peer }, vh.now, true);
      rows = res.rows;
      const { wire, last, kernelIsA } = this.wireRows(r, t);
      const mixed = mixKernelStates(rows, wire, this.initialKernelState(r));
      settled = Math.min(res.unsettled, mixed.awaiting);
      kernelState = last ? (kernelIsA ? last.states.a : last.states.b) : mixed.kernelState;
    }
    const rowsOffset = Math.min(since ?? 0, settled, rows.length);
    const v = t ? (t.peer.startsWith('[') ? 6 : 4) : vh.address(4) ? 4 : 6;
    const ownIp = vh.address(v) ?? vh.addresses[0]?.ip ?? '';
    const peerIp = t
      ? t.peer.replace(/^\[|\]$/g, '')
      : r.lab
        ? bare(v === 6 ? r.lab.peer.ipv6 : r.lab.peer.ipv4)
        : '';
    const tcb = this.tcbOf(r, t);
    const listening = r.listenPort !== null && r.listener ? [r.listenPort] : [];
    const sockets = [4, 6].flatMap((x) => (vh.address(x as 4 | 6) ? vh.host(x as 4 | 6).allSockets() : []));
    const virtual: VhostHostView = {
      role: 'virtual',
      inferred: false,
      name: vh.name,
      ip: ownIp,
      port: t?.lp ?? r.listenPort,
      state: tcb ? tcb.state : listening.length ? 'LISTEN' : 'CLOSED',
      conn: tcb ? tcb.conn : null,
      tcb: tcb ? tcbView(tcb) : null,
      listening,
      connections: sockets.map((k) => ({ conn: k.conn, state: k.state })),
    };
    const kernelPort = t?.rp ?? null;
    const kernel: VhostHostView = {
      role: 'kernel',
      inferred: true,
      name: t?.peer ?? (peerIp ? nameOfAddress(peerIp) : 'kernel'),
      ip: peerIp,
      port: kernelPort,
      state: kernelState,
      conn: t ? `${t.peer}:${t.rp}-${vh.name}:${t.lp}` : null,
      tcb: null,
      listening: r.kernel ? [...r.kernel.listening] : [],
      connections: [],
    };
    const received = r.sock ? new TextDecoder().decode(r.sock.data().subarray(0, MAX_RECEIVED)) : '';
    return {
      running: !r.stopped,
      iface: vh.iface,
      mac: vh.mac,
      addresses: vh.addresses.map((a) => `${a.ip}/${a.prefix}`),
      labnet: r.lab?.index ?? null,
      mode: r.mode,
      listenPort: r.listenPort,
      now: vh.now,
      endpoints: t ? { a: { ip: ownIp, port: t.lp }, b: { ip: peerIp, port: t.rp } } : null,
      laneHosts: t ? { a: vh.name, b: t.peer } : null,
      virtual,
      kernel,
      rowCount: rows.length,
      rowsOffset,
      rowsSettled: settled,
      rows: rowsOffset === 0 ? rows : rows.slice(rowsOffset),
      log: this.log(r),
      received,
      errors: [...vh.errors],
    };
  }

  private log(r: Running): VhostLogEntry[] {
    const out: VhostLogEntry[] = [];
    for (const e of r.vh.events) {
      if (e.type === 'state') {
        const inferred = 'inferred' in e;
        out.push({
          t: e.t,
          host: e.host,
          kind: inferred ? 'inferred' : 'state',
          text: inferred
            ? `${e.conn}: ${e.from} → ${e.to} (inferred from the wire)`
            : `${e.conn}: ${e.from} → ${e.to}: ${e.reason}`,
        });
      } else if (e.type === 'note') {
        out.push({
          t: e.t,
          host: e.host,
          kind: e.rule === 'error' ? 'error' : 'note',
          text: e.text,
          rfc: e.rfc,
        });
      } else if (e.type === 'socket') {
        out.push({ t: e.t, host: e.host, kind: 'socket', text: socketLogText(e) });
      } else if (e.type === 'neighbor') {
        out.push({ t: e.t, host: e.host, kind: 'neighbor', text: e.text });
      }
    }
    out.push(...r.kernelLog);
    out.sort((x, y) => x.t - y.t);
    return out.length > MAX_LOG ? out.slice(out.length - MAX_LOG) : out;
  }

  /** One `vhost.updated` per `updateMs` at most, however many packets arrive. */
  private scheduleUpdate(): void {
    if (this.updateTimer !== null || this.disposed) return;
    this.updateTimer = setTimeout(() => {
      this.updateTimer = null;
      const r = this.run;
      if (!r) return;
      const t = this.tuple(r);
      let count = 0;
      if (t)
        for (const e of r.vh.events)
          if (
            e.type === 'segment' &&
            ((e.sport === t.lp && e.dport === t.rp) || (e.sport === t.rp && e.dport === t.lp))
          )
            count++;
      const tcb = this.tcbOf(r, t);
      let kernel: TcpState | null = null;
      if (t) {
        const { last, kernelIsA } = this.wireRows(r, t);
        kernel = last ? (kernelIsA ? last.states.a : last.states.b) : null;
      }
      this.emit({
        type: 'vhost.updated',
        running: !r.stopped,
        rowCount: count,
        virtual: tcb ? tcb.state : null,
        kernel,
      });
    }, this.opts.updateMs ?? 50);
  }

  /** Stops the virtual host and the kernel peer, and removes the lab networks this service made. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.updateTimer !== null) clearTimeout(this.updateTimer);
    this.updateTimer = null;
    const r = this.run;
    if (r && !r.stopped) {
      r.stopped = true;
      r.listener?.close();
      r.kernel?.kill();
      r.unsub();
      void r.vh
        .stop()
        .catch(() => {})
        .then(() => r.io.dispose?.())
        .catch(() => {});
    }
    for (const index of this.owned.keys()) {
      try {
        this.layer.down(index);
      } catch {
        // gone already, or not permitted any more: nothing else to do on the way out
      }
    }
    this.owned.clear();
  }
}
