/**
 * The capture-permission pieces the installers ship, checked as files: the
 * polkit policy is well-formed XML with the action org.tcplab.capture, sane
 * defaults (admin authentication for active sessions only) and an exec.path
 * that is exactly where the deb/rpm install the capture launcher; the macOS
 * entitlements and launch daemon parse as property lists; the launcher's C
 * source names the same paths; the fuse table in docs/install.md equals
 * build/fuses.cjs, and the afterPack hook hands exactly those fuses (by
 * @electron/fuses' own enum) to electron-builder — and, on Linux, compiles
 * the launcher with the install path baked in. Every install-guide section
 * the app's permission advice points to exists.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  capturePermissionAdvice,
  INSTALL_SECTIONS,
  withPermissionAdvice,
} from '../../../src-main/capture/permission-advice';

const require = createRequire(import.meta.url);
const ROOT = join(__dirname, '..', '..', '..');
const { DOMParser } = require('@xmldom/xmldom') as {
  DOMParser: new (opts: { onError?: (level: string, msg: string) => void; errorHandler?: unknown }) => {
    parseFromString(text: string, mime: string): XmlDocument;
  };
};
const plist = require('plist') as { parse(text: string): unknown };
const { FUSES, fuseConfig } = require('../../../build/fuses.cjs') as {
  FUSES: Record<string, boolean>;
  fuseConfig(v: unknown, o: unknown, opts?: { resetAdHocDarwinSignature?: boolean }): Record<string, unknown>;
};
const afterPackModule = require('../../../build/after-pack.cjs') as {
  default(context: unknown): Promise<void>;
  launcherCompileArgs(o: { appDir: string; executable: string; output: string }): string[];
};

interface XmlNode {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlNode>;
  textContent: string | null;
}
interface XmlDocument extends XmlNode {
  documentElement: XmlNode & { tagName: string };
}

function parseXml(text: string): XmlDocument {
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: (m: string) => problems.push(`warning: ${m}`),
      error: (m: string) => problems.push(`error: ${m}`),
      fatalError: (m: string) => problems.push(`fatal: ${m}`),
    },
  }).parseFromString(text, 'text/xml');
  expect(problems).toEqual([]);
  return doc;
}

const config = parseYaml(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as {
  productName: string;
  linux: { executableName: string };
};
const INSTALL_DIR = `/opt/${config.productName}`;
const LAUNCHER = `${INSTALL_DIR}/resources/tcplab-capture-helper`;

describe('the polkit policy', () => {
  const doc = parseXml(readFileSync(join(ROOT, 'build/linux/org.tcplab.capture.policy'), 'utf8'));

  it('is a policyconfig with the action org.tcplab.capture', () => {
    expect(doc.documentElement.tagName).toBe('policyconfig');
    const actions = Array.from(doc.getElementsByTagName('action'));
    expect(actions.map((a) => a.getAttribute('id'))).toEqual(['org.tcplab.capture']);
    const action = actions[0];
    expect(action.getElementsByTagName('description')[0].textContent).toMatch(/capture/i);
    expect(action.getElementsByTagName('message')[0].textContent).toMatch(/administrator/i);
  });

  it('asks active sessions for an admin password and refuses the rest', () => {
    const defaults = doc.getElementsByTagName('defaults')[0];
    const value = (tag: string) => defaults.getElementsByTagName(tag)[0].textContent?.trim();
    expect(value('allow_any')).toBe('no');
    expect(value('allow_inactive')).toBe('no');
    expect(value('allow_active')).toBe('auth_admin_keep');
  });

  it('lets pkexec run exactly the installed capture launcher', () => {
    const annotations = Object.fromEntries(
      Array.from(doc.getElementsByTagName('annotate')).map((a) => [
        a.getAttribute('key'),
        a.textContent?.trim(),
      ]),
    );
    expect(annotations['org.freedesktop.policykit.exec.path']).toBe(LAUNCHER);
    const source = readFileSync(join(ROOT, 'build/linux/tcplab-capture-helper.c'), 'utf8');
    expect(source).toContain(`#define TCPLAB_APP_DIR "${INSTALL_DIR}"`);
    expect(source).toContain(`#define TCPLAB_EXECUTABLE "${config.linux.executableName}"`);
    expect(source).toContain('ELECTRON_RUN_AS_NODE=1');
  });
});

describe('the macOS files', () => {
  it('parse as property lists, with no more entitlements than V8 needs', () => {
    const ent = plist.parse(readFileSync(join(ROOT, 'build/macos/entitlements.mac.plist'), 'utf8')) as Record<
      string,
      boolean
    >;
    expect(Object.keys(ent).sort()).toEqual([
      'com.apple.security.cs.allow-jit',
      'com.apple.security.cs.allow-unsigned-executable-memory',
    ]);
    const daemon = plist.parse(
      readFileSync(join(ROOT, 'build/macos/chmodbpf/org.tcplab.ChmodBPF.plist'), 'utf8'),
    ) as {
      Label: string;
      ProgramArguments: string[];
      RunAtLoad: boolean;
    };
    expect(daemon.Label).toBe('org.tcplab.ChmodBPF');
    expect(daemon.RunAtLoad).toBe(true);
    expect(readFileSync(join(ROOT, 'build/macos/chmodbpf/install.sh'), 'utf8')).toContain(
      daemon.ProgramArguments[0].replace('/ChmodBPF', ''),
    );
  });
});

/** The fuse table of docs/install.md's "Electron fuses" section: name → on/off. */
function fuseTable(): Record<string, boolean> {
  const doc = readFileSync(join(ROOT, 'docs/install.md'), 'utf8');
  const section = doc.split(/^## Electron fuses$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows: Record<string, boolean> = {};
  for (const line of section.split('\n')) {
    const m = /^\|\s*(\w+)\s*\|\s*(on|off)\s*\|$/.exec(line.trim());
    if (m) rows[m[1]] = m[2] === 'on';
  }
  return rows;
}

describe('the Electron fuses', () => {
  it('are what docs/install.md says', () => {
    const table = fuseTable();
    expect(Object.keys(table).length).toBeGreaterThanOrEqual(6);
    expect(table).toEqual(FUSES);
  });

  it('are the ones issue 9 asks for', () => {
    expect(FUSES).toMatchObject({
      RunAsNode: true, // the capture helper is Electron run as Node: see docs/install.md
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
    });
  });

  it('are flipped by the afterPack hook through @electron/fuses', async () => {
    const { FuseV1Options, FuseVersion } = await import('@electron/fuses');
    const calls: Array<Record<string, unknown>> = [];
    const context = {
      electronPlatformName: 'darwin',
      arch: 3, // arm64: the ad-hoc signature must be reset
      appOutDir: '/nonexistent',
      packager: { addElectronFuses: async (_ctx: unknown, c: Record<string, unknown>) => void calls.push(c) },
    };
    await afterPackModule.default(context);
    expect(calls).toHaveLength(1);
    const expected = fuseConfig(FuseVersion, FuseV1Options, { resetAdHocDarwinSignature: true });
    expect(calls[0]).toEqual(expected);
    for (const [name, on] of Object.entries(FUSES)) {
      expect(calls[0][FuseV1Options[name as keyof typeof FuseV1Options]]).toBe(on);
    }
    expect(calls[0].version).toBe(FuseVersion.V1);
  });

  const cc = ['/usr/bin/cc', '/usr/bin/gcc'].find((p) => existsSync(p));
  it.skipIf(process.platform !== 'linux' || !cc)(
    'compile the Linux capture launcher in the same hook',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'tcplab-afterpack-'));
      try {
        const calls: unknown[] = [];
        await afterPackModule.default({
          electronPlatformName: 'linux',
          arch: { x64: 1, arm64: 3, ia32: 0 }[process.arch as 'x64'] ?? 1,
          appOutDir: out,
          packager: {
            appInfo: { sanitizedProductName: config.productName },
            executableName: config.linux.executableName,
            addElectronFuses: async () => void calls.push(1),
          },
        });
        const launcher = join(out, 'resources', 'tcplab-capture-helper');
        expect(statSync(launcher).mode & 0o111).not.toBe(0);
        expect(
          readFileSync(launcher).includes(
            Buffer.from(LAUNCHER.replace('/resources/tcplab-capture-helper', '')),
          ),
        ).toBe(true);
        expect(calls).toHaveLength(1);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );

  it('refuse an install path that would break the compiler command line', () => {
    expect(() =>
      afterPackModule.launcherCompileArgs({ appDir: '/opt/a"b', executable: 'x', output: '/tmp/x' }),
    ).toThrow();
    const args = afterPackModule.launcherCompileArgs({
      appDir: INSTALL_DIR,
      executable: 'tcplab',
      output: '/tmp/x',
    });
    expect(args).toContain(`-DTCPLAB_APP_DIR="${INSTALL_DIR}"`);
  });
});

describe('the permission advice', () => {
  const guide = readFileSync(join(ROOT, 'docs/install.md'), 'utf8');
  const anchors = new Set(
    [...guide.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  it('points to sections that exist in docs/install.md', () => {
    for (const section of Object.values(INSTALL_SECTIONS)) expect(anchors.has(section), section).toBe(true);
    const cases: Array<[string, boolean, object]> = [
      ['linux', true, {}],
      ['linux', true, { method: 'pkexec' }],
      ['linux', true, { appImage: true }],
      ['darwin', true, {}],
      ['win32', true, {}],
      ['linux', false, {}],
    ];
    for (const [platform, packaged, opts] of cases) {
      const a = capturePermissionAdvice(platform, packaged, opts);
      expect(anchors.has(a.section), a.section).toBe(true);
      expect(a.doc).toBe(`docs/install.md#${a.section}`);
    }
  });

  it('tells each platform its own way, and never to setcap the app itself', () => {
    expect(capturePermissionAdvice('linux', true).text).toMatch(/usermod -aG tcplab/);
    expect(capturePermissionAdvice('darwin', true).text).toMatch(/access_bpf/);
    expect(capturePermissionAdvice('win32', true).text).toMatch(/Npcap/);
    expect(capturePermissionAdvice('linux', true).text).not.toMatch(/setcap[^']*'\/opt\/TCP Lab\/tcplab'/);
  });

  it("replaces the helper's generic advice in a refusal", () => {
    const helper =
      'No permission to capture on eth0 (libpcap: socket: Operation not permitted). Run the capture helper as root (sudo), or grant its Node binary the two capabilities once: sudo setcap cap_net_raw,cap_net_admin=eip /opt/TCP Lab/tcplab';
    const msg = withPermissionAdvice(helper, capturePermissionAdvice('linux', true));
    expect(msg).toMatch(
      /^No permission to capture on eth0 \(libpcap: socket: Operation not permitted\)\. Your account/,
    );
    expect(msg).not.toContain('/opt/TCP Lab/tcplab');
  });
});
