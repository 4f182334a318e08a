/**
 * The Linux capture launcher (build/linux/tcplab-capture-helper.c) for real:
 * compiled into a root-owned folder laid out like /opt/TCP Lab (with this
 * Node standing in for the Electron binary, which the launcher runs with
 * ELECTRON_RUN_AS_NODE=1), given the postinst's ownership, mode and file
 * capabilities, then run by an unprivileged user (nobody, in the launcher's
 * group): the capture helper it starts opens the loopback interface. Without
 * the capabilities the same open is refused with a permission error; a
 * group-writable Electron binary makes the launcher refuse to run. Needs
 * root, a C compiler, setcap and setpriv.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const tool = (name: string) =>
  ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].map((d) => join(d, name)).find((p) => existsSync(p));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const ready =
  process.platform === 'linux' &&
  isRoot &&
  tool('cc') &&
  tool('setcap') &&
  tool('setpriv') &&
  existsSync(join(ROOT, 'node_modules', 'cap', 'build', 'Release', 'cap.node'));

/** A client script run as nobody: start the launcher, open lo, print the reply. */
const PROBE = `
const { spawn } = require('child_process');
const c = spawn(process.argv[1], [], { stdio: ['pipe', 'pipe', 'pipe'] });
let buf = Buffer.alloc(0);
const send = (o) => { const p = Buffer.from(JSON.stringify(o)); const h = Buffer.alloc(5); h.writeUInt32BE(p.length + 1); h[4] = 1; c.stdin.write(h); c.stdin.write(p); };
c.stderr.on('data', (d) => process.stderr.write(d));
c.stdout.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 5) {
    const l = buf.readUInt32BE(0); if (buf.length < 4 + l) break;
    const m = JSON.parse(buf.subarray(5, 4 + l)); buf = buf.subarray(4 + l);
    if (m.event === 'ready') send({ id: 1, op: 'open', iface: 'lo', filter: 'less 1', snaplen: 64 });
    if (m.id === 1) { console.log(JSON.stringify(m)); c.stdin.end(); }
  }
});
c.on('exit', (code) => { if (code) console.log(JSON.stringify({ exit: code })); });
`;

describe.skipIf(!ready)('the capture launcher', () => {
  let app: string;
  let launcher: string;

  beforeAll(() => {
    app = mkdtempSync('/tmp/tcplab-opt-');
    chmodSync(app, 0o755);
    const capture = join(app, 'resources', 'app.asar.unpacked', 'out', 'main', 'capture');
    mkdirSync(capture, { recursive: true });
    for (const f of ['helper-process.cjs', 'cap-adapter.cjs'])
      cpSync(join(ROOT, 'src-main', 'capture', f), join(capture, f));
    const cap = join(app, 'resources', 'app.asar.unpacked', 'node_modules', 'cap');
    for (const p of ['package.json', 'lib', 'build/Release/cap.node'])
      cpSync(join(ROOT, 'node_modules', 'cap', p), join(cap, p), { recursive: true });
    cpSync(process.execPath, join(app, 'tcplab'));
    launcher = join(app, 'resources', 'tcplab-capture-helper');
    execFileSync('cc', [
      '-O2',
      '-Wall',
      '-Werror',
      `-DTCPLAB_APP_DIR="${app}"`,
      '-DTCPLAB_EXECUTABLE="tcplab"',
      '-o',
      launcher,
      join(ROOT, 'build', 'linux', 'tcplab-capture-helper.c'),
    ]);
    execFileSync('chmod', ['-R', 'go-w', app]);
    // What postinst does, with nobody's group standing in for tcplab.
    execFileSync('chgrp', ['nogroup', launcher]);
    chmodSync(launcher, 0o750);
  });
  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  const runAsNobody = () =>
    spawnSync(
      tool('setpriv')!,
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', PROBE, launcher],
      {
        encoding: 'utf8',
        timeout: 20_000,
        cwd: '/tmp',
      },
    );

  it('lets a group member capture through its capabilities', () => {
    execFileSync('setcap', ['cap_net_raw,cap_net_admin=eip', launcher]);
    const r = runAsNobody();
    expect(r.stdout).toContain('"ok":true');
    expect(r.stdout).toContain('"linkTypeName"');
  });

  it('gives nothing without them: the open is refused for lack of permission', () => {
    execFileSync('setcap', ['-r', launcher]);
    const r = runAsNobody();
    expect(r.stdout).toContain('"code":"permission"');
    expect(r.stderr).toMatch(/no capture capabilities/);
  });

  it('refuses to run an Electron binary others could have replaced', () => {
    chmodSync(join(app, 'tcplab'), 0o777);
    try {
      const r = spawnSync(launcher, [], { encoding: 'utf8', timeout: 10_000 });
      expect(r.status).toBe(126);
      expect(r.stderr).toMatch(/must be owned by root and writable by root only/);
    } finally {
      chmodSync(join(app, 'tcplab'), 0o755);
    }
  });
});
