/**
 * The Linux kernel's side of the interoperability suite: one Node process
 * inside the lab namespace (`ip netns exec NS node -e …`) that opens real
 * kernel sockets on command — listen, connect, write pattern bytes, end
 * (FIN), reset (SO_LINGER 0 → RST), destroy — and reports what its sockets
 * see as JSON lines: accept, connect, end of file with the byte count and
 * whether every byte matched the pattern (byte i = i mod 251, so a lost,
 * repeated or reordered byte shows), close, errors with their errno name.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';

const SCRIPT = String.raw`
const net = require('node:net');
const socks = new Map();
let next = 1;
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
function track(s, sid) {
  const st = { s, got: 0, ok: true, sent: 0 };
  socks.set(sid, st);
  s.on('data', (d) => {
    for (let i = 0; i < d.length; i++) if (d[i] !== (st.got + i) % 251) { st.ok = false; break; }
    st.got += d.length;
    say({ ev: 'data', sid, total: st.got, ok: st.ok });
  });
  s.on('end', () => say({ ev: 'end', sid, total: st.got, ok: st.ok }));
  s.on('error', (e) => say({ ev: 'error', sid, code: e.code }));
  s.on('close', () => say({ ev: 'close', sid }));
  return st;
}
const servers = new Map();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const c = JSON.parse(line);
    try { run(c); } catch (e) { say({ ev: 'fail', id: c.id, message: String(e && e.message) }); }
  }
});
process.stdin.on('end', () => process.exit(0));
function run(c) {
  if (c.op === 'listen') {
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      const sid = next++;
      track(s, sid);
      say({ ev: 'accept', sid, port: c.port, remoteAddress: s.remoteAddress, remotePort: s.remotePort });
    });
    srv.on('error', (e) => say({ ev: 'fail', id: c.id, message: e.code }));
    srv.listen({ port: c.port, host: c.host, ipv6Only: false }, () => say({ ev: 'listening', id: c.id }));
    servers.set(c.port, srv);
  } else if (c.op === 'connect') {
    const sid = next++;
    const s = net.connect({ host: c.host, port: c.port, allowHalfOpen: true });
    track(s, sid);
    s.on('connect', () => say({ ev: 'connect', id: c.id, sid, localPort: s.localPort }));
    say({ ev: 'connecting', id: c.id, sid });
  } else if (c.op === 'write') {
    const st = socks.get(c.sid);
    const b = Buffer.alloc(c.n);
    for (let i = 0; i < c.n; i++) b[i] = (st.sent + i) % 251;
    st.sent += c.n;
    st.s.write(b);
  } else if (c.op === 'end') socks.get(c.sid).s.end();
  else if (c.op === 'reset') socks.get(c.sid).s.resetAndDestroy();
  else if (c.op === 'destroy') socks.get(c.sid).s.destroy();
  else if (c.op === 'unlisten') { servers.get(c.port)?.close(); servers.delete(c.port); }
}
say({ ev: 'ready' });
`;

export interface PeerEvent {
  ev: string;
  id?: number;
  sid?: number;
  port?: number;
  total?: number;
  ok?: boolean;
  code?: string;
  localPort?: number;
  remotePort?: number;
  remoteAddress?: string;
  message?: string;
}

export class KernelPeer {
  readonly events: PeerEvent[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  stderr = '';

  constructor(ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SCRIPT]);
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (s: string) => {
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(buf.slice(0, i)) as PeerEvent);
        buf = buf.slice(i + 1);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => (this.stderr += s));
  }

  send(cmd: Record<string, unknown>): number {
    const id = this.nextId++;
    this.child.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
    return id;
  }

  find(pred: (e: PeerEvent) => boolean): PeerEvent | undefined {
    return this.events.find(pred);
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
