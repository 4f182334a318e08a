/**
 * Injection into real Linux TCP connections on loopback, checked at the
 * sockets: an RST at the receiver's RCV.NXT resets it (ECONNRESET, RFC 5961
 * §3.2); an in-window RST off by one draws a challenge ACK and the connection
 * still echoes; a SYN into an established connection draws a challenge ACK
 * (RFC 5961 §4.2); a FIN at RCV.NXT makes the application read EOF; an idle
 * connection's numbers are learned with a SYN as killcx does (`runInject`,
 * the CLI's core). Each test uses a fresh connection, since Linux rate-limits
 * challenge ACKs per socket (net.ipv4.tcp_invalid_ratelimit). The policy
 * refuses unconfirmed injections, unseen sessions and other interfaces, and
 * the helper refuses to send where its own allowlist says no.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureHelperClient, LiveCapture, runLabClient, startLabServer } from '../../../src-main/capture';
import type { LabServer, ObservedSocket } from '../../../src-main/capture';
import { Injector, InjectionPolicy, InjectionRefused, runInject } from '../../../src-main/inject';
import { isRoot, requireRootOnCi, sleep, until } from '../capture/root';

requireRootOnCi();

describe.skipIf(!isRoot)('injection into real sessions on lo (root)', () => {
  let server: LabServer;
  let client: CaptureHelperClient;
  let capture: LiveCapture;
  let injector: Injector;
  let policy: InjectionPolicy;
  let dir: string;
  const open: ObservedSocket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-inject-'));
    server = await startLabServer({ mode: 'echo', allowHalfOpen: true });
    client = new CaptureHelperClient();
    capture = new LiveCapture({ client, iface: 'lo', filter: `tcp port ${server.port}`, keepSegments: true });
    await capture.start();
    policy = new InjectionPolicy({ auditLog: join(dir, 'audit.jsonl') });
    injector = new Injector(capture, policy);
  });

  afterAll(async () => {
    injector?.dispose();
    await capture?.stop();
    await client?.dispose();
    for (const s of open) s.socket.destroy();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A connection that has echoed once, so the capture knows both sides' numbers. */
  async function connection(): Promise<{
    a: ObservedSocket;
    b: ObservedSocket;
    session: { a: { ip: string; port: number }; b: { ip: string; port: number } };
  }> {
    const rep = await runLabClient({ port: server.port, action: 'hold', payload: 'hello\n', lingerMs: 0 });
    const b = await server.nextConnection();
    await rep.socket.waitFor('data', undefined, 2000);
    open.push(rep.socket, b);
    const session = {
      a: { ip: '127.0.0.1', port: rep.localPort },
      b: { ip: '127.0.0.1', port: server.port },
    };
    await until(() => injector.book.numbersToward(session.a, session.b)?.rcvNxt !== null);
    await sleep(50);
    return { a: rep.socket, b, session };
  }

  async function echoes(s: ObservedSocket): Promise<boolean> {
    const before = s.received;
    s.socket.write('ping\n');
    try {
      await until(() => s.received >= before + 5, 2000);
      return true;
    } catch {
      return false;
    }
  }

  it("an RST at the receiver's RCV.NXT resets its socket (ECONNRESET)", async () => {
    const { b, session } = await connection();
    const r = await injector.inject({ session, flag: 'rst', toward: 'b', seq: 'exact', confirm: true });
    expect(r.method).toBe('tracked');
    expect(r.sent.flagsText).toBe('RST, ACK');
    expect(r.sent.offset).toBe(0);
    expect(r.explain).toMatch(/equals B's RCV.NXT .*RFC 5961 §3.2/);
    expect(await b.waitFor('error', 'ECONNRESET', 3000)).not.toBeNull();
    expect(r.reaction).toBe('reset');
    expect(r.probe?.answer).toBe('none'); // on lo: dropped before TCP once the socket is gone
    const sid = capture.tracker.summaries().find((s) => s.a.port === session.a.port)!.id;
    const rst = capture.tracker.segments(sid).find((row) => row.flags & 0x04);
    expect(rst?.seq).toBe(r.sent.seq); // the injected segment is on the ladder
  });

  it('an in-window RST off by one draws a challenge ACK and the connection survives', async () => {
    const { a, session } = await connection();
    const r = await injector.inject({ session, flag: 'rst', toward: 'a', seq: 'in-window', confirm: true });
    expect(r.sent.offset).toBe(1);
    expect(r.reaction).toBe('challenge-ack');
    // The challenge ACK carries A's real RCV.NXT, one below the injected sequence number.
    expect(r.observed[0].ack).toBe((r.sent.seq - 1) >>> 0);
    expect(r.explain).toMatch(/challenge ACK .*RFC 5961 §3.2/);
    expect(a.saw('error')).toBe(false);
    expect(await echoes(a)).toBe(true);
  });

  it('an RST outside the window is ignored', async () => {
    const { a, b, session } = await connection();
    const r = await injector.inject({
      session,
      flag: 'rst',
      toward: 'b',
      seq: 'out-of-window',
      confirm: true,
      probe: false,
      timeoutMs: 700,
    });
    expect(r.reaction).toBe('none');
    expect(b.saw('error')).toBe(false);
    expect(await echoes(a)).toBe(true);
  });

  it('a SYN into an established connection draws a challenge ACK', async () => {
    const { a, session } = await connection();
    const r = await injector.inject({ session, flag: 'syn', toward: 'b', seq: 'exact', confirm: true });
    expect(r.sent.flagsText).toBe('SYN');
    expect(r.reaction).toBe('challenge-ack');
    expect(r.explain).toMatch(/RFC 5961 §4.2/);
    expect(await echoes(a)).toBe(true);
  });

  it('a FIN at RCV.NXT makes the receiving application read EOF', async () => {
    const { b, session } = await connection();
    const r = await injector.inject({ session, flag: 'fin', toward: 'b', seq: 'exact', confirm: true });
    expect(r.sent.flagsText).toBe('FIN, ACK');
    expect(r.reaction).toBe('fin-acked');
    expect(await b.waitFor('eof', undefined, 2000)).not.toBeNull();
    expect(b.saw('error')).toBe(false);
  });

  it("learns an idle session's numbers with a SYN (killcx) and resets it exactly: runInject", async () => {
    const rep = await runLabClient({ port: server.port, action: 'hold', payload: 'hi\n', lingerMs: 0 });
    const b = await server.nextConnection();
    open.push(rep.socket, b);
    await rep.socket.waitFor('data', undefined, 2000);
    await sleep(700); // idle; and past any rate limit
    const audit = join(dir, 'cli-audit.jsonl');
    const r = await runInject({
      iface: 'lo',
      session: `127.0.0.1:${rep.localPort}-127.0.0.1:${server.port}`,
      flag: 'rst',
      toward: 'a',
      seq: 'exact',
      timeoutS: 1,
      auditLog: audit,
    });
    expect(r.method).toBe('learned-by-syn');
    expect(r.learnedWith?.flagsText).toBe('SYN');
    expect(r.reaction).toBe('reset');
    expect(await rep.socket.waitFor('error', 'ECONNRESET', 3000)).not.toBeNull();
    const lines = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.action)).toEqual(['learn-syn', 'probe', 'inject-rst']);
    expect(lines[2].reaction).toBe('reset');
  });

  it('refuses without confirmation, for unseen sessions and on other interfaces', async () => {
    const { session } = await connection();
    await expect(injector.inject({ session, flag: 'rst', toward: 'b', confirm: false })).rejects.toThrow(
      /explicit confirmation/,
    );
    await expect(
      runInject({
        iface: 'eth0',
        session: '127.0.0.1:1-127.0.0.1:2',
        flag: 'rst',
        toward: 'b',
        auditLog: null,
      }),
    ).rejects.toBeInstanceOf(InjectionRefused);
    const refusals = policy.entries.filter((e) => e.action === 'refused');
    expect(refusals.length).toBeGreaterThan(0);
    const log = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    expect(log).toContain('"refused"');
  });

  it('the helper itself refuses to send outside its allowlist', async () => {
    const prev = process.env.TCPLAB_INJECT_INTERFACES;
    process.env.TCPLAB_INJECT_INTERFACES = 'tcplabnothing';
    const c = new CaptureHelperClient();
    try {
      await c.open({ iface: 'lo', filter: 'tcp port 9' });
      const err = await c.send(new Uint8Array(60)).catch((e: Error) => e);
      expect((err as { code?: string }).code).toBe('send-refused');
      expect((err as Error).message).toMatch(/refuses to send on lo/);
    } finally {
      if (prev === undefined) delete process.env.TCPLAB_INJECT_INTERFACES;
      else process.env.TCPLAB_INJECT_INTERFACES = prev;
      await c.dispose();
    }
  });
});
