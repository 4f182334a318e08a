/**
 * The installed app's layout, simulated without electron-builder or an
 * Electron runtime: a temporary folder is laid out the way electron-builder.yml
 * says — `resources/app.asar` (a real asar of the staged app),
 * `resources/app.asar.unpacked/` holding exactly the files the config's
 * `asarUnpack` patterns match, and the `extraResources` copied where the
 * config puts them — then `process.resourcesPath` points at it and
 * packaged-paths.ts (with `isPackaged` true) must find the scenarios, labs,
 * sample captures, the capture helper and its native module there. The
 * helper is then started from the unpacked folder — outside the repository,
 * so `require('cap')` can only succeed through the unpacked copy — and lists
 * the interfaces. The helper plan's choice per platform is checked with fake
 * file probes.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  applyPackagedEnvironment,
  captureHelperPlan,
  helperFiles,
  installGuidePath,
  packagedEnv,
  resolveCapFrom,
  resourcePath,
  resourcesDir,
  type PackagedEnv,
} from '../../../src-main/app/packaged-paths';
import { CaptureHelperClient } from '../../../src-main/capture/helper-client';
import { listScenarios } from '../../../src-main/engine';
import { SettingsService } from '../../../src-main/service/settings-service';

const require = createRequire(import.meta.url);
const minimatch = require('minimatch') as (
  path: string,
  pattern: string,
  opts?: { dot?: boolean },
) => boolean;
const asar = require('@electron/asar') as {
  createPackage(src: string, dest: string): Promise<unknown>;
  listPackage(archive: string, opts: { isPack: boolean }): string[];
};

const ROOT = join(__dirname, '..', '..', '..');
interface ExtraResource {
  from: string;
  to: string;
  filter?: string[];
}
interface BuilderYml {
  asarUnpack: string[];
  extraResources: ExtraResource[];
  linux: { extraResources?: ExtraResource[]; executableName: string };
}
const config = parseYaml(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderYml;
const CAP_NATIVE = join(ROOT, 'node_modules', 'cap', 'build', 'Release', 'cap.node');
const hasCap = existsSync(CAP_NATIVE);

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

/** Copies an extraResources entry the way electron-builder does (from → resources/to, filtered). */
function copyExtra(entry: ExtraResource, resources: string): void {
  const from = join(ROOT, entry.from);
  const to = join(resources, entry.to);
  if (statSync(from).isFile()) {
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to);
    return;
  }
  for (const rel of walk(from)) {
    if (entry.filter && !entry.filter.some((f) => minimatch(rel, f, { dot: true }))) continue;
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    cpSync(join(from, rel), join(to, rel));
  }
}

let tmp: string;
let resources: string;
let stage: string;
const savedResourcesPath = (process as { resourcesPath?: string }).resourcesPath;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tcplab-packaged-'));
  stage = join(tmp, 'stage');
  resources = join(tmp, 'TCP Lab', 'resources');
  // The staged app: what `files` in electron-builder.yml takes (built out/, package.json, runtime modules).
  mkdirSync(join(stage, 'out', 'main', 'capture'), { recursive: true });
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'tcplab', main: 'out/main/index.js' }));
  writeFileSync(join(stage, 'out', 'main', 'index.js'), '// main bundle\n');
  for (const f of ['helper-process.cjs', 'cap-adapter.cjs']) {
    cpSync(join(ROOT, 'src-main', 'capture', f), join(stage, 'out', 'main', 'capture', f));
  }
  const cap = join(stage, 'node_modules', 'cap');
  cpSync(join(ROOT, 'node_modules', 'cap', 'package.json'), join(cap, 'package.json'));
  cpSync(join(ROOT, 'node_modules', 'cap', 'lib'), join(cap, 'lib'), { recursive: true });
  if (hasCap) cpSync(CAP_NATIVE, join(cap, 'build', 'Release', 'cap.node'));
  mkdirSync(join(stage, 'node_modules', 'yaml'), { recursive: true });
  writeFileSync(join(stage, 'node_modules', 'yaml', 'package.json'), '{"name":"yaml"}');

  mkdirSync(resources, { recursive: true });
  await asar.createPackage(stage, join(resources, 'app.asar'));
  for (const rel of walk(stage)) {
    if (!config.asarUnpack.some((p) => minimatch(rel, p, { dot: true }))) continue;
    const dest = join(resources, 'app.asar.unpacked', rel);
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(join(stage, rel), dest);
  }
  for (const e of [...config.extraResources, ...(config.linux.extraResources ?? [])]) copyExtra(e, resources);
  (process as { resourcesPath?: string }).resourcesPath = resources;
});

afterAll(() => {
  (process as { resourcesPath?: string }).resourcesPath = savedResourcesPath;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function env(over: Partial<PackagedEnv> = {}): PackagedEnv {
  return { ...packagedEnv({ isPackaged: true }), platform: 'linux', env: {}, ...over };
}

describe('the packaged layout', () => {
  it('keeps the app in the asar and the helper and cap outside it', () => {
    const inside = asar
      .listPackage(join(resources, 'app.asar'), { isPack: false })
      .map((p) => p.replace(/\\/g, '/'));
    expect(inside).toContain('/out/main/index.js');
    const files = helperFiles(env());
    expect(files.helper).toBe(
      join(resources, 'app.asar.unpacked', 'out', 'main', 'capture', 'helper-process.cjs'),
    );
    expect(existsSync(files.helper)).toBe(true);
    expect(existsSync(files.adapter)).toBe(true);
    expect(existsSync(join(files.capDir, 'lib', 'Cap.js'))).toBe(true);
    if (hasCap) expect(existsSync(files.capNative)).toBe(true);
    // Node's resolution from the helper's folder finds the unpacked cap, not anything in the asar.
    expect(resolveCapFrom(files.helper)).toBe(files.capDir);
  });

  it('finds scenarios, labs, samples and the install guide in the resources folder', () => {
    const e = env();
    expect(resourcesDir(e)).toBe(resources);
    expect(existsSync(resourcePath(e, 'scenarios', 'handshake.yaml'))).toBe(true);
    expect(existsSync(resourcePath(e, 'labs'))).toBe(true);
    expect(existsSync(resourcePath(e, 'captures', 'first-connection.pcap'))).toBe(true);
    expect(existsSync(installGuidePath(e))).toBe(true);
    expect(existsSync(join(resources, 'linux', 'org.tcplab.capture.policy'))).toBe(true);
  });

  it('points the engine at the packaged scenarios through TCPLAB_SCENARIOS', () => {
    const e = env();
    const set = applyPackagedEnvironment(e);
    expect(set.TCPLAB_SCENARIOS).toBe(join(resources, 'scenarios'));
    expect(e.env.TCPLAB_LABS).toBe(join(resources, 'labs'));
    const names = listScenarios(e.env.TCPLAB_SCENARIOS!).map((s) => s.name);
    expect(names).toContain('handshake');
    // A value the user set wins; nothing changes when unpackaged.
    const mine = env({ env: { TCPLAB_SCENARIOS: '/mine' } });
    applyPackagedEnvironment(mine);
    expect(mine.env.TCPLAB_SCENARIOS).toBe('/mine');
    const dev = env({ isPackaged: false });
    expect(applyPackagedEnvironment(dev)).toEqual({});
  });

  it('offers the packaged sample capture on the first-run screen', async () => {
    const opened: string[] = [];
    const svc = new SettingsService({
      emit: () => undefined,
      openFile: (p) => {
        opened.push(p);
        return {
          id: 1,
          name: 'x',
          format: 'pcap',
          packets: 0,
          tcpPackets: 0,
          malformed: 0,
          malformedSamples: [],
          sessions: 0,
        };
      },
      openLab: () => 'none',
      settingsFile: null,
      resourcesDir: resourcesDir(env()),
      probeCapture: async () => ({
        available: false,
        method: 'direct',
        reason: 'test',
        advice: null,
        doc: null,
        interfaces: 0,
      }),
    });
    const info = await svc.firstRun(false);
    expect(info.sampleCapture?.name).toBe('first-connection.pcap');
    expect(info.simulation?.name).toBe('handshake');
    svc.openSample('first-connection.pcap');
    expect(opened).toEqual([join(resources, 'captures', 'first-connection.pcap')]);
  });

  it.skipIf(!hasCap)('runs the capture helper from the unpacked folder', async () => {
    const plan = captureHelperPlan(env({ platform: 'darwin' }));
    expect(plan.method).toBe('direct');
    // As Electron would run it (ELECTRON_RUN_AS_NODE), with this Node standing in for Electron.
    const client = new CaptureHelperClient({ ...plan.options, execPath: process.execPath });
    try {
      const list = await client.listInterfaces();
      expect(list.length).toBeGreaterThan(0);
    } finally {
      await client.dispose();
    }
  });
});

describe('captureHelperPlan', () => {
  const launcher = () => join(resources, 'tcplab-capture-helper');
  const probes = (present: string[], executable: string[]) => ({
    exists: (p: string) => present.includes(p),
    canExecute: (p: string) => executable.includes(p),
  });

  it('uses the launcher directly when this user may run it (tcplab group)', () => {
    const plan = captureHelperPlan(env({ ...probes([launcher()], [launcher()]) }));
    expect(plan.method).toBe('launcher');
    expect(plan.options).toEqual({ helperPath: helperFiles(env()).helper, execPath: launcher() });
  });

  it('goes through pkexec when the user is not in the group and polkit has the action', () => {
    const plan = captureHelperPlan(
      env({
        ...probes(
          [launcher(), '/usr/bin/pkexec', '/usr/share/polkit-1/actions/org.tcplab.capture.policy'],
          [],
        ),
      }),
    );
    expect(plan.method).toBe('pkexec');
    expect(plan.options?.wrapper).toEqual(['/usr/bin/pkexec']);
    expect(plan.options?.execPath).toBe(launcher());
    expect(plan.advice.section).toBe('linux-live-capture');
  });

  it('runs Electron as Node, unprivileged, elsewhere', () => {
    const execPath = '/opt/TCP Lab/tcplab';
    for (const e of [
      env({ execPath, ...probes([], []) }),
      env({ execPath, env: { APPIMAGE: '/home/u/TCP Lab.AppImage' }, ...probes([launcher()], [launcher()]) }),
      env({ execPath, platform: 'darwin' }),
      env({ execPath, platform: 'win32' }),
    ]) {
      const plan = captureHelperPlan(e);
      expect(plan.method).toBe('direct');
      expect(plan.options).toEqual({ helperPath: helperFiles(e).helper, execPath });
    }
    expect(captureHelperPlan(env({ env: { APPIMAGE: '/x.AppImage' } })).advice.section).toBe(
      'linux-appimage-live-capture',
    );
    expect(captureHelperPlan(env({ platform: 'darwin' })).advice.section).toBe('macos-live-capture');
    expect(captureHelperPlan(env({ platform: 'win32' })).advice.section).toBe('windows-live-capture');
  });

  it('leaves the helper client to its defaults when running from source', () => {
    const plan = captureHelperPlan(env({ isPackaged: false }));
    expect(plan.options).toBeUndefined();
    expect(plan.advice.section).toBe('live-capture-from-source');
  });
});
