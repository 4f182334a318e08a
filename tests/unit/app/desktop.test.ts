/**
 * The desktop life cycle (src-main/app/desktop.ts) with `electron` and the
 * service replaced at the boundary: the sandbox is enabled for all
 * renderers, a second instance quits, every web contents is hardened as it
 * is created, the session gets the CSP and the permission rules, the window
 * is created with the secure options and loads the built page (or the dev
 * server), the IPC handler is bound, and a capture on the command line opens
 * once the page has loaded; a lab file (the command line, or File → Open
 * Lab…) is loaded by the labs service and handed to the page by its id, and
 * a broken one is reported.
 */
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_INVOKE } from '../../../src-shared/contract';
import { captureFromArgv } from '../../../src-main/app/desktop';

const h = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown;
  class Emitter {
    listeners = new Map<string, Listener[]>();
    on(event: string, l: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), l]);
      return this;
    }
    once(event: string, l: Listener) {
      return this.on(event, l);
    }
    emit(event: string, ...args: unknown[]) {
      for (const l of this.listeners.get(event) ?? []) l(...args);
    }
  }
  const state = {
    lock: true,
    ready: Promise.resolve(),
    windows: [] as unknown[],
    services: [] as { opts: unknown; opened: string[] }[],
    handlers: new Map<string, unknown>(),
    userData: '/nonexistent/tcplab-test-user-data',
  };
  const app = Object.assign(new Emitter(), {
    isPackaged: true,
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: vi.fn(() => state.lock),
    quit: vi.fn(),
    whenReady: vi.fn(() => state.ready),
    getPath: vi.fn(() => state.userData),
    getVersion: () => '0.1.0',
    addRecentDocument: vi.fn(),
    setAboutPanelOptions: vi.fn(),
    showAboutPanel: vi.fn(),
  });
  const display = { id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1080 } };
  const session = {
    defaultSession: {
      webRequest: { onHeadersReceived: vi.fn() },
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
    },
  };
  class BrowserWindow extends Emitter {
    static getAllWindows = () => state.windows;
    options: unknown;
    webContents = Object.assign(new Emitter(), {
      mainFrame: { url: '', parent: null, processId: 1, routingId: 1 },
      isDestroyed: () => false,
      send: vi.fn(),
      setZoomFactor: vi.fn(),
    });
    loadFile = vi.fn(async () => undefined);
    loadURL = vi.fn(async () => undefined);
    show = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
    isMinimized = () => false;
    maximize = vi.fn();
    setFullScreen = vi.fn();
    setBackgroundColor = vi.fn();
    getNormalBounds = () => ({ x: 10, y: 10, width: 1280, height: 820 });
    isMaximized = () => false;
    isFullScreen = () => false;
    isDestroyed = () => false;
    constructor(options: unknown) {
      super();
      this.options = options;
      state.windows.push(this);
    }
  }
  return {
    state,
    Emitter,
    electron: {
      app,
      session,
      BrowserWindow,
      dialog: { showOpenDialog: vi.fn(), showMessageBox: vi.fn(async () => ({})) },
      shell: { openExternal: vi.fn(async () => undefined), openPath: vi.fn(async () => '') },
      Menu: { buildFromTemplate: vi.fn((t: unknown) => ({ template: t })), setApplicationMenu: vi.fn() },
      nativeTheme: Object.assign(new Emitter(), { themeSource: 'system', shouldUseDarkColors: false }),
      screen: { getPrimaryDisplay: () => display, getAllDisplays: () => [display] },
      ipcMain: {
        handle: (c: string, f: unknown) => state.handlers.set(c, f),
        removeHandler: (c: string) => state.handlers.delete(c),
      },
    },
  };
});

vi.mock('electron', () => h.electron);
vi.mock('../../../src-main/service', () => ({
  LabService: class {
    opened: string[] = [];
    events = { emit: vi.fn() };
    constructor(readonly opts: unknown) {
      h.state.services.push(this as never);
    }
    handle = vi.fn();
    subscribe = vi.fn(() => () => undefined);
    openPath(path: string) {
      if (path.endsWith('bad.pcap')) throw new Error('not a capture file');
      this.opened.push(path);
    }
    dispose = vi.fn();
    labs = {
      loadFile: vi.fn((path: string) => {
        if (path.includes('broken')) throw new Error('broken.tcplab:3:1: not valid YAML: bad indentation');
        return 'first';
      }),
    };
    settings = {
      store: {
        get: () => ({ theme: 'system', zoom: 1, firstRunDone: false, recentFiles: [] }),
        addRecent: vi.fn(),
        onChange: vi.fn(),
      },
      labs: () => [],
      captureAvailability: vi.fn(),
    };
  },
}));

const { startDesktop } = await import('../../../src-main/app/desktop');

type Mock = ReturnType<typeof vi.fn>;
/** What the tests read of the fake LabService. */
interface FakeService {
  events: { emit: Mock };
  labs: { loadFile: Mock };
  settings: { store: { addRecent: Mock } };
}
interface MenuItem {
  id?: string;
  click?: () => void;
  submenu?: MenuItem[];
}
function findItem(items: MenuItem[], id: string): MenuItem | undefined {
  for (const i of items) {
    if (i.id === id) return i;
    const sub = i.submenu && findItem(i.submenu, id);
    if (sub) return sub;
  }
  return undefined;
}
const paths = { preload: '/app/out/preload/index.js', rendererDir: '/app/out/renderer' };
type FakeWindow = InstanceType<typeof h.electron.BrowserWindow>;

/** Resets the fake Electron and starts the app; resolves once `whenReady` has run. */
async function start(opts: { lock?: boolean; argv?: string[]; devUrl?: string; packaged?: boolean } = {}) {
  h.state.lock = opts.lock ?? true;
  h.state.windows.length = 0;
  h.state.services.length = 0;
  h.state.handlers.clear();
  h.electron.app.listeners.clear();
  h.electron.app.isPackaged = opts.packaged ?? true;
  vi.clearAllMocks();
  const argv = process.argv;
  process.argv = opts.argv ?? ['/usr/bin/tcplab'];
  if (opts.devUrl) process.env['ELECTRON_RENDERER_URL'] = opts.devUrl;
  else delete process.env['ELECTRON_RENDERER_URL'];
  try {
    const started = startDesktop(paths);
    await h.state.ready;
    await new Promise((r) => setImmediate(r));
    return { started, win: h.state.windows[0] as FakeWindow | undefined, service: h.state.services[0] };
  } finally {
    process.argv = argv;
  }
}

beforeEach(() => {
  delete process.env['ELECTRON_RENDERER_URL'];
  for (const k of ['TCPLAB_SCENARIOS', 'TCPLAB_LABS', 'TCPLAB_RESOURCES']) delete process.env[k];
});

describe('startDesktop', () => {
  it('enables the sandbox for every renderer', async () => {
    await start();
    expect(h.electron.app.enableSandbox).toHaveBeenCalled();
  });

  it('quits when another instance holds the lock', async () => {
    const { started, win } = await start({ lock: false });
    expect(started).toBe(false);
    expect(h.electron.app.quit).toHaveBeenCalled();
    expect(win).toBeUndefined();
  });

  it('creates the window with the secure options and loads the built page', async () => {
    const { win } = await start();
    expect(win).toBeDefined();
    expect(win!.options).toMatchObject({
      show: false,
      webPreferences: {
        preload: paths.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
      },
    });
    expect(win!.loadFile).toHaveBeenCalledWith(join(paths.rendererDir, 'index.html'));
    expect(win!.loadURL).not.toHaveBeenCalled();
  });

  it('installs the CSP and denies permissions on the session', async () => {
    await start();
    const s = h.electron.session.defaultSession;
    expect(s.webRequest.onHeadersReceived).toHaveBeenCalledTimes(1);
    expect(s.setPermissionRequestHandler).toHaveBeenCalledTimes(1);
    expect(s.setPermissionCheckHandler).toHaveBeenCalledTimes(1);
  });

  it('hardens every web contents as it is created', async () => {
    await start();
    const contents = Object.assign(new h.Emitter(), { setWindowOpenHandler: vi.fn() });
    h.electron.app.emit('web-contents-created', {}, contents);
    expect([...contents.listeners.keys()].sort()).toEqual([
      'will-attach-webview',
      'will-frame-navigate',
      'will-navigate',
      'will-redirect',
    ]);
    const handler = contents.setWindowOpenHandler.mock.calls[0][0] as (d: { url: string }) => unknown;
    expect(handler({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(h.electron.shell.openExternal).toHaveBeenCalledWith('https://example.com/');
    const preventDefault = vi.fn();
    for (const l of contents.listeners.get('will-navigate')!)
      l({ url: 'https://evil.example/', preventDefault });
    expect(preventDefault).toHaveBeenCalled();
  });

  it('binds the IPC handler to a service hosted as electron, with a native open dialog', async () => {
    const { service } = await start();
    expect(h.state.handlers.has(IPC_INVOKE)).toBe(true);
    expect(service.opts).toMatchObject({ host: 'electron' });
    const showOpenDialog = (service.opts as { showOpenDialog: () => Promise<string | null> }).showOpenDialog;
    h.electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/tmp/a.pcap'] });
    expect(await showOpenDialog()).toBe('/tmp/a.pcap');
    const [, options] = h.electron.dialog.showOpenDialog.mock.calls[0];
    expect(options.filters[0].extensions).toEqual(expect.arrayContaining(['pcap', 'pcapng']));
    h.electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await showOpenDialog()).toBeNull();
  });

  it('uses the dev server only in an unpackaged app', async () => {
    let { win } = await start({ devUrl: 'http://localhost:5173/', packaged: false });
    expect(win!.loadURL).toHaveBeenCalledWith('http://localhost:5173/');
    ({ win } = await start({ devUrl: 'http://localhost:5173/', packaged: true }));
    expect(win!.loadURL).not.toHaveBeenCalled();
    expect(win!.loadFile).toHaveBeenCalled();
  });

  it('opens a capture from the command line once the page has loaded', async () => {
    const { win, service } = await start({ argv: ['/usr/bin/tcplab', '--no-sandbox', '/tmp/x.pcapng'] });
    expect(service.opened).toEqual([]);
    win!.webContents.emit('did-finish-load');
    expect(service.opened).toEqual(['/tmp/x.pcapng']);
  });

  it('reports a capture that cannot be opened, without crashing', async () => {
    const { win, service } = await start({ argv: ['/usr/bin/tcplab', '/tmp/bad.pcap'] });
    expect(() => win!.webContents.emit('did-finish-load')).not.toThrow();
    expect(
      (service as unknown as { events: { emit: ReturnType<typeof vi.fn> } }).events.emit,
    ).toHaveBeenCalledWith(expect.objectContaining({ type: 'log', level: 'error' }));
    expect(h.electron.dialog.showMessageBox).toHaveBeenCalled();
  });

  it('installs the application menu and gives the service the settings file and capture plan', async () => {
    const { service } = await start();
    expect(h.electron.Menu.setApplicationMenu).toHaveBeenCalledTimes(1);
    expect(service.opts).toMatchObject({
      settingsFile: join(h.state.userData, 'settings.json'),
      settings: { capture: { method: 'direct' } },
    });
  });

  it('loads a .tcplab file from the command line and has the page open the lab by its id', async () => {
    const { win, service } = await start({ argv: ['/usr/bin/tcplab', '/tmp/first.tcplab'] });
    const svc = service as unknown as FakeService;
    expect(svc.labs.loadFile).not.toHaveBeenCalled();
    win!.webContents.emit('did-finish-load');
    expect(svc.labs.loadFile).toHaveBeenCalledWith('/tmp/first.tcplab');
    expect(svc.events.emit).toHaveBeenCalledWith({
      type: 'app.action',
      action: 'open-builtin-lab',
      name: 'first',
    });
    expect(svc.settings.store.addRecent).toHaveBeenCalledWith('/tmp/first.tcplab');
    expect(h.electron.app.addRecentDocument).toHaveBeenCalledWith('/tmp/first.tcplab');
    expect(service.opened).toEqual([]);
  });

  it('reports a lab file that cannot be loaded, with the line to fix, and opens nothing', async () => {
    const { win, service } = await start({ argv: ['/usr/bin/tcplab', '/tmp/broken.tcplab'] });
    const svc = service as unknown as FakeService;
    expect(() => win!.webContents.emit('did-finish-load')).not.toThrow();
    expect(svc.events.emit).toHaveBeenCalledWith({
      type: 'log',
      level: 'error',
      message: 'Could not open /tmp/broken.tcplab: broken.tcplab:3:1: not valid YAML: bad indentation',
    });
    expect(svc.events.emit).not.toHaveBeenCalledWith(expect.objectContaining({ type: 'app.action' }));
    expect(h.electron.dialog.showMessageBox).toHaveBeenCalledWith(
      win,
      expect.objectContaining({
        type: 'error',
        detail: 'broken.tcplab:3:1: not valid YAML: bad indentation',
      }),
    );
    expect(svc.settings.store.addRecent).not.toHaveBeenCalled();
  });

  it('File → Open Lab… loads the chosen file as a lab, whatever its extension', async () => {
    const { win, service } = await start();
    const svc = service as unknown as FakeService;
    win!.webContents.emit('did-finish-load');
    h.electron.dialog.showOpenDialog.mockResolvedValueOnce({
      canceled: false,
      filePaths: ['/tmp/mine.yaml'],
    });
    const template = h.electron.Menu.buildFromTemplate.mock.calls.at(-1)![0] as MenuItem[];
    findItem(template, 'open-lab')!.click!();
    await vi.waitFor(() => expect(svc.labs.loadFile).toHaveBeenCalledWith('/tmp/mine.yaml'));
    expect(h.electron.dialog.showOpenDialog.mock.calls[0][1]).toMatchObject({ title: 'Open a lab' });
    expect(svc.events.emit).toHaveBeenCalledWith({
      type: 'app.action',
      action: 'open-builtin-lab',
      name: 'first',
    });
    expect(service.opened).toEqual([]);
  });

  it('a second launch focuses the window and opens its file', async () => {
    const { win, service } = await start();
    win!.webContents.emit('did-finish-load');
    h.electron.app.emit('second-instance', {}, ['/usr/bin/tcplab', '/tmp/y.pcap'], '/');
    expect(win!.focus).toHaveBeenCalled();
    expect(service.opened).toEqual(['/tmp/y.pcap']);
  });
});

describe('captureFromArgv', () => {
  it('finds the first capture file after the program (and the app folder in dev)', () => {
    expect(captureFromArgv(['tcplab'], false)).toBeNull();
    expect(captureFromArgv(['tcplab', 'a.pcap'], false)).toBe('a.pcap');
    expect(captureFromArgv(['electron', '.', 'b.PCAPNG'], true)).toBe('b.PCAPNG');
    expect(captureFromArgv(['tcplab', '--enable-logging', '--', 'c.cap', 'd.pcap'], false)).toBe('c.cap');
    expect(captureFromArgv(['tcplab', '--flag=x.pcap', 'notes.txt'], false)).toBeNull();
  });
});
