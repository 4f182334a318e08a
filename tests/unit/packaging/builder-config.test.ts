/**
 * electron-builder.yml, checked without packaging anything: it loads through
 * electron-builder 26's own `getConfig` and passes its `validateConfiguration`
 * (the JSON schema electron-builder validates against before every build —
 * a misspelt key fails here, as a test with a bad key shows); and it says
 * what issue 9 asks for — ids and names, targets per platform, Education and
 * Network categories, the file associations, the asar-unpacked helper and
 * `cap`, `cap` rebuilt at packaging time, the resources folders, the hooks —
 * with every file it names present in the repository. The deb/rpm scripts are
 * electron-builder templates: only the macros it defines may appear in them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ROOT = join(__dirname, '..', '..', '..');

interface BuilderConfig {
  appId: string;
  productName: string;
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  afterPack: string;
  files: Array<string | { filter: string[] }>;
  extraResources: Array<{ from: string; to: string }>;
  fileAssociations: Array<{ ext: string; mimeType?: string; icon?: string }>;
  linux: {
    target: string[];
    category: string;
    icon: string;
    executableName: string;
    desktop: { entry: Record<string, string> };
    extraResources: Array<{ from: string; to: string }>;
  };
  deb: { afterInstall: string; afterRemove: string; depends: string[] };
  rpm: { afterInstall: string; afterRemove: string };
  mac: {
    target: string[];
    icon: string;
    entitlements: string;
    entitlementsInherit: string;
    extraResources: Array<{ from: string }>;
  };
  win: { target: string[]; icon: string; extraResources: Array<{ from: string }> };
  nsis: { include: string };
}

const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: unknown): Promise<BuilderConfig>;
  validateConfiguration(config: unknown, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

async function load(): Promise<BuilderConfig> {
  return getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null);
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own validation", async () => {
    const config = await load();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('is really validated: an unknown key is refused', async () => {
    const config = await load();
    const bad = { ...config, linux: { ...config.linux, categroy: 'Education' } };
    await expect(validateConfiguration(bad, new DebugLogger(false))).rejects.toThrow(
      /Invalid configuration object/,
    );
  });

  it('names the app and builds every platform', async () => {
    const c = await load();
    expect(c.appId).toBe('org.tcplab.TcpLab');
    expect(c.productName).toBe('TCP Lab');
    expect(c.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb', 'rpm']));
    expect(c.mac.target).toContain('dmg');
    expect(c.win.target).toContain('nsis');
    expect(c.linux.executableName).toBe('tcplab');
  });

  it('puts the desktop entry in Education and Network', async () => {
    const c = await load();
    expect(c.linux.category).toBe('Education');
    const categories = c.linux.desktop.entry.Categories.split(';').filter(Boolean);
    expect(categories).toEqual(expect.arrayContaining(['Education', 'Network']));
  });

  it('opens .pcap, .pcapng and .tcplab files', async () => {
    const c = await load();
    expect(c.fileAssociations.map((a) => a.ext).sort()).toEqual(['pcap', 'pcapng', 'tcplab']);
    for (const a of c.fileAssociations) expect(a.mimeType).toMatch(/^application\//);
  });

  it('unpacks the capture helper and cap from the asar and rebuilds cap for Electron', async () => {
    const c = await load();
    expect(c.asar).toBe(true);
    expect(c.asarUnpack).toEqual(expect.arrayContaining(['out/main/capture/**', 'node_modules/cap/**']));
    expect(c.npmRebuild).toBe(true);
    const filters = c.files.flatMap((f) => (typeof f === 'string' ? [f] : f.filter));
    expect(filters).toContain('out/**');
  });

  it('ships scenarios, labs, samples and the install guide as resources', async () => {
    const c = await load();
    const to = Object.fromEntries(c.extraResources.map((e) => [e.to, e.from]));
    expect(to).toMatchObject({
      scenarios: 'resources/scenarios',
      labs: 'resources/labs',
      captures: 'resources/captures',
      'docs/install.md': 'docs/install.md',
    });
    expect(c.linux.extraResources.map((e) => e.to)).toContain('linux/org.tcplab.capture.policy');
  });

  it('names only files that exist', async () => {
    const c = await load();
    const files = [
      c.afterPack,
      c.deb.afterInstall,
      c.deb.afterRemove,
      c.rpm.afterInstall,
      c.rpm.afterRemove,
      c.mac.icon,
      c.mac.entitlements,
      c.mac.entitlementsInherit,
      c.win.icon,
      c.nsis.include,
      ...c.extraResources.map((e) => e.from),
      ...c.linux.extraResources.map((e) => e.from),
      ...c.mac.extraResources.map((e) => e.from),
      ...c.win.extraResources.map((e) => e.from),
      ...c.fileAssociations.map((a) => `${a.icon}.png`),
    ];
    for (const f of files) expect(existsSync(join(ROOT, f)), f).toBe(true);
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      expect(existsSync(join(ROOT, c.linux.icon, `${size}x${size}.png`))).toBe(true);
    }
  });

  it('has real icons: PNG, ICO and ICNS signatures and sizes', () => {
    const icons = join(ROOT, 'resources', 'icons');
    const png = readFileSync(join(icons, '256x256.png'));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(256);
    const ico = readFileSync(join(icons, 'icon.ico'));
    expect(ico.readUInt16LE(2)).toBe(1);
    expect(ico.readUInt16LE(4)).toBeGreaterThanOrEqual(5);
    const icns = readFileSync(join(icons, 'icon.icns'));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
  });

  it('uses only the macros electron-builder defines in the package scripts', async () => {
    const c = await load();
    const allowed = new Set(['executable', 'sanitizedProductName', 'productFilename']);
    for (const script of [c.deb.afterInstall, c.deb.afterRemove]) {
      const text = readFileSync(join(ROOT, script), 'utf8');
      const macros = [...text.matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]);
      for (const m of macros) expect(allowed.has(m), `${script}: \${${m}}`).toBe(true);
      expect(text.startsWith('#!/bin/bash')).toBe(true);
    }
    const postinst = readFileSync(join(ROOT, c.deb.afterInstall), 'utf8');
    expect(postinst).toContain('setcap cap_net_raw,cap_net_admin=eip "$LAUNCHER"');
    expect(postinst).toContain('chmod 0750 "$LAUNCHER"');
    expect(postinst).toMatch(/groupadd --system "\$GROUP"/);
    expect(postinst).not.toMatch(/setcap[^\n]*\$APP_DIR\/\$EXE/); // never on the Electron binary
    expect(c.deb.depends).toEqual(
      expect.arrayContaining(['libpcap0.8', 'libcap2-bin', 'libgtk-3-0', 'libnss3']),
    );
  });
});
