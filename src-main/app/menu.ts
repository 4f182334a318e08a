/**
 * The application menu as a pure template function: `menuTemplate(context,
 * dispatch)` returns Electron's menu template — File (open capture, open lab,
 * recent files, save capture, export ladder), Edit, View (theme, zoom, full
 * screen), Help (getting started, the built-in labs, capture permissions, the
 * install guide, about) — with an accelerator on every command, and each
 * click turned into one `MenuCommand` for `dispatch`. `createMenuHandler`
 * carries the commands out: the ones only the desktop can do (native file
 * dialogs, message boxes, the about panel, opening the install guide) with
 * the functions it is given, and everything else through the LabService's
 * `app.menuAction` command, the same one web mode uses — theme, zoom and
 * recent files are done in the service, and the page hears about the rest on
 * its usual event stream (`app.action`), so the renderer gets no new channel.
 * Only types come from 'electron' (erased at build), so tests need no runtime.
 */
import { basename } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction, ThemeChoice } from '../../src-shared/contract';

export interface MenuContext {
  platform: NodeJS.Platform;
  appName: string;
  /** Developer tools are offered only in an unpackaged app. */
  packaged: boolean;
  /** Newest first (the settings' recentFiles). */
  recentFiles: readonly string[];
  /** The built-in labs: name and title. */
  labs: ReadonlyArray<{ name: string; title: string }>;
  theme: ThemeChoice;
}

export interface MenuCommand {
  action: MenuAction;
  index?: number;
  name?: string;
}

/** The accelerator of every fixed command (shown in the menu; the tests check each has one). */
export const ACCELERATORS: Readonly<Record<string, string>> = Object.freeze({
  'open-capture': 'CmdOrCtrl+O',
  'open-lab': 'CmdOrCtrl+Shift+O',
  'clear-recent': 'CmdOrCtrl+Shift+Backspace',
  'save-capture': 'CmdOrCtrl+S',
  'export-ladder': 'CmdOrCtrl+E',
  'theme-system': 'CmdOrCtrl+Alt+0',
  'theme-light': 'CmdOrCtrl+Alt+1',
  'theme-dark': 'CmdOrCtrl+Alt+2',
  'zoom-in': 'CmdOrCtrl+=',
  'zoom-out': 'CmdOrCtrl+-',
  'zoom-reset': 'CmdOrCtrl+0',
  'show-first-run': 'F1',
  'open-sample-capture': 'CmdOrCtrl+Shift+F1',
  'capture-permissions': 'Shift+F1',
  'install-guide': 'CmdOrCtrl+F1',
  about: 'Alt+F1',
});

/** Accelerators for the n-th recent file and the n-th built-in lab (1…9). */
export function recentAccelerator(i: number): string | undefined {
  return i < 9 ? `CmdOrCtrl+Alt+${i + 1}` : undefined;
}
export function labAccelerator(i: number): string | undefined {
  return i < 9 ? `CmdOrCtrl+Shift+${i + 1}` : undefined;
}

/** How a recent file is shown: its name, and the folder it is in when names repeat. */
export function recentLabel(path: string, all: readonly string[]): string {
  const name = basename(path);
  const twins = all.filter((p) => basename(p) === name).length;
  return twins > 1 ? `${name} — ${path}` : name;
}

/** Menu labels escape '&' (Windows/Linux mnemonics). */
function label(text: string): string {
  return text.replace(/&/g, '&&');
}

type Dispatch = (cmd: MenuCommand | { action: 'install-guide' }) => void;

/** The whole application menu. */
export function menuTemplate(ctx: MenuContext, dispatch: Dispatch): MenuItemConstructorOptions[] {
  const mac = ctx.platform === 'darwin';
  const item = (
    id: MenuAction | 'install-guide',
    text: string,
    extra: Partial<MenuItemConstructorOptions> = {},
  ): MenuItemConstructorOptions => ({
    id,
    label: text,
    accelerator: ACCELERATORS[id],
    click: () => dispatch({ action: id } as MenuCommand),
    ...extra,
  });

  const recent: MenuItemConstructorOptions[] = ctx.recentFiles.length
    ? ctx.recentFiles.map((path, index) => ({
        id: `open-recent-${index}`,
        label: label(recentLabel(path, ctx.recentFiles)),
        toolTip: path,
        accelerator: recentAccelerator(index),
        click: () => dispatch({ action: 'open-recent', index }),
      }))
    : [{ id: 'no-recent', label: 'No recent files', enabled: false }];

  const labs: MenuItemConstructorOptions[] = ctx.labs.length
    ? ctx.labs.map((lab, i) => ({
        id: `open-builtin-lab-${lab.name}`,
        label: label(lab.title),
        accelerator: labAccelerator(i),
        click: () => dispatch({ action: 'open-builtin-lab', name: lab.name }),
      }))
    : [{ id: 'no-labs', label: 'No built-in labs installed', enabled: false }];

  const themeItem = (theme: ThemeChoice, text: string): MenuItemConstructorOptions =>
    item(`theme-${theme}`, text, { type: 'radio', checked: ctx.theme === theme });

  const file: MenuItemConstructorOptions = {
    id: 'menu-file',
    label: '&File',
    submenu: [
      item('open-capture', 'Open Capture…'),
      item('open-lab', 'Open Lab…'),
      {
        id: 'menu-recent',
        label: 'Open Recent',
        submenu: [
          ...recent,
          { type: 'separator' },
          item('clear-recent', 'Clear Recent', { enabled: ctx.recentFiles.length > 0 }),
        ],
      },
      item('open-sample-capture', 'Open Sample Capture'),
      { type: 'separator' },
      item('save-capture', 'Save Capture As…'),
      item('export-ladder', 'Export Ladder…'),
      { type: 'separator' },
      mac
        ? { role: 'close', accelerator: 'CmdOrCtrl+W' }
        : { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' },
    ],
  };

  const edit: MenuItemConstructorOptions = {
    id: 'menu-edit',
    label: '&Edit',
    submenu: [
      { role: 'undo', accelerator: 'CmdOrCtrl+Z' },
      { role: 'redo', accelerator: mac ? 'Shift+CmdOrCtrl+Z' : 'CmdOrCtrl+Y' },
      { type: 'separator' },
      { role: 'cut', accelerator: 'CmdOrCtrl+X' },
      { role: 'copy', accelerator: 'CmdOrCtrl+C' },
      { role: 'paste', accelerator: 'CmdOrCtrl+V' },
      { role: 'selectAll', accelerator: 'CmdOrCtrl+A' },
    ],
  };

  const view: MenuItemConstructorOptions = {
    id: 'menu-view',
    label: '&View',
    submenu: [
      {
        id: 'menu-theme',
        label: 'Theme',
        submenu: [
          themeItem('system', 'Follow the System'),
          themeItem('light', 'Light'),
          themeItem('dark', 'Dark'),
        ],
      },
      { type: 'separator' },
      item('zoom-in', 'Zoom In'),
      item('zoom-out', 'Zoom Out'),
      item('zoom-reset', 'Actual Size'),
      { type: 'separator' },
      { role: 'togglefullscreen', accelerator: mac ? 'Ctrl+Cmd+F' : 'F11' },
      ...(ctx.packaged
        ? []
        : [{ role: 'toggleDevTools', accelerator: mac ? 'Alt+Cmd+I' : 'Ctrl+Shift+I' } as const]),
    ],
  };

  const help: MenuItemConstructorOptions = {
    id: 'menu-help',
    label: '&Help',
    role: 'help',
    submenu: [
      item('show-first-run', 'Getting Started'),
      { id: 'menu-labs', label: 'Built-in Labs', submenu: labs },
      { type: 'separator' },
      item('capture-permissions', 'Live Capture Permissions…'),
      item('install-guide', 'Install Guide'),
      ...(mac ? [] : [{ type: 'separator' } as const, item('about', `About ${ctx.appName}`)]),
    ],
  };

  const appMenu: MenuItemConstructorOptions = {
    id: 'menu-app',
    label: ctx.appName,
    submenu: [
      item('about', `About ${ctx.appName}`),
      { type: 'separator' },
      { role: 'services' },
      { type: 'separator' },
      { role: 'hide', accelerator: 'Cmd+H' },
      { role: 'hideOthers', accelerator: 'Cmd+Alt+H' },
      { role: 'unhide' },
      { type: 'separator' },
      { role: 'quit', accelerator: 'Cmd+Q' },
    ],
  };

  return mac ? [appMenu, file, edit, view, help] : [file, edit, view, help];
}

/** What the menu handler needs from the desktop app (Electron's dialog, shell, app, the service). */
export interface MenuHandlerDeps {
  /** LabService.handle: every action that is the service's goes through `app.menuAction`. */
  invoke(
    name: 'app.menuAction',
    args: MenuCommand,
  ): Promise<{ ok: boolean; error?: { message: string } } | { ok: true; result: unknown }>;
  /** Shows a native open dialog for captures (kind 'capture') or labs ('lab'); null when cancelled. */
  chooseFile(kind: 'capture' | 'lab'): Promise<string | null>;
  /** Opens a capture by path (adds it to the recent files). */
  openCapture(path: string): void;
  /** Hands a lab file to the page (an `app.action` event with the path) and adds it to the recent files. */
  openLab(path: string): void;
  /** The capture permission advice for this install, as a message box. */
  showCapturePermissions(): void;
  /** Opens docs/install.md (shipped in resources/docs). */
  openInstallGuide(): void;
  showAbout(): void;
  /** Reports a failure to the user (a message box and a log event). */
  showError(message: string): void;
}

/** Turns menu clicks into actions: desktop-only ones here, the rest through the service. */
export function createMenuHandler(
  deps: MenuHandlerDeps,
): (cmd: MenuCommand | { action: 'install-guide' }) => Promise<void> {
  return async (cmd) => {
    try {
      switch (cmd.action) {
        case 'open-capture': {
          const path = await deps.chooseFile('capture');
          if (path) deps.openCapture(path);
          return;
        }
        case 'open-lab': {
          const path = await deps.chooseFile('lab');
          if (path) deps.openLab(path);
          return;
        }
        case 'capture-permissions':
          deps.showCapturePermissions();
          return;
        case 'install-guide':
          deps.openInstallGuide();
          return;
        case 'about':
          deps.showAbout();
          return;
        default: {
          const r = await deps.invoke('app.menuAction', cmd);
          if (!r.ok) deps.showError('error' in r && r.error ? r.error.message : `${cmd.action} failed.`);
        }
      }
    } catch (e) {
      deps.showError(e instanceof Error ? e.message : String(e));
    }
  };
}
