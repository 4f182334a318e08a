/**
 * Across a veth pair into a network namespace the test creates (and always
 * removes): an echo server runs inside the namespace (`ip netns exec … node
 * -e …`, reporting its socket events as JSON lines), a client in the test
 * connects to it, the capture on the root-side veth end sees the real
 * handshake with real MAC addresses, an exact RST injected toward the server
 * resets its socket (ECONNRESET) — and here, unlike on loopback, the probe
 * that follows draws the kernel's own RST — and removing the interface under
 * a running capture reports "went away" instead of crashing anything.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureHelperClient, LiveCapture, runLabClient } from '../../../src-main/capture';
import type { CaptureFailure } from '../../../src-main/capture';
import { Injector, InjectionPolicy } from '../../../src-main/inject';
import { createLabNet, isRoot, requireRootOnCi, until, type LabNet } from '../capture/root';

requireRootOnCi();

const SERVER = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
net.createServer({ allowHalfOpen: true }, (s) => {
  const peer = s.remotePort;
  say({ ev: 'accept', peer });
  s.on('data', (d) => s.write(d));
  s.on('end', () => say({ ev: 'eof', peer }));
  s.on('error', (e) => say({ ev: 'error', code: e.code, peer }));
}).listen(Number(port), host, () => say({ ev: 'listening' }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

describe.skipIf(!isRoot)('capture and injection across a veth pair into a namespace (root)', () => {
  let lab: LabNet | null = null;
  let server: ChildProcessWithoutNullStreams | null = null;
  const events: Array<{ ev: string; code?: string; peer?: number }> = [];
  let client: CaptureHelperClient;
  const port = 7007;

  beforeAll(async () => {
    lab = createLabNet();
    server = spawn('ip', ['netns', 'exec', lab.ns, process.execPath, '-e', SERVER, lab.nsIp, String(port)]);
    let buf = '';
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (s: string) => {
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
    await until(() => events.some((e) => e.ev === 'listening'), 5000);
    client = new CaptureHelperClient();
  });

  afterAll(async () => {
    await client?.dispose();
    server?.stdin.end();
    server?.kill();
    lab?.remove();
  });

  it("captures the handshake on the veth end and resets the namespace's socket with an exact RST", async () => {
    const net = lab!;
    const capture = new LiveCapture({
      client,
      iface: net.hostIf,
      filter: `tcp port ${port}`,
      keepSegments: true,
    });
    const opened = await capture.start();
    expect(opened.linkType).toBe(1);
    const injector = new Injector(capture, new InjectionPolicy({ auditLog: null }));
    try {
      const rep = await runLabClient({
        host: net.nsIp,
        port,
        action: 'hold',
        payload: 'hello\n',
        lingerMs: 0,
      });
      await rep.socket.waitFor('data', undefined, 3000);
      const session = { a: { ip: net.hostIp, port: rep.localPort }, b: { ip: net.nsIp, port } };
      const s = await until(() =>
        capture.tracker.summaries().find((x) => x.a.port === rep.localPort && x.packets >= 5),
      );
      expect(s.states).toEqual({ a: 'ESTABLISHED', b: 'ESTABLISHED' });
      const link = injector.book.numbersToward(session.a, session.b)!.link!;
      expect(link.dstMac).not.toBe('00:00:00:00:00:00');
      const r = await injector.inject({
        session,
        flag: 'rst',
        toward: 'b',
        seq: 'exact',
        confirm: true,
        timeoutMs: 800,
      });
      await until(
        () => events.some((e) => e.ev === 'error' && e.code === 'ECONNRESET' && e.peer === rep.localPort),
        3000,
      );
      expect(r.reaction).toBe('reset');
      expect(r.probe?.answer).toBe('rst');
      rep.socket.socket.destroy();
    } finally {
      injector.dispose();
      await capture.stop();
    }
  });

  it('reports an interface that goes away under a running capture', async () => {
    const net = lab!;
    const capture = new LiveCapture({ client, iface: net.hostIf, filter: 'tcp' });
    await capture.start();
    const failures: CaptureFailure[] = [];
    capture.onError((e) => failures.push(e));
    net.remove();
    const f = await until(() => failures[0], 4000);
    expect(f.code).toBe('interface-gone');
    expect(f.message).toMatch(new RegExp(`interface ${net.hostIf} went away`));
    const result = await capture.done;
    expect(result.ended).toMatch(/went away/);
    // The helper survives for the next capture.
    const again = new LiveCapture({ client, iface: 'lo', filter: 'tcp port 9' });
    await again.start();
    await again.stop();
  });
});
