/**
 * The application menu (src-main/app/menu.ts) without Electron: the module
 * imports no Electron at run time (it is loaded here with no mock — the real
 * `electron` package would fail without its binary); the template has every
 * item the issue lists, each command with an accelerator; clicks become the
 * right MenuCommand; the macOS layout has the app menu; and the handler does
 * desktop-only actions itself and sends the rest through the service's
 * `app.menuAction`, which a real LabService carries out (theme, zoom, recent
 * files) or passes to the page as `app.action` events.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '../../../src-shared/contract';
import {
  ACCELERATORS,
  createMenuHandler,
  menuTemplate,
  recentLabel,
  type MenuContext,
} from '../../../src-main/app/menu';
import { LabService } from '../../../src-main/service';

const ctx: MenuContext = {
  platform: 'linux',
  appName: 'TCP Lab',
  packaged: true,
  recentFiles: ['/home/a/one.pcap', '/home/a/lab.tcplab'],
  labs: [{ name: 'handshake', title: 'The three-way handshake' }],
  theme: 'dark',
};

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
}

describe('menuTemplate', () => {
  it('does not import electron at run time', () => {
    const source = readFileSync(join(__dirname, '../../../src-main/app/menu.ts'), 'utf8');
    const imports = [...source.matchAll(/^import\s+(type\s+)?[^;]*from\s+'electron';/gm)];
    expect(imports.length).toBeGreaterThan(0);
    for (const m of imports) expect(m[1]).toBe('type ');
  });

  it('has every item the issue asks for', () => {
    const ids = flatten(menuTemplate(ctx, () => undefined)).map((i) => i.id);
    for (const id of [
      'open-capture',
      'open-lab',
      'menu-recent',
      'open-recent-0',
      'open-recent-1',
      'clear-recent',
      'save-capture',
      'export-ladder',
      'menu-theme',
      'theme-system',
      'theme-light',
      'theme-dark',
      'zoom-in',
      'zoom-out',
      'zoom-reset',
      'show-first-run',
      'menu-labs',
      'open-builtin-lab-handshake',
      'capture-permissions',
      'install-guide',
      'about',
    ]) {
      expect(ids, id).toContain(id);
    }
  });

  it('shows an accelerator on every command', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      for (const item of flatten(menuTemplate({ ...ctx, platform, packaged: false }, () => undefined))) {
        if (item.type === 'separator' || item.submenu || item.enabled === false) continue;
        // macOS's Services and Show All have no standard shortcut.
        if (item.role === 'services' || item.role === 'unhide') continue;
        expect(
          `${platform}: ${item.id ?? item.role ?? item.label} ${item.accelerator ?? 'none'}`,
        ).not.toMatch(/ none$/);
      }
    }
    const accels = Object.values(ACCELERATORS);
    expect(new Set(accels).size).toBe(accels.length);
  });

  it('checks the theme in use and labels recent files by name', () => {
    const items = flatten(menuTemplate(ctx, () => undefined));
    expect(items.find((i) => i.id === 'theme-dark')?.checked).toBe(true);
    expect(items.find((i) => i.id === 'theme-light')?.checked).toBe(false);
    expect(items.find((i) => i.id === 'open-recent-0')?.label).toBe('one.pcap');
    expect(recentLabel('/a/x.pcap', ['/a/x.pcap', '/b/x.pcap'])).toBe('x.pcap — /a/x.pcap');
    const empty = flatten(menuTemplate({ ...ctx, recentFiles: [], labs: [] }, () => undefined));
    expect(empty.find((i) => i.id === 'no-recent')?.enabled).toBe(false);
    expect(empty.find((i) => i.id === 'clear-recent')?.enabled).toBe(false);
    expect(empty.find((i) => i.id === 'no-labs')).toBeDefined();
  });

  it('turns clicks into commands', () => {
    const dispatch = vi.fn();
    const items = flatten(menuTemplate(ctx, dispatch));
    const click = (id: string) => (items.find((i) => i.id === id)!.click as () => void)();
    click('open-capture');
    click('open-recent-1');
    click('open-builtin-lab-handshake');
    click('theme-light');
    click('zoom-in');
    expect(dispatch.mock.calls.map((c) => c[0])).toEqual([
      { action: 'open-capture' },
      { action: 'open-recent', index: 1 },
      { action: 'open-builtin-lab', name: 'handshake' },
      { action: 'theme-light' },
      { action: 'zoom-in' },
    ]);
  });

  it('puts About and Quit in the app menu on macOS, and Developer Tools only unpackaged', () => {
    const mac = menuTemplate({ ...ctx, platform: 'darwin' }, () => undefined);
    expect(mac[0].id).toBe('menu-app');
    expect(flatten([mac[0]]).map((i) => i.id)).toContain('about');
    const linux = menuTemplate(ctx, () => undefined);
    expect(linux.map((m) => m.id)).toEqual(['menu-file', 'menu-edit', 'menu-view', 'menu-help']);
    expect(flatten(linux).some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect(
      flatten(menuTemplate({ ...ctx, packaged: false }, () => undefined)).some(
        (i) => i.role === 'toggleDevTools',
      ),
    ).toBe(true);
  });
});

describe('createMenuHandler with a LabService', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  async function setup() {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-menu-'));
    const service = new LabService({
      host: 'electron',
      dataDir: dir,
      settingsFile: join(dir, 'settings.json'),
      settings: {
        probeCapture: async () => ({
          available: true,
          method: 'direct',
          reason: 'ok',
          advice: null,
          doc: null,
          interfaces: 1,
        }),
      },
    });
    const events: LabEvent[] = [];
    service.subscribe((b) => events.push(...b));
    const deps = {
      invoke: (name: 'app.menuAction', args: object) => service.handle(name, args),
      chooseFile: vi.fn(async (kind: 'capture' | 'lab') => (kind === 'capture' ? '/tmp/picked.pcap' : null)),
      openCapture: vi.fn(),
      openLab: vi.fn(),
      showCapturePermissions: vi.fn(),
      openInstallGuide: vi.fn(),
      showAbout: vi.fn(),
      showError: vi.fn(),
    };
    const flush = () => new Promise((r) => setTimeout(r, 40));
    return { service, events, deps, handler: createMenuHandler(deps), flush };
  }

  it('does desktop-only actions itself', async () => {
    const { service, deps, handler } = await setup();
    await handler({ action: 'open-capture' });
    expect(deps.openCapture).toHaveBeenCalledWith('/tmp/picked.pcap');
    await handler({ action: 'open-lab' });
    expect(deps.openLab).not.toHaveBeenCalled();
    await handler({ action: 'about' });
    await handler({ action: 'capture-permissions' });
    await handler({ action: 'install-guide' });
    expect(deps.showAbout).toHaveBeenCalled();
    expect(deps.showCapturePermissions).toHaveBeenCalled();
    expect(deps.openInstallGuide).toHaveBeenCalled();
    service.dispose();
  });

  it('sends theme, zoom and page actions through app.menuAction', async () => {
    const { service, events, handler, flush, deps } = await setup();
    await handler({ action: 'theme-dark' });
    await handler({ action: 'zoom-in' });
    await handler({ action: 'zoom-in' });
    await handler({ action: 'export-ladder' });
    await handler({ action: 'show-first-run' });
    await flush();
    expect(deps.showError).not.toHaveBeenCalled();
    const settings = await service.call('settings.get', {});
    expect(settings.theme).toBe('dark');
    expect(settings.zoom).toBeCloseTo(1.2);
    expect(JSON.parse(readFileSync(join(dir!, 'settings.json'), 'utf8')).theme).toBe('dark');
    expect(events).toContainEqual(expect.objectContaining({ type: 'settings.changed' }));
    expect(events).toContainEqual({ type: 'app.action', action: 'export-ladder' });
    expect(events).toContainEqual({ type: 'app.action', action: 'show-first-run' });
    service.dispose();
  });

  it('opens a recent file by its index, and says when it is gone', async () => {
    const { service, handler, deps, flush } = await setup();
    const pcap = join(dir!, 'recent.pcap');
    writeFileSync(pcap, readFileSync(join(__dirname, '../../../resources/captures/first-connection.pcap')));
    service.settings.store.addRecent(pcap);
    service.settings.store.addRecent(join(dir!, 'missing.pcap'));
    await handler({ action: 'open-recent', index: 1 });
    expect(deps.showError).not.toHaveBeenCalled();
    expect((await service.call('files.list', {})).map((f) => f.name)).toEqual(['recent.pcap']);
    await handler({ action: 'open-recent', index: 1 });
    expect(deps.showError).toHaveBeenCalledWith(expect.stringMatching(/missing\.pcap is gone/));
    await flush();
    expect((await service.call('settings.get', {})).recentFiles).toEqual([pcap]);
    service.dispose();
  });
});
