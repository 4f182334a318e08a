/**
 * The desktop app's life cycle in Electron's main process: one instance only
 * (a second launch focuses the window and opens its file there), the sandbox
 * enabled for every renderer, every web contents hardened as it is created,
 * the session's CSP and permission rules installed, one LabService behind the
 * IPC binding with a native open dialog, and the window loading the built
 * renderer (or the dev server in `electron-vite dev`). A capture named on the
 * command line opens once the page has loaded, so its sessions arrive as
 * events the page is listening for. `main.ts` calls `startDesktop` with the
 * paths of the built files; tests call it with the `electron` module mocked.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell, type OpenDialogOptions } from 'electron';
import { LabService } from '../service';
import { bindIpc } from './ipc';
import {
  appLocation,
  denyPermissions,
  hardenWebContents,
  installCsp,
  isAppUrl,
  windowOptions,
  type AppLocation,
} from './window';

export interface DesktopPaths {
  /** out/preload/index.js */
  preload: string;
  /** out/renderer (holding index.html) */
  rendererDir: string;
}

const CAPTURE_FILE = /\.(pcap|pcapng|cap)$/i;

/**
 * The capture file named on a command line, if any: the first argument after
 * the app (and, when run as `electron .`, after the app folder) that is not a
 * switch and looks like a capture.
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

/** Starts the desktop app; returns false when another instance already runs (this one then quits). */
export function startDesktop(paths: DesktopPaths): boolean {
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }

  const loc: AppLocation = appLocation({
    rendererDir: paths.rendererDir,
    devUrl: process.env['ELECTRON_RENDERER_URL'],
    isPackaged: app.isPackaged,
  });
  let win: BrowserWindow | null = null;
  let service: LabService | null = null;
  let pageLoaded = false;
  const pendingFiles: string[] = [];

  const openExternal = (url: string): Promise<void> => shell.openExternal(url);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, loc, openExternal));

  const openFile = (path: string): void => {
    if (!service || !pageLoaded) {
      pendingFiles.push(path);
      return;
    }
    try {
      service.openPath(path);
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

  const createWindow = (): BrowserWindow => {
    const w = new BrowserWindow(windowOptions(paths.preload));
    w.once('ready-to-show', () => w.show());
    w.webContents.on('did-finish-load', () => {
      pageLoaded = true;
      for (const f of pendingFiles.splice(0)) openFile(f);
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
    app.once('will-quit', () => {
      unbind();
      service?.dispose();
    });
    const file = captureFromArgv(process.argv, Boolean(process.defaultApp));
    if (file) pendingFiles.push(file);
    win = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) win = createWindow();
    });
  });
  return true;
}
