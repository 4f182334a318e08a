/**
 * The desktop app's life cycle in Electron's main process: one instance only
 * (a second launch focuses the window and opens its file there), the sandbox
 * enabled for every renderer, every web contents hardened as it is created,
 * the session's CSP and permission rules installed, one LabService behind the
 * IPC binding with a native open dialog, and the window loading the built
 * renderer (or the dev server in `electron-vite dev`). A capture named on the
 * command line opens once the page has loaded, so its sessions arrive as
 * events the page is listening for; a lab file (`.tcplab`, or whatever Open
 * Lab… chose) is loaded by the labs service and the page is told to open it
 * by its id, and a file that fails either way is reported in a dialog.
 * Around that: the paths of an installed app (packaged-paths.ts: scenarios,
 * labs and samples in the resources folder, and how the capture helper is
 * started there), the settings in the
 * user data folder applied to the app (theme through nativeTheme, zoom), the
 * window's size and position remembered (window-state.ts), recent files,
 * and the application menu (menu.ts), whose actions go through the same
 * LabService commands web mode uses. `main.ts` calls `startDesktop` with the
 * paths of the built files; tests call it with the `electron` module mocked.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  screen,
  session,
  shell,
  type OpenDialogOptions,
} from 'electron';
import { LabService } from '../service';
import { bindIpc } from './ipc';
import { printReportPdf } from './report-pdf';
import { createMenuHandler, menuTemplate, type MenuCommand } from './menu';
import {
  applyPackagedEnvironment,
  captureHelperPlan,
  installGuidePath,
  packagedEnv,
  resourcesDir,
} from './packaged-paths';
import { applySettings, backgroundColor, settingsPaths } from './settings';
import { fitToDisplays, readWindowState, trackWindowState, writeWindowState } from './window-state';
import {
  appLocation,
  denyPermissions,
  hardenWebContents,
  installCsp,
  isAppUrl,
  windowOptions,
  type AppLocation,
} from './window';

type FileKind = 'capture' | 'lab';

export interface DesktopPaths {
  /** out/preload/index.js */
  preload: string;
  /** out/renderer (holding index.html) */
  rendererDir: string;
}

const CAPTURE_FILE = /\.(pcap|pcapng|cap|tcplab)$/i;
/**
 * Lab files (the file association `.tcplab`): loaded by the labs service, then
 * opened by the page, told by an `open-builtin-lab` action with the lab's id.
 */
const LAB_FILE = /\.tcplab$/i;

/**
 * The file named on a command line, if any: the first argument after the app
 * (and, when run as `electron .`, after the app folder) that is not a switch
 * and looks like a capture (or a `.tcplab` lab file).
 */
export function captureFromArgv(argv: readonly string[], defaultApp: boolean): string | null {
  const args = argv.slice(defaultApp ? 2 : 1);
  for (const a of args) {
    if (a === '--') continue;
    if (a.startsWith('-')) continue;
    if (CAPTURE_FILE.test(a)) return a;
  }
  return null;
}

export const OPEN_DIALOG_OPTIONS: OpenDialogOptions = {
  title: 'Open a capture file',
  properties: ['openFile'],
  filters: [
    { name: 'Packet captures (pcap, pcapng)', extensions: ['pcap', 'pcapng', 'cap'] },
    { name: 'All files', extensions: ['*'] },
  ],
};

export const LAB_DIALOG_OPTIONS: OpenDialogOptions = {
  title: 'Open a lab',
  properties: ['openFile'],
  filters: [
    { name: 'TCP Lab exercises', extensions: ['tcplab', 'yaml', 'yml'] },
    { name: 'All files', extensions: ['*'] },
  ],
};

/** Starts the desktop app; returns false when another instance already runs (this one then quits). */
export function startDesktop(paths: DesktopPaths): boolean {
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }

  const penv = packagedEnv(app);
  applyPackagedEnvironment(penv);
  const capturePlan = captureHelperPlan(penv);

  const loc: AppLocation = appLocation({
    rendererDir: paths.rendererDir,
    devUrl: process.env['ELECTRON_RENDERER_URL'],
    isPackaged: app.isPackaged,
  });
  let win: BrowserWindow | null = null;
  let service: LabService | null = null;
  let pageLoaded = false;
  const pendingFiles: Array<{ path: string; kind: FileKind }> = [];

  const openExternal = (url: string): Promise<void> => shell.openExternal(url);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, loc, openExternal));

  /** Opens a capture, or loads a lab and has the page open it; a failure is logged and shown in a dialog. */
  const openFile = (path: string, kind: FileKind = LAB_FILE.test(path) ? 'lab' : 'capture'): void => {
    if (!service || !pageLoaded) {
      pendingFiles.push({ path, kind });
      return;
    }
    try {
      if (kind === 'lab') {
        const name = service.labs.loadFile(path);
        service.events.emit({ type: 'app.action', action: 'open-builtin-lab', name });
      } else service.openPath(path);
      service.settings.store.addRecent(path);
      app.addRecentDocument(path);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      service.events.emit({ type: 'log', level: 'error', message: `Could not open ${path}: ${message}` });
      if (win)
        void dialog.showMessageBox(win, {
          type: 'error',
          message: `Could not open ${path}`,
          detail: message,
        });
    }
  };

  const showError = (message: string): void => {
    service?.events.emit({ type: 'log', level: 'error', message });
    if (win) void dialog.showMessageBox(win, { type: 'error', message: 'TCP Lab', detail: message });
  };

  const chooseFile = async (kind: 'capture' | 'lab'): Promise<string | null> => {
    const options = kind === 'lab' ? LAB_DIALOG_OPTIONS : OPEN_DIALOG_OPTIONS;
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
  };

  const onMenu = createMenuHandler({
    invoke: (name, args) =>
      service ? service.handle(name, args) : Promise.resolve({ ok: true, result: null }),
    chooseFile,
    openCapture: (path) => openFile(path, 'capture'),
    openLab: (path) => openFile(path, 'lab'),
    showCapturePermissions: () => {
      void (async () => {
        const a = service ? await service.settings.captureAvailability(true) : null;
        const detail = [a?.reason ?? capturePlan.note, a?.available ? '' : capturePlan.advice.text]
          .filter(Boolean)
          .join('\n\n');
        const opts = {
          type: 'info' as const,
          message: a?.available ? 'Live capture works' : 'Live capture needs permission',
          detail,
          buttons: ['Open the Install Guide', 'Close'],
          defaultId: 1,
        };
        const r = win ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
        if (r.response === 0) void shell.openPath(installGuidePath(penv));
      })().catch((e: unknown) => showError(e instanceof Error ? e.message : String(e)));
    },
    openInstallGuide: () => void shell.openPath(installGuidePath(penv)),
    showAbout: () => {
      app.setAboutPanelOptions({
        applicationName: 'TCP Lab',
        applicationVersion: app.getVersion(),
        copyright: 'MIT licence',
        credits: 'A network lab for learning how TCP opens and closes connections.',
      });
      app.showAboutPanel();
    },
    showError,
  });

  const rebuildMenu = (): void => {
    const settings = service?.settings.store.get();
    const template = menuTemplate(
      {
        platform: process.platform,
        appName: 'TCP Lab',
        packaged: app.isPackaged,
        recentFiles: settings?.recentFiles ?? [],
        labs: service?.settings.labs() ?? [],
        theme: settings?.theme ?? 'system',
      },
      (cmd) => void onMenu(cmd as MenuCommand),
    );
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  };

  const createWindow = (): BrowserWindow => {
    const stateFile = settingsPaths(app.getPath('userData')).windowState;
    const primary = screen.getPrimaryDisplay();
    const areas = [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map(
      (d) => d.workArea,
    );
    const state = fitToDisplays(readWindowState(stateFile), areas);
    const w = new BrowserWindow({
      ...windowOptions(paths.preload),
      ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
      width: state.width,
      height: state.height,
      backgroundColor: backgroundColor(nativeTheme.shouldUseDarkColors),
    });
    w.once('ready-to-show', () => {
      if (state.maximized) w.maximize();
      if (state.fullScreen) w.setFullScreen(true);
      w.show();
    });
    trackWindowState(w, (st) => writeWindowState(stateFile, st));
    w.webContents.on('did-finish-load', () => {
      pageLoaded = true;
      if (service) applySettings(service.settings.store.get(), nativeTheme, w.webContents);
      for (const f of pendingFiles.splice(0)) openFile(f.path, f.kind);
    });
    w.on('closed', () => {
      if (win === w) win = null;
      pageLoaded = false;
    });
    if (loc.kind === 'dev') void w.loadURL(loc.url);
    else void w.loadFile(loc.indexFile);
    return w;
  };

  app.on('second-instance', (_event, argv) => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
    const file = captureFromArgv(argv, false);
    if (file) openFile(file);
  });
  // macOS: a file dropped on the dock icon or opened from Finder.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    openFile(path);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  void app.whenReady().then(() => {
    installCsp(session.defaultSession);
    denyPermissions(session.defaultSession);
    service = new LabService({
      host: 'electron',
      dataDir: app.getPath('userData'),
      labs: { printPdf: printReportPdf },
      settingsFile: settingsPaths(app.getPath('userData')).settings,
      capture: capturePlan.options ? { helper: capturePlan.options } : undefined,
      settings: {
        resourcesDir: resourcesDir(penv),
        capture: { method: capturePlan.method, note: capturePlan.note, advice: capturePlan.advice },
      },
      showOpenDialog: async () => {
        const r = win
          ? await dialog.showOpenDialog(win, OPEN_DIALOG_OPTIONS)
          : await dialog.showOpenDialog(OPEN_DIALOG_OPTIONS);
        return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
      },
    });
    const unbind = bindIpc({
      ipcMain,
      service,
      getWindow: () => win,
      isAppUrl: (url) => isAppUrl(url, loc),
    });
    applySettings(service.settings.store.get(), nativeTheme, null);
    service.settings.store.onChange((settings) => {
      applySettings(settings, nativeTheme, win?.webContents);
      rebuildMenu();
    });
    nativeTheme.on('updated', () =>
      win?.setBackgroundColor(backgroundColor(nativeTheme.shouldUseDarkColors)),
    );
    rebuildMenu();
    app.once('will-quit', () => {
      unbind();
      service?.dispose();
    });
    const file = captureFromArgv(process.argv, Boolean(process.defaultApp));
    if (file) openFile(file);
    win = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) win = createWindow();
    });
  });
  return true;
}
