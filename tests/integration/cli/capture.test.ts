/**
 * `tcplab capture` and `tcplab inject` run in-process through `main(argv,
 * io)` against real kernel sessions on loopback made by the lab targets:
 * a capture with --duration and --write lists the handshake-and-FIN session
 * in the `analyze --json` shape, and its pcapng opens in tshark; --count
 * stops by itself; a bad filter prints libpcap's words and a missing
 * interface names the ones there are (exit 1); an exact RST injected toward
 * a held connection's server resets it (reaction `reset`, ECONNRESET at the
 * socket), an in-window one draws a challenge ACK, and the audit log records
 * them; an interface outside the allowlist is refused. Root only (skipped
 * otherwise, a failure on CI).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../../src-main/app/cli-main';
import { runLabClient, startLabServer, type LabServer } from '../../../src-main/capture';
import { isRoot, requireRootOnCi, sleep } from '../capture/root';
import { NEVER_STOP, runCli, type CliRun } from './run-cli';

requireRootOnCi();

/** Nothing stops a command from outside here: each ends on its own terms. */
const run = (...argv: string[]): Promise<CliRun> => runCli(argv, NEVER_STOP);

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!isRoot)('tcplab capture and tcplab inject on lo (root)', () => {
  let server: LabServer;
  let dir: string;
  const savedDataDir = process.env.TCPLAB_DATA_DIR;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-cli-capture-'));
    process.env.TCPLAB_DATA_DIR = dir;
    server = await startLabServer({ mode: 'echo' });
  });
  afterAll(async () => {
    await server?.close();
    if (savedDataDir === undefined) delete process.env.TCPLAB_DATA_DIR;
    else process.env.TCPLAB_DATA_DIR = savedDataDir;
    rmSync(dir, { recursive: true, force: true });
  });

  it('captures a real handshake and teardown, as JSON and to a pcapng file', async () => {
    const file = join(dir, 'live.pcapng');
    const capture = run(
      'capture',
      '--iface',
      'lo',
      '--filter',
      `tcp port ${server.port}`,
      '--duration',
      '2',
      '--write',
      file,
      '--json',
    );
    await sleep(600);
    const client = await runLabClient({ port: server.port, action: 'graceful' });
    expect(client.saw).toBe('connect, data(6), EOF, close');
    const r = await capture;
    expect(r.err).toBe('');
    expect(r.code).toBe(EXIT_OK);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc).slice(0, 4)).toEqual(['packets', 'tcpPackets', 'malformed', 'sessions']);
    expect(doc).toMatchObject({ iface: 'lo', ended: 'duration', dropped: 0, file });
    const s = doc.sessions.find((x: { a: { port: number } }) => x.a.port === client.localPort);
    expect(s).toMatchObject({
      b: { ip: '127.0.0.1', port: server.port },
      outcome: 'complete',
      states: { a: 'TIME-WAIT', b: 'CLOSED' },
    });
    expect(Object.keys(s).slice(0, 9)).toEqual([
      'id',
      'a',
      'b',
      'packets',
      'bytes',
      'firstTime',
      'lastTime',
      'outcome',
      'states',
    ]);
    expect(existsSync(file)).toBe(true);
    if (hasTshark()) {
      const lines = execFileSync('tshark', ['-r', file], { encoding: 'utf8' }).trim().split('\n');
      expect(lines).toHaveLength(doc.packets);
    }
  });

  it('stops by itself after --count frames and prints the table', async () => {
    const capture = run('capture', '--iface', 'lo', '--filter', `tcp port ${server.port}`, '--count', '3');
    await sleep(600);
    await runLabClient({ port: server.port, action: 'graceful' });
    const r = await capture;
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toMatch(/^lo \(tcp port \d+\): 3 packets, 3 TCP, 0 malformed, 0 dropped; 1 TCP session/);
    expect(r.out).toMatch(/ID\s+A \(opened\)\s+B/);
  });

  it("prints libpcap's words for a bad filter and the interfaces there are for a missing one", async () => {
    const bad = await run('capture', '--iface', 'lo', '--filter', 'tcp port (', '--count', '1');
    expect(bad.code).toBe(EXIT_FAILURE);
    expect(bad.err).toMatch(/^tcplab capture: The capture filter "tcp port \(" is not valid: .*syntax error/);
    const gone = await run('capture', '--iface', 'nosuch0', '--count', '1');
    expect(gone.code).toBe(EXIT_FAILURE);
    expect(gone.err).toMatch(/interface nosuch0 does not exist; available: .*\blo\b/);
    const usage = await run('capture', '--count', '1');
    expect(usage.code).toBe(EXIT_USAGE);
  });

  it('injects an exact RST that resets the server socket, and an in-window one that draws a challenge ACK', async () => {
    const held = await runLabClient({ port: server.port, action: 'hold' });
    await sleep(100);
    const srv = server.connections.find((c) => c.remotePort === held.localPort)!;
    expect(srv).toBeDefined();
    const session = `127.0.0.1:${held.localPort}-127.0.0.1:${server.port}`;
    const inWindow = await run(
      'inject',
      '--iface',
      'lo',
      '--session',
      session,
      '--flag',
      'rst',
      '--toward',
      'b',
      '--seq',
      'in-window',
      '--json',
    );
    expect(inWindow.err).toBe('');
    expect(JSON.parse(inWindow.out)).toMatchObject({ reaction: 'challenge-ack', sent: { offset: 1 } });
    expect(srv.saw('error')).toBe(false);

    const exact = await run(
      'inject',
      '--iface',
      'lo',
      '--session',
      session,
      '--flag',
      'rst',
      '--toward',
      'b',
    );
    expect(exact.err).toBe('');
    expect(exact.code).toBe(EXIT_OK);
    expect(exact.out).toMatch(/^sent {6}RST.* 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ {2}seq \d+ \(exact/m);
    expect(exact.out).toMatch(/^reaction {2}reset: /m);
    expect(exact.out).toMatch(/^numbers {3}/m);
    expect(await srv.waitFor('error', 'ECONNRESET', 3000)).not.toBeNull();
    held.socket.socket.destroy();

    const audit = readFileSync(join(dir, 'inject-audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.filter((e) => e.action === 'inject-rst').map((e) => e.reaction)).toEqual([
      'challenge-ack',
      'reset',
    ]);
  });

  it('refuses interfaces outside the allowlist and bad arguments', async () => {
    const r = await run(
      'inject',
      '--iface',
      'eth0',
      '--session',
      '10.0.0.1:1-10.0.0.2:2',
      '--flag',
      'rst',
      '--toward',
      'b',
    );
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toMatch(/^tcplab inject: Injection on eth0 is not allowed/);
    expect(
      (await run('inject', '--iface', 'lo', '--session', 'x', '--flag', 'rst', '--toward', 'b')).err,
    ).toMatch(/not A_IP:A_PORT-B_IP:B_PORT/);
    expect(
      (await run('inject', '--iface', 'lo', '--session', 'x', '--flag', 'ack', '--toward', 'b')).code,
    ).toBe(EXIT_USAGE);
    expect(
      (
        await run(
          'inject',
          '--iface',
          'lo',
          '--session',
          'x',
          '--flag',
          'rst',
          '--toward',
          'b',
          '--seq',
          'near',
        )
      ).code,
    ).toBe(EXIT_USAGE);
  });
});
