/**
 * Built-in lab targets: real sessions on demand from the operating system's
 * own TCP on loopback (node:net), so a learner sees kernel handshakes without
 * any outside traffic. `startLabServer` listens on a chosen or ephemeral port
 * and answers as an echo server or a minimal HTTP/1.1 server; `runLabClient`
 * connects and then closes gracefully (FIN, RFC 9293 §3.6), aborts with RST
 * (`resetAndDestroy`, SO_LINGER 0), holds the connection open, or connects to
 * a closed port (RST answer, ECONNREFUSED). Both sides report what their
 * sockets saw — connect, data, EOF, ECONNRESET, ECONNREFUSED, close — as a
 * list of observations with times, which is also what the integration tests
 * read to check an injected segment's effect on a real kernel socket.
 */
import * as net from 'node:net';

export type SocketEventKind = 'connect' | 'data' | 'eof' | 'error' | 'close' | 'timeout';

export interface SocketObservation {
  kind: SocketEventKind;
  /** Milliseconds since the socket was created. */
  atMs: number;
  /** Error code (ECONNRESET, ECONNREFUSED, EPIPE, …) for 'error'; byte count for 'data'. */
  detail?: string;
}

/** A socket plus what it saw, in order. */
export class ObservedSocket {
  readonly events: SocketObservation[] = [];
  private readonly started = Date.now();
  private readonly waiters: Array<{
    pred: (e: SocketObservation) => boolean;
    resolve: (e: SocketObservation) => void;
  }> = [];
  received = 0;
  /** Ports as they were when known (a destroyed socket forgets them). */
  localPortSeen = 0;
  remotePortSeen = 0;

  constructor(readonly socket: net.Socket) {
    this.remember();
    socket.on('connect', () => this.remember());
    socket.on('connect', () => this.note('connect'));
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.note('data', String(d.length));
    });
    socket.on('end', () => this.note('eof'));
    socket.on('error', (e: NodeJS.ErrnoException) => this.note('error', e.code ?? e.message));
    socket.on('close', () => this.note('close'));
  }

  private remember(): void {
    if (this.socket.localPort) this.localPortSeen = this.socket.localPort;
    if (this.socket.remotePort) this.remotePortSeen = this.socket.remotePort;
  }

  private note(kind: SocketEventKind, detail?: string): void {
    const e: SocketObservation = { kind, atMs: Date.now() - this.started, ...(detail ? { detail } : {}) };
    this.events.push(e);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].pred(e)) this.waiters.splice(i, 1)[0].resolve(e);
    }
  }

  /** Whether an event of this kind (and detail) was seen. */
  saw(kind: SocketEventKind, detail?: string): boolean {
    return this.events.some((e) => e.kind === kind && (detail === undefined || e.detail === detail));
  }

  /** Resolves with the first matching event (past or future), or null after `timeoutMs`. */
  waitFor(kind: SocketEventKind, detail?: string, timeoutMs = 5000): Promise<SocketObservation | null> {
    const pred = (e: SocketObservation): boolean =>
      e.kind === kind && (detail === undefined || e.detail === detail);
    const past = this.events.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve) => {
      const w = { pred, resolve: (e: SocketObservation | null) => resolve(e) };
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w as never);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  }

  /** A one-line summary: "connect, data(5), EOF, close". */
  describe(): string {
    return this.events
      .map((e) =>
        e.kind === 'error'
          ? e.detail
          : e.kind === 'eof'
            ? 'EOF'
            : e.detail
              ? `${e.kind}(${e.detail})`
              : e.kind,
      )
      .join(', ');
  }

  get localPort(): number {
    return this.socket.localPort ?? this.localPortSeen;
  }

  get remotePort(): number {
    return this.socket.remotePort ?? this.remotePortSeen;
  }
}

export interface LabServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  mode?: 'echo' | 'http';
  /** Keep accepted connections open after the peer's FIN (half-close), default false: answer EOF with our FIN. */
  allowHalfOpen?: boolean;
  /** Called with every accepted connection, as soon as it is accepted. */
  onConnection?: (s: ObservedSocket) => void;
}

export interface LabServer {
  host: string;
  port: number;
  /** Accepted connections in order, each with what its socket saw. */
  connections: ObservedSocket[];
  /** Resolves with the next accepted connection (or one already accepted and not yet taken). */
  nextConnection(timeoutMs?: number): Promise<ObservedSocket>;
  close(): Promise<void>;
}

/** Starts an echo or HTTP server on loopback (or `host`). */
export function startLabServer(o: LabServerOptions = {}): Promise<LabServer> {
  const host = o.host ?? '127.0.0.1';
  const mode = o.mode ?? 'echo';
  const connections: ObservedSocket[] = [];
  let taken = 0;
  const waiting: Array<(s: ObservedSocket) => void> = [];
  const server = net.createServer({ allowHalfOpen: o.allowHalfOpen ?? false }, (sock) => {
    const obs = new ObservedSocket(sock);
    connections.push(obs);
    sock.on('data', (d: Buffer) => {
      if (mode === 'echo') sock.write(d);
      else if (d.includes('\r\n\r\n')) {
        const body = 'Hello from TCP Lab\n';
        sock.write(
          `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
        sock.end();
      }
    });
    o.onConnection?.(obs);
    const w = waiting.shift();
    if (w) {
      taken++;
      w(obs);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        host,
        port: addr.port,
        connections,
        nextConnection(timeoutMs = 5000) {
          if (taken < connections.length) return Promise.resolve(connections[taken++]);
          return new Promise((res, rej) => {
            const t = setTimeout(
              () => rej(new Error(`no connection reached port ${addr.port} within ${timeoutMs} ms`)),
              timeoutMs,
            );
            waiting.push((s) => {
              clearTimeout(t);
              res(s);
            });
          });
        },
        close() {
          for (const c of connections) c.socket.destroy();
          return new Promise((res) => server.close(() => res()));
        },
      });
    });
  });
}

export type LabClientAction = 'graceful' | 'reset' | 'hold' | 'refused';

export interface LabClientOptions {
  host?: string;
  port: number;
  /** Bytes to send after connecting (default "hello\n"; empty sends nothing). */
  payload?: string;
  /** What to do after sending (default graceful). 'refused' expects the port to be closed. */
  action?: LabClientAction;
  /** How long to wait for the answer before closing (default 200 ms). */
  lingerMs?: number;
  /** Give up waiting for the end after this long (default 5 s). */
  timeoutMs?: number;
  /** Keep the socket open after the peer's FIN (default false). */
  allowHalfOpen?: boolean;
}

export interface LabClientReport {
  action: LabClientAction;
  connected: boolean;
  localPort: number;
  received: number;
  /** What the socket saw, e.g. "connect, data(6), EOF, close" or "ECONNREFUSED, close". */
  saw: string;
  events: SocketObservation[];
  /** The observed socket, still open for 'hold'. */
  socket: ObservedSocket;
}

/** Opens a connection to a lab server (or a closed port) and reports what the socket saw. */
export function runLabClient(o: LabClientOptions): Promise<LabClientReport> {
  const action = o.action ?? 'graceful';
  const payload = o.payload ?? 'hello\n';
  const sock = net.connect({
    host: o.host ?? '127.0.0.1',
    port: o.port,
    allowHalfOpen: o.allowHalfOpen ?? false,
  });
  const obs = new ObservedSocket(sock);
  const report = (): LabClientReport => ({
    action,
    connected: obs.saw('connect'),
    localPort: obs.localPort,
    received: obs.received,
    saw: obs.describe(),
    events: obs.events,
    socket: obs,
  });
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => {
      sock.destroy();
      resolve(report());
    }, o.timeoutMs ?? 5000);
    const done = (): void => {
      clearTimeout(giveUp);
      resolve(report());
    };
    sock.once('close', done);
    sock.once('connect', () => {
      if (payload) sock.write(payload);
      if (action === 'hold') {
        sock.removeListener('close', done);
        setTimeout(done, o.lingerMs ?? 200);
        return;
      }
      setTimeout(() => {
        if (action === 'reset') sock.resetAndDestroy();
        else sock.end();
      }, o.lingerMs ?? 200);
    });
  });
}
