/**
 * `tcplab labnet up`, `tcplab vhost` and `tcplab labnet down` run in-process
 * against a lab network they create (root): the virtual host connects to a
 * kernel echo server in the namespace, sends text, closes with a FIN and
 * prints the simulate-shaped JSON; a closed port makes it exit 1 with
 * "connection refused". The lab network is always removed.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { bare, labnetDown, spawnInLabnet, type LabNetwork } from '../../../src-main/labnet';
import { isRoot, requireRootOnCi, until } from '../capture/root';
import { NEVER_STOP, runCli, type CliRun } from '../cli/run-cli';

requireRootOnCi();

const run = (argv: string[]): Promise<CliRun> => runCli(argv, NEVER_STOP);

describe.skipIf(!(isRoot && process.platform === 'linux'))('tcplab vhost and labnet (root)', () => {
  let lab: LabNetwork | null = null;
  let server: ChildProcess | null = null;

  afterAll(() => {
    server?.kill();
    if (lab) labnetDown(lab.index);
  });

  it('labnet up, vhost --connect --send --close fin --json, refused port exits 1, labnet down', async () => {
    const up = await run(['labnet', 'up', '--json']);
    expect(up.code, up.err).toBe(0);
    lab = JSON.parse(up.out) as LabNetwork;
    const peer = bare(lab.peer.ipv4);
    server = spawnInLabnet(lab, [
      process.execPath,
      '-e',
      "require('net').createServer((s)=>{s.on('data',(d)=>s.write('echo:'+d));s.on('end',()=>s.end())}).listen(5000,'::',()=>console.log('up'))",
    ]);
    let ready = false;
    server.stdout?.on('data', () => (ready = true));
    await until(() => ready);
    const ok = await run([
      'vhost',
      '--iface',
      lab.hostIf,
      '--ip',
      `${lab.vhost.ipv4},${lab.vhost.ipv6}`,
      '--connect',
      `${peer}:5000`,
      '--send',
      'hello',
      '--close',
      'fin',
      '--json',
    ]);
    expect(ok.code, ok.err).toBe(0);
    const doc = JSON.parse(ok.out) as {
      ok: boolean;
      state: string;
      received: string;
      events: Array<{ type: string; inferred?: boolean; to?: string }>;
    };
    expect(doc.ok).toBe(true);
    expect(doc.state).toBe('TIME-WAIT');
    expect(doc.received).toBe('echo:hello');
    expect(doc.events.filter((e) => e.type === 'state' && e.inferred).at(-1)?.to).toBe('CLOSED');
    const refused = await run([
      'vhost',
      '--iface',
      lab.hostIf,
      '--ip',
      lab.vhost.ipv6,
      '--connect',
      `[${bare(lab.peer.ipv6)}]:5001`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/connection refused/);
    const down = await run(['labnet', 'down', '--index', String(lab.index)]);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/removed lab network/);
    lab = null;
  }, 30_000);
});
