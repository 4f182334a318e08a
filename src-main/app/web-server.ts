/**
 * Web mode (`tcplab serve`): the same LabService behind HTTP and a WebSocket,
 * for a browser on the same machine. It listens on 127.0.0.1 only and trusts
 * nobody else there: every request needs the random token printed at start
 * (`?token=` on the first page load, which sets an HttpOnly SameSite=Strict
 * cookie for the page's assets), the Host header must name this server (DNS
 * rebinding), the socket at `/ws?token=…` also needs the page's own Origin,
 * and tokens are compared in constant time. Static files come only from the
 * built renderer folder — no directory listings, no `..`, no symlinks out —
 * with exact content types, the renderer's CSP, nosniff and no referrer.
 * Socket messages are ClientMessage JSON; each gets a ServerMessage reply,
 * and a malformed one an error reply (id -1 when no id could be read) — it
 * never reaches the service and never stops the server. Events go to every
 * socket as `{ t: 'events', batch }`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isAbsolute, relative, resolve, sep, extname } from 'node:path';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { MAX_UPLOAD_BASE64, type ClientMessage, type ServerMessage } from '../../src-shared/contract';
import { CSP } from './window';
import { checkInvoke, errorReply, invokeSafely, isPlainObject, type BridgeService } from './bridge-host';

/**
 * Largest WebSocket message accepted: a `files.open` upload at the contract's
 * limit (base64) plus room for the envelope. Deliberately below V8's longest
 * string (2^29 − 24 characters), since each message is decoded to one string.
 */
export const MAX_WS_PAYLOAD = MAX_UPLOAD_BASE64 + 1024 * 1024;

/** The only address web mode listens on. */
export const LOOPBACK = '127.0.0.1';

export interface WebServerOptions {
  service: BridgeService;
  /** 0 (the default) lets the system choose a free port. */
  port?: number;
  /** '127.0.0.1' (default) or 'localhost'; anything else is refused. */
  host?: string;
  /** The built renderer (holding index.html). */
  rendererDir: string;
  /** For tests: a fixed token (64 hex digits) instead of a random one. */
  token?: string;
  /** For tests: a smaller message limit than MAX_WS_PAYLOAD. */
  maxPayload?: number;
}

export interface WebServer {
  /** The URL to open, token included: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.pcap': 'application/vnd.tcpdump.pcap',
  '.pcapng': 'application/octet-stream',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The renderer's CSP, with this server's own socket named in connect-src
 * (CSP3 lets 'self' match ws: on the same host and port, but not every
 * browser did; naming the exact port is no looser than the page's meta tag).
 */
export function webModeCsp(port: number): string {
  return CSP.replace(
    "connect-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
  );
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Maps a URL path to a file inside `root`, or null when it must not be served:
 * undecodable, NUL bytes, backslashes, dot-files or `..` segments, or a path
 * that resolves outside the folder.
 */
export function staticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return null;
  const rel = segments.length === 0 ? 'index.html' : segments.join('/');
  const full = resolve(root, rel);
  const back = relative(root, full);
  if (back === '' || back.startsWith('..') || isAbsolute(back)) return null;
  return full;
}

/** Starts web mode; rejects when the host is not loopback, the port is taken or the renderer is not built. */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? LOOPBACK;
  if (host !== LOOPBACK && host !== 'localhost') {
    throw new Error(
      `web mode listens on 127.0.0.1 only (asked for ${JSON.stringify(host)}): ` +
        'anyone who can reach the port could read your captures.',
    );
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port ${port}: use 0–65535.`);
  const token = opts.token ?? randomBytes(32).toString('hex');
  const root = await fsp.realpath(resolve(opts.rendererDir)).catch(() => null);
  const index = root ? await fsp.stat(resolve(root, 'index.html')).catch(() => null) : null;
  if (!root || !index?.isFile()) {
    throw new Error(
      `the web app is not built (no index.html in ${resolve(opts.rendererDir)}): run \`npm run build\` first.`,
    );
  }

  let boundPort = 0;
  let headers: Record<string, string> = SECURITY_HEADERS;
  const cookieName = () => `tcplab_token_${boundPort}`;
  const allowedHosts = () => [`127.0.0.1:${boundPort}`, `localhost:${boundPort}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const send = (
    res: ServerResponse,
    status: number,
    text: string,
    extra: Record<string, string> = {},
  ): void => {
    const body = Buffer.from(text + '\n');
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };

  /** null when the request may go on; otherwise the status and sentence to refuse it with. */
  const authProblem = (req: IncomingMessage, url: URL): [number, string] | null => {
    if (!allowedHosts().includes((req.headers.host ?? '').toLowerCase())) {
      return [403, 'Forbidden: this server only answers to 127.0.0.1 and localhost.'];
    }
    const given = url.searchParams.get('token') ?? cookieValue(req.headers.cookie, cookieName());
    if (given === null) {
      return [401, 'Unauthorized: open the URL that `tcplab serve` printed (it ends in ?token=…).'];
    }
    if (!tokenMatches(given, token)) {
      return [403, 'Forbidden: wrong token. Open the URL that `tcplab serve` printed for this run.'];
    }
    return null;
  };

  const serveFile = async (req: IncomingMessage, res: ServerResponse, url: URL, setCookie: boolean) => {
    const candidate = staticPath(root, url.pathname);
    if (!candidate) return send(res, 404, 'Not found.');
    const real = await fsp.realpath(candidate).catch(() => null);
    const back = real === null ? '..' : relative(root, real);
    if (
      real === null ||
      back.startsWith('..') ||
      isAbsolute(back) ||
      back.split(sep).some((s) => s.startsWith('.'))
    ) {
      return send(res, 404, 'Not found.');
    }
    const st = await fsp.stat(real).catch(() => null);
    if (!st?.isFile()) return send(res, 404, 'Not found.');
    const isHtml = extname(real).toLowerCase() === '.html';
    const fileHeaders: Record<string, string> = {
      ...headers,
      'Content-Type': contentType(real),
      'Content-Length': String(st.size),
      'Cache-Control': isHtml ? 'no-store' : 'no-cache',
    };
    if (setCookie) {
      fileHeaders['Set-Cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, fileHeaders);
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(real);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    } catch {
      return send(res, 400, 'Bad request.');
    }
    const problem = authProblem(req, url);
    if (problem) return send(res, problem[0], problem[1]);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'Method not allowed: only GET and HEAD.', { Allow: 'GET, HEAD' });
    }
    if (url.pathname === '/healthz') return send(res, 200, 'ok');
    if (url.pathname === '/ws')
      return send(res, 426, 'Upgrade required: /ws is a WebSocket.', { Upgrade: 'websocket' });
    const setCookie = url.searchParams.has('token');
    await serveFile(req, res, url, setCookie);
  };

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal error.');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload ?? MAX_WS_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: true,
  });

  const refuseUpgrade = (socket: Duplex, status: number, reason: string, text: string): void => {
    const body = text + '\n';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    } catch {
      return refuseUpgrade(socket, 400, 'Bad Request', 'Bad request.');
    }
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found', 'Not found.');
    if (!allowedHosts().includes((req.headers.host ?? '').toLowerCase())) {
      return refuseUpgrade(socket, 403, 'Forbidden', 'Forbidden: wrong Host.');
    }
    const given = url.searchParams.get('token') ?? cookieValue(req.headers.cookie, cookieName());
    if (given === null)
      return refuseUpgrade(socket, 401, 'Unauthorized', 'Unauthorized: the socket needs ?token=.');
    if (!tokenMatches(given, token))
      return refuseUpgrade(socket, 403, 'Forbidden', 'Forbidden: wrong token.');
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !allowedOrigins().includes(origin.toLowerCase())) {
      return refuseUpgrade(
        socket,
        403,
        'Forbidden',
        'Forbidden: the socket must be opened by the TCP Lab page.',
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const sendMessage = (m: ServerMessage): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      try {
        ws.send(JSON.stringify(m));
      } catch {
        ws.terminate();
      }
    };
    const unsubscribe = opts.service.subscribe((batch) => sendMessage({ t: 'events', batch }));
    ws.on('close', unsubscribe);
    // Oversized frames and protocol errors: `ws` closes the socket (1009, 1002 …); just do not crash.
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void answerMessage(data, isBinary).then(sendMessage, () => undefined);
    });
  });

  const answerMessage = async (data: RawData, isBinary: boolean): Promise<ServerMessage> => {
    const bad = (id: number, message: string): ServerMessage => ({
      t: 'reply',
      id,
      reply: errorReply('bad-request', message),
    });
    if (isBinary) return bad(-1, 'Bad message: send JSON text, not binary.');
    let msg: unknown;
    try {
      msg = JSON.parse(rawToString(data));
    } catch {
      return bad(-1, 'Bad message: not valid JSON.');
    }
    if (!isPlainObject(msg)) return bad(-1, 'Bad message: expected an object { t, id, name, args }.');
    const id = msg.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      return bad(-1, 'Bad message: "id" must be an integer ≥ 0.');
    }
    if (msg.t !== 'invoke') return bad(id, 'Bad message: "t" must be "invoke".');
    const { t: _t, id: _id, ...envelope } = msg as ClientMessage & Record<string, unknown>;
    const checked = checkInvoke(envelope);
    if (!checked.ok) return { t: 'reply', id, reply: { ok: false, error: checked.error } };
    return { t: 'reply', id, reply: await invokeSafely(opts.service, checked.name, checked.args) };
  };

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      server.off('error', fail);
      ok();
    });
  });
  server.on('error', () => undefined);
  boundPort = (server.address() as AddressInfo).port;
  headers = { 'Content-Security-Policy': webModeCsp(boundPort), ...SECURITY_HEADERS };

  let closing: Promise<void> | null = null;
  return {
    url: `http://${LOOPBACK}:${boundPort}/?token=${token}`,
    port: boundPort,
    token,
    close() {
      closing ??= new Promise<void>((done) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
