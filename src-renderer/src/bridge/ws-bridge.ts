/**
 * The `LabBridge` over web mode's WebSocket (`/ws?token=…`, same origin as the
 * page). Each `invoke` sends one `ClientMessage` `{t:'invoke', id, name, args}`
 * and resolves with the `reply` that carries the same id; `events` messages
 * fan out to subscribers. While the socket is down every call resolves at once
 * with an `unavailable` error reply (errors are data, nothing throws), calls
 * in flight when it drops get the same, and the bridge reconnects with
 * backoff, telling subscribers through ordinary `log` events. Calls made while
 * the first connection is still opening wait for it (up to `connectTimeoutMs`).
 * The socket comes from a factory so tests can hand in a fake; this module
 * touches no DOM globals itself.
 */
import type {
  BridgeError,
  CommandArgs,
  CommandName,
  CommandResult,
  EventListener,
  LabBridge,
  LabEvent,
  Reply,
  ServerMessage,
} from '../../../src-shared/contract';

/** The part of the browser's WebSocket this bridge uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface WsBridgeOptions {
  /** Makes a socket; defaults to the global WebSocket. */
  socket?: SocketFactory;
  /** How long a call waits for a connection that is still opening. */
  connectTimeoutMs?: number;
  /** Reconnect delays grow from the first to the last, then stay there. */
  reconnectDelaysMs?: number[];
  /** Timer functions (tests pass fakes). */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

const OPEN = 1;

const UNAVAILABLE: BridgeError = {
  code: 'unavailable',
  message:
    'TCP Lab is not connected: the page lost its connection to the lab service. It reconnects by itself; if it does not, restart `tcplab serve` and reload the page.',
};

function defaultSocket(url: string): SocketLike {
  const Ctor = (globalThis as unknown as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (!Ctor) throw new Error('this browser has no WebSocket');
  return new Ctor(url);
}

function isServerMessage(v: unknown): v is ServerMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as { t?: unknown; id?: unknown; reply?: unknown; batch?: unknown };
  if (m.t === 'reply') return typeof m.id === 'number' && typeof m.reply === 'object' && m.reply !== null;
  if (m.t === 'events') return Array.isArray(m.batch);
  return false;
}

export class WsBridge implements LabBridge {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply<unknown>) => void>();
  private readonly waiting = new Set<() => void>();
  private readonly listeners = new Set<EventListener>();
  private attempt = 0;
  private everOpened = false;
  private wasOpen = false;
  private reconnectTimer: unknown = null;
  private closed = false;
  private readonly makeSocket: SocketFactory;
  private readonly connectTimeoutMs: number;
  private readonly delays: number[];
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly url: string,
    opts: WsBridgeOptions = {},
  ) {
    this.makeSocket = opts.socket ?? defaultSocket;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.delays = opts.reconnectDelaysMs ?? [250, 500, 1000, 2000, 5000];
    this.setTimer = opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this.clearTimer =
      opts.clearTimeout ?? ((h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
    this.connect();
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  invoke<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Reply<CommandResult<K>>> {
    if (this.connected) return this.send(name, args);
    if (this.closed || this.everOpened) {
      this.reconnectSoon();
      return Promise.resolve({ ok: false, error: UNAVAILABLE });
    }
    // The first connection is still opening: wait for it.
    return new Promise((resolve) => {
      const done = () => {
        this.waiting.delete(done);
        this.clearTimer(timer);
        resolve(this.connected ? this.send(name, args) : { ok: false, error: UNAVAILABLE });
      };
      const timer = this.setTimer(done, this.connectTimeoutMs);
      this.waiting.add(done);
    });
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Closes the socket for good (tests, page unload). */
  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) this.clearTimer(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socket?.close(1000, 'closed');
    this.failAll();
  }

  private send<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Reply<CommandResult<K>>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (r: Reply<unknown>) => void);
      try {
        this.socket!.send(JSON.stringify({ t: 'invoke', id, name, args }));
      } catch {
        this.pending.delete(id);
        resolve({ ok: false, error: UNAVAILABLE });
      }
    });
  }

  private connect(): void {
    if (this.closed) return;
    let sock: SocketLike;
    try {
      sock = this.makeSocket(this.url);
    } catch {
      this.onDown();
      return;
    }
    this.socket = sock;
    sock.onopen = () => {
      if (this.socket !== sock) return;
      this.attempt = 0;
      const again = this.everOpened;
      this.everOpened = true;
      this.wasOpen = true;
      if (again) this.emit([{ type: 'log', level: 'info', message: 'Reconnected to TCP Lab.' }]);
      for (const w of [...this.waiting]) w();
    };
    sock.onmessage = (ev) => {
      if (this.socket !== sock) return;
      this.onMessage(ev.data);
    };
    sock.onerror = () => {
      // A close event always follows; handled there.
    };
    sock.onclose = () => {
      if (this.socket !== sock) return;
      this.socket = null;
      this.onDown();
    };
  }

  private onDown(): void {
    this.failAll();
    if (this.wasOpen) {
      this.wasOpen = false;
      this.emit([{ type: 'log', level: 'warn', message: 'Lost the connection to TCP Lab; reconnecting…' }]);
    }
    if (!this.everOpened) for (const w of [...this.waiting]) w();
    this.reconnectSoon();
  }

  private reconnectSoon(): void {
    if (this.closed || this.reconnectTimer !== null || this.socket !== null) return;
    const delay = this.delays[Math.min(this.attempt, this.delays.length - 1)];
    this.attempt++;
    this.reconnectTimer = this.setTimer(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private failAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of all) resolve({ ok: false, error: UNAVAILABLE });
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!isServerMessage(msg)) return;
    if (msg.t === 'reply') {
      const resolve = this.pending.get(msg.id);
      if (!resolve) return;
      this.pending.delete(msg.id);
      resolve(msg.reply);
    } else {
      this.emit(msg.batch);
    }
  }

  private emit(batch: LabEvent[]): void {
    for (const l of [...this.listeners]) {
      try {
        l(batch);
      } catch (e) {
        // One listener's bug must not starve the others.
        console.error(e);
      }
    }
  }
}
