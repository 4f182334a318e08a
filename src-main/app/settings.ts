/**
 * The desktop app's side of the user's settings. The settings themselves —
 * the JSON file, its schema, atomic writes, falling back to the defaults with
 * a warning when the file is damaged — belong to the service
 * (src-main/service/settings-service.ts), because web mode keeps the same
 * settings; this module says where the files live in Electron (the user data
 * folder: settings.json and window-state.json) and applies the settings to
 * the app: the theme through `nativeTheme.themeSource` (so the page's
 * prefers-color-scheme follows the override, and 'system' follows the OS),
 * the zoom factor to the window's web contents, and the window's background
 * colour to match the theme before the page paints. Electron objects are
 * passed in, typed structurally.
 */
import { join } from 'node:path';
import type { AppSettings, ThemeChoice } from '../../src-shared/contract';

export const SETTINGS_FILE = 'settings.json';
export const WINDOW_STATE_FILE = 'window-state.json';

/** settings.json and window-state.json in Electron's userData folder. */
export function settingsPaths(userData: string): { settings: string; windowState: string } {
  return { settings: join(userData, SETTINGS_FILE), windowState: join(userData, WINDOW_STATE_FILE) };
}

/** The parts of Electron's nativeTheme and WebContents the settings touch. */
export interface ThemeTarget {
  themeSource: 'system' | 'light' | 'dark';
  readonly shouldUseDarkColors: boolean;
}
export interface ZoomTarget {
  setZoomFactor(factor: number): void;
  isDestroyed(): boolean;
}

/** nativeTheme.themeSource takes the same three words. */
export function themeSource(theme: ThemeChoice): ThemeTarget['themeSource'] {
  return theme;
}

/** The window's background before the page paints: the page's --bg in each theme. */
export function backgroundColor(dark: boolean): string {
  return dark ? '#15181e' : '#ffffff';
}

/** Applies theme and zoom; `contents` may be absent (no window yet) or closing. */
export function applySettings(settings: AppSettings, theme: ThemeTarget, contents?: ZoomTarget | null): void {
  const source = themeSource(settings.theme);
  if (theme.themeSource !== source) theme.themeSource = source;
  if (contents && !contents.isDestroyed()) contents.setZoomFactor(settings.zoom);
}
