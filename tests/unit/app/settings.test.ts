/**
 * Settings and window state on disk: settings.json is written atomically
 * (no temporary file left behind, the old file intact if a write fails),
 * read field by field (a damaged file or a wrong field falls back to the
 * defaults, with a warning the service turns into a log event), and applied
 * to Electron's nativeTheme and the window's zoom; the window's saved bounds
 * are fitted to the displays there are now; the first-run answer reports
 * live capture as the probe found it, and never probes when that would ask
 * for a password.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '../../../src-shared/contract';
import { applySettings, settingsPaths } from '../../../src-main/app/settings';
import {
  fitToDisplays,
  readWindowState,
  trackWindowState,
  writeWindowState,
} from '../../../src-main/app/window-state';
import { capturePermissionAdvice } from '../../../src-main/capture/permission-advice';
import { LabService } from '../../../src-main/service';
import {
  nextZoom,
  readSettingsFile,
  SettingsStore,
  writeJsonAtomic,
} from '../../../src-main/service/settings-service';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcplab-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('settings.json', () => {
  it('starts from the defaults when there is no file', () => {
    expect(readSettingsFile(join(dir, 'none.json'))).toEqual({
      settings: { theme: 'system', zoom: 1, firstRunDone: false, recentFiles: [] },
      warnings: [],
    });
  });

  it('falls back to the defaults, with a warning, when the file is damaged', () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, '{"theme": "dark", "zoom": ');
    const r = readSettingsFile(file);
    expect(r.settings.theme).toBe('system');
    expect(r.warnings[0]).toMatch(/damaged.*default settings/);
  });

  it('keeps the good fields and replaces the wrong ones', () => {
    const file = join(dir, 'settings.json');
    writeFileSync(
      file,
      JSON.stringify({ theme: 'dark', zoom: 40, recentFiles: ['/a', '/a', 3], future: true }),
    );
    const r = readSettingsFile(file);
    expect(r.settings.theme).toBe('dark');
    expect(r.settings.zoom).toBe(1);
    expect(r.settings.recentFiles).toEqual([]);
    expect(r.warnings).toHaveLength(2);
  });

  it('writes atomically and leaves no temporary file', () => {
    const file = join(dir, 'sub', 'settings.json');
    const store = new SettingsStore(file);
    store.update({ theme: 'light' });
    store.addRecent('/tmp/a.pcap');
    store.addRecent('/tmp/b.pcap');
    store.addRecent('/tmp/a.pcap');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      theme: 'light',
      recentFiles: ['/tmp/a.pcap', '/tmp/b.pcap'],
    });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['settings.json']);
    expect(() => writeJsonAtomic(join(dir, 'sub', 'settings.json', 'x.json'), {})).toThrow();
    expect(readdirSync(join(dir, 'sub'))).toEqual(['settings.json']);
  });

  it('keeps a change for the session when the file cannot be written, and says so', () => {
    writeFileSync(join(dir, 'blocker'), '');
    const warn = vi.fn();
    const store = new SettingsStore(join(dir, 'blocker', 'settings.json'), warn);
    expect(store.update({ theme: 'dark' }).theme).toBe('dark');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Cannot save the settings/));
  });

  it('reaches the page as a warning when LabService loads a damaged file', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, 'not json');
    const service = new LabService({ host: 'web', dataDir: dir, settingsFile: file });
    const events: LabEvent[] = [];
    service.subscribe((b) => events.push(...b));
    await new Promise((r) => setTimeout(r, 40));
    expect(events).toContainEqual(expect.objectContaining({ type: 'log', level: 'warn' }));
    const s = await service.call('settings.set', { theme: 'dark', firstRunDone: true });
    expect(s).toMatchObject({ theme: 'dark', firstRunDone: true });
    expect(JSON.parse(readFileSync(file, 'utf8')).theme).toBe('dark');
    service.dispose();
  });

  it('steps the zoom and clamps it', () => {
    expect(nextZoom(1, 1)).toBe(1.1);
    expect(nextZoom(0.5, -1)).toBe(0.5);
    expect(nextZoom(3, 1)).toBe(3);
    expect(nextZoom(1.7, 0)).toBe(1);
  });

  it('applies the theme to nativeTheme and the zoom to the window', () => {
    const theme = { themeSource: 'system' as 'system' | 'light' | 'dark', shouldUseDarkColors: false };
    const contents = { setZoomFactor: vi.fn(), isDestroyed: () => false };
    applySettings({ theme: 'dark', zoom: 1.25, firstRunDone: true, recentFiles: [] }, theme, contents);
    expect(theme.themeSource).toBe('dark');
    expect(contents.setZoomFactor).toHaveBeenCalledWith(1.25);
    expect(settingsPaths('/u')).toEqual({
      settings: '/u/settings.json',
      windowState: '/u/window-state.json',
    });
  });
});

describe('window state', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const second = { x: 1920, y: 0, width: 1280, height: 1024 };

  it('keeps a window that is on a display', () => {
    const st = { x: 2000, y: 50, width: 1000, height: 700, maximized: false, fullScreen: false };
    expect(fitToDisplays(st, [primary, second])).toEqual(st);
  });

  it('centres a window whose display is gone, and shrinks one larger than the screen', () => {
    const st = { x: 2000, y: 50, width: 3000, height: 2000, maximized: true, fullScreen: false };
    const fitted = fitToDisplays(st, [primary]);
    expect(fitted.x).toBeUndefined();
    expect(fitted).toMatchObject({ width: 1920, height: 1040, maximized: true });
    expect(fitToDisplays(null, [primary])).toMatchObject({ width: 1280, height: 820 });
  });

  it('is saved when the window changes and read back; damage reads as none', async () => {
    const file = join(dir, 'window-state.json');
    let bounds = { x: 10, y: 20, width: 900, height: 600 };
    const listeners = new Map<string, () => void>();
    const win = {
      getNormalBounds: () => bounds,
      isMaximized: () => false,
      isFullScreen: () => false,
      isDestroyed: () => false,
      on: (ev: string, l: () => void) => listeners.set(ev, l),
    };
    trackWindowState(win, (s) => writeWindowState(file, s), 5);
    bounds = { x: 30, y: 40, width: 1000, height: 700 };
    listeners.get('move')!();
    await new Promise((r) => setTimeout(r, 30));
    expect(readWindowState(file)).toEqual({ ...bounds, maximized: false, fullScreen: false });
    writeFileSync(file, '{"width": "wide"}');
    expect(readWindowState(file)).toBeNull();
  });
});

describe('app.firstRun', () => {
  it('reports capture as the probe found it, and offers the sample, a simulation', async () => {
    const probe = vi.fn(async () => ({
      available: false,
      method: 'direct',
      reason: 'No permission to capture on lo.',
      advice: 'do this',
      doc: 'docs/install.md#linux-live-capture',
      interfaces: 2,
    }));
    const service = new LabService({ host: 'web', dataDir: dir, settings: { probeCapture: probe } });
    const info = await service.call('app.firstRun', {});
    expect(info.show).toBe(true);
    expect(info.sampleCapture?.name).toBe('first-connection.pcap');
    expect(info.simulation?.name).toBe('handshake');
    expect(info.capture).toMatchObject({ available: false, doc: 'docs/install.md#linux-live-capture' });
    await service.call('app.firstRun', {});
    expect(probe).toHaveBeenCalledTimes(1);
    await service.call('app.firstRun', { recheck: true });
    expect(probe).toHaveBeenCalledTimes(2);
    const f = await service.call('files.openSample', { name: 'first-connection.pcap' });
    expect(f.sessions).toBe(2);
    await expect(service.call('files.openSample', { name: 'nope.pcap' })).rejects.toThrow(
      /no sample capture/,
    );
    service.dispose();
  });

  it('does not try capture when it would ask for a password (pkexec)', async () => {
    const createClient = vi.fn();
    const service = new LabService({
      host: 'electron',
      dataDir: dir,
      settings: {
        createClient,
        capture: {
          method: 'pkexec',
          note: 'You are not in the tcplab group.',
          advice: capturePermissionAdvice('linux', true, { method: 'pkexec' }),
        },
      },
    });
    const info = await service.call('app.firstRun', {});
    expect(createClient).not.toHaveBeenCalled();
    expect(info.capture.available).toBeNull();
    expect(info.capture.reason).toMatch(/no password is asked/);
    expect(info.capture.doc).toBe('docs/install.md#linux-live-capture');
    service.dispose();
  });

  it('probes with a real capture helper here', async () => {
    const service = new LabService({ host: 'web', dataDir: dir });
    const info = await service.call('app.firstRun', {});
    // As root with libpcap, capture works; otherwise the reason says why, with the advice and the guide's section.
    if (info.capture.available) expect(info.capture.interfaces).toBeGreaterThan(0);
    else expect(info.capture.reason.length).toBeGreaterThan(10);
    service.dispose();
  });
});
