/**
 * The main window's size and position, remembered between runs (as
 * electron-window-state does, without the dependency): `window-state.json` in
 * the user data folder holds the normal (not maximized) bounds and whether the
 * window was maximized or full screen. On start the saved bounds are checked
 * against the displays there are now — a window saved on a monitor that has
 * since been unplugged is centred on the primary display instead of opening
 * off screen, and a window larger than the work area is shrunk to it. The
 * state is saved atomically, debounced while the window moves, and at close.
 * Everything takes the window and screen as structural types, so it is tested
 * without Electron.
 */
import { readFileSync } from 'node:fs';
import * as s from '../../src-shared/schema';
import { writeJsonAtomic } from '../service/settings-service';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent: let the system place (centre) the window. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
  fullScreen: boolean;
}

export const DEFAULT_WINDOW: Readonly<WindowState> = Object.freeze({
  width: 1280,
  height: 820,
  maximized: false,
  fullScreen: false,
});
export const MIN_WIDTH = 720;
export const MIN_HEIGHT = 480;

const coord = s.int({ min: -100_000, max: 100_000 });
const size = s.int({ min: 100, max: 100_000 });
const STATE_SCHEMA = s.object({
  x: s.optional(coord),
  y: s.optional(coord),
  width: size,
  height: size,
  maximized: s.boolean(),
  fullScreen: s.boolean(),
});

/** The saved state, or null when there is none or it is damaged (the window then opens at its default size). */
export function readWindowState(file: string): WindowState | null {
  try {
    const r = STATE_SCHEMA.check(JSON.parse(readFileSync(file, 'utf8')), 'window');
    return r.ok ? r.value : null;
  } catch {
    return null;
  }
}

export function writeWindowState(file: string, state: WindowState): void {
  writeJsonAtomic(file, state);
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Fits a saved state to the displays' work areas (the first is the primary
 * display): the size is clamped to the largest work area, and the position is
 * kept only if at least a quarter of the window (and its title bar) is on some
 * display — otherwise x/y are dropped and the window is centred.
 */
export function fitToDisplays(saved: WindowState | null, workAreas: readonly Rect[]): WindowState {
  const state: WindowState = { ...(saved ?? DEFAULT_WINDOW) };
  if (workAreas.length === 0) return state;
  const maxW = Math.max(...workAreas.map((a) => a.width));
  const maxH = Math.max(...workAreas.map((a) => a.height));
  state.width = Math.max(MIN_WIDTH, Math.min(state.width, maxW));
  state.height = Math.max(MIN_HEIGHT, Math.min(state.height, maxH));
  if (state.x === undefined || state.y === undefined) {
    delete state.x;
    delete state.y;
    return state;
  }
  const win: Rect = { x: state.x, y: state.y, width: state.width, height: state.height };
  const titleBar: Rect = { x: state.x, y: state.y, width: state.width, height: 32 };
  const visible = workAreas.some(
    (a) => overlap(win, a) >= (win.width * win.height) / 4 && overlap(titleBar, a) > 0,
  );
  if (!visible) {
    delete state.x;
    delete state.y;
  }
  return state;
}

/** The part of BrowserWindow this module reads and listens to. */
export interface TrackedWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isFullScreen(): boolean;
  isDestroyed(): boolean;
  on(
    event:
      'resize' | 'move' | 'maximize' | 'unmaximize' | 'enter-full-screen' | 'leave-full-screen' | 'close',
    listener: () => void,
  ): unknown;
}

export function currentState(win: TrackedWindow): WindowState {
  const b = win.getNormalBounds();
  return {
    x: Math.round(b.x),
    y: Math.round(b.y),
    width: Math.round(b.width),
    height: Math.round(b.height),
    maximized: win.isMaximized(),
    fullScreen: win.isFullScreen(),
  };
}

/**
 * Saves the window's state when it changes (debounced by `delayMs`) and when
 * it closes. Returns the function that saves now and stops the timer.
 */
export function trackWindowState(
  win: TrackedWindow,
  save: (state: WindowState) => void,
  delayMs = 500,
): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = '';
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    const state = currentState(win);
    const text = JSON.stringify(state);
    if (text === last) return;
    last = text;
    try {
      save(state);
    } catch {
      // an unwritable user data folder must not break the window; the next run uses the defaults
    }
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, delayMs);
  };
  for (const ev of [
    'resize',
    'move',
    'maximize',
    'unmaximize',
    'enter-full-screen',
    'leave-full-screen',
  ] as const) {
    win.on(ev, later);
  }
  win.on('close', flush);
  return flush;
}
