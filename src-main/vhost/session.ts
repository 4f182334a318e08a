/**
 * One scripted virtual-host session, as `tcplab vhost` runs it: attach to an
 * interface, then either connect to `ip:port` (active OPEN, RFC 9293 §3.10.1)
 * or listen on a port and take the first connection; once established, send
 * the text, then close — with a FIN right away (shutdown, §3.10.4: the
 * peer's answer is still read until its FIN) or a RST once the data is
 * acknowledged (§3.10.5, SO_LINGER 0) when `close` is given, else after the
 * peer's FIN (a passive close) — and wait for the connection to reach CLOSED or TIME-WAIT. The
 * result carries the events in the `tcplab simulate --json` shapes and, when
 * the handshake fails, a sentence that says why (refused, no answer, no
 * neighbour), so the CLI can exit non-zero.
 */
import type { Socket } from '../engine';
import { VirtualHost, type FrameIo, type Impairment, type VhostEvent, type VListener } from './virtual-host';

export interface VhostRunOptions {
  iface: string;
  addresses: string[];
  mac?: string;
  connect?: { ip: string; port: number };
  listen?: number;
  send?: string;
  /** Close actively right after sending (fin or rst); without it the host waits for the peer's FIN. */
  close?: 'fin' | 'rst';
  /** How long the handshake (connect) or the first connection (listen) may take. */
  timeoutMs?: number;
  /** How long to wait for the connection to finish closing. */
  waitMs?: number;
  impair?: Impairment | null;
  io?: FrameIo;
  onEvent?: (ev: VhostEvent) => void;
  signal?: AbortSignal;
}

export interface VhostRunResult {
  ok: boolean;
  /** Why it failed, for people. */
  error?: string;
  mac: string;
  addresses: string[];
  conn: string | null;
  /** The virtual host's final TCB state. */
  state: string | null;
  /** What the peer sent, as UTF-8 text. */
  received: string;
  bytesReceived: number;
  events: VhostEvent[];
}

/** "10.0.0.2:80" or "[fd00::2]:80". */
export function parseHostPort(text: string): { ip: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new RangeError(`"${text}" is not IP:PORT (IPv6 as [ADDR]:PORT, port 1–65535)`);
  return { ip: m[1], port };
}

function sleepUntil(cond: () => boolean, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const end = Date.now() + ms;
    const tick = (): void => {
      if (cond()) resolve(true);
      else if (Date.now() >= end || signal?.aborted) resolve(false);
      else setTimeout(tick, 10);
    };
    tick();
  });
}

const done = (s: Socket): boolean => s.state === 'CLOSED' || s.state === 'TIME-WAIT';

export async function runVhost(o: VhostRunOptions): Promise<VhostRunResult> {
  if (!o.connect === (o.listen === undefined))
    throw new RangeError('give exactly one of connect (IP:PORT) or listen (PORT)');
  const vh = new VirtualHost({
    iface: o.iface,
    addresses: o.addresses,
    mac: o.mac,
    io: o.io,
    impair: o.impair,
  });
  if (o.onEvent) vh.on(o.onEvent);
  const result = (ok: boolean, s: Socket | null, error?: string): VhostRunResult => ({
    ok,
    ...(error ? { error } : {}),
    mac: vh.mac,
    addresses: vh.addresses.map((a) => `${a.ip}/${a.prefix}`),
    conn: s?.conn ?? null,
    state: s?.state ?? null,
    received: s ? new TextDecoder().decode(s.data()) : '',
    bytesReceived: s?.bytesRead ?? 0,
    events: vh.events,
  });
  let s: Socket | null = null;
  let listener: VListener | null = null;
  try {
    await vh.start();
    const timeout = o.timeoutMs ?? 10_000;
    if (o.connect) {
      const { ip, port } = o.connect;
      s = vh.connect(ip, port);
      const sock = s;
      await sleepUntil(() => sock.state !== 'SYN-SENT', timeout, o.signal);
      if (sock.state !== 'ESTABLISHED' && !done(sock)) {
        const unreachable = vh.events.some((e) => e.type === 'neighbor' && e.what === 'unreachable');
        const why = unreachable
          ? `${ip} did not answer ARP or neighbour solicitation on ${o.iface}: is it on this link?`
          : `no answer to the SYN within ${timeout / 1000} s`;
        return result(
          false,
          sock,
          `handshake with ${ip}:${port} failed: ${o.signal?.aborted ? 'stopped' : why}`,
        );
      }
      if (sock.error) {
        const why =
          sock.error === 'ECONNREFUSED'
            ? `connection refused: ${ip}:${port} answered the SYN with RST (nothing listens there)`
            : `${sock.error}`;
        return result(false, sock, `handshake with ${ip}:${port} failed: ${why}`);
      }
    } else {
      listener = vh.listen(o.listen as number);
      const l = listener;
      await sleepUntil(() => l.accepted.length > 0, timeout, o.signal);
      s = l.accepted[0] ?? null;
      if (!s) return result(false, null, `nobody connected to port ${o.listen} within ${timeout / 1000} s`);
    }
    const sock = s;
    if (o.send) sock.send(o.send);
    const wait = o.waitMs ?? 5000;
    if (o.close === 'fin') {
      // shutdown(SHUT_WR): the FIN follows the text at once, and the peer's answer can still be read
      // (a full close() would answer it with RST, as Linux does).
      sock.shutdown();
      await sleepUntil(() => sock.eof || done(sock), wait, o.signal);
      sock.close();
    } else if (o.close === 'rst') {
      // Let the data be acknowledged first, then abort: what a program calling close() with SO_LINGER 0 sees.
      await sleepUntil(() => sock.tcb.sndUna === sock.tcb.sndNxt || done(sock), wait, o.signal);
      sock.abort();
    } else {
      await sleepUntil(() => sock.eof || done(sock), wait, o.signal);
      sock.close();
    }
    await sleepUntil(() => done(sock), wait, o.signal);
    if (sock.error && sock.error !== 'ECONNRESET')
      return result(false, sock, `the connection failed: ${sock.error}`);
    return result(true, sock);
  } finally {
    listener?.close();
    await vh.stop();
  }
}
