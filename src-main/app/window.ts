/**
 * The desktop window's security settings as pure functions, following
 * Electron's security checklist: where the app's own pages live (the built
 * renderer on disk, or the dev server in `electron-vite dev`) and a test for
 * "is this URL ours"; the BrowserWindow options (contextIsolation, sandbox,
 * no nodeIntegration, webSecurity, no <webview>); a Content-Security-Policy
 * header matching the renderer's meta tag; navigation and redirects refused
 * unless they stay on the app's own pages; new windows denied (https links go
 * to the system browser); and every permission request denied. Everything
 * takes the Electron objects it configures as arguments (typed structurally),
 * so the rules are unit-testable without an Electron runtime; `desktop.ts`
 * applies them to the real window, session and web contents.
 */
import { fileURLToPath } from 'node:url';
import { relative, isAbsolute, resolve } from 'node:path';
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/** The policy of the renderer's `<meta http-equiv>` tag, also sent as a header. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the window's own pages come from. */
export type AppLocation =
  { kind: 'file'; rendererDir: string; indexFile: string } | { kind: 'dev'; url: string; origin: string };

/**
 * Chooses the built renderer, or the dev server named by ELECTRON_RENDERER_URL.
 * The dev server is honoured only in an unpackaged app and only on loopback
 * http(s): an environment variable must never point a packaged app (and its
 * bridge) at a remote page.
 */
export function appLocation(opts: {
  rendererDir: string;
  devUrl?: string;
  isPackaged: boolean;
}): AppLocation {
  const rendererDir = resolve(opts.rendererDir);
  if (opts.devUrl && !opts.isPackaged) {
    try {
      const u = new URL(opts.devUrl);
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && loopback) {
        return { kind: 'dev', url: u.href, origin: u.origin };
      }
    } catch {
      // Not a URL: fall back to the built renderer.
    }
  }
  return { kind: 'file', rendererDir, indexFile: resolve(rendererDir, 'index.html') };
}

/** True when `url` is one of the app's own pages (a file inside the renderer folder, or the dev server's origin). */
export function isAppUrl(url: string, loc: AppLocation): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (loc.kind === 'dev') return u.origin === loc.origin;
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false;
  let path: string;
  try {
    path = fileURLToPath(u);
  } catch {
    return false;
  }
  const rel = relative(loc.rendererDir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The renderer's web preferences: isolated, sandboxed, no Node, no <webview>. */
export function webPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'TCP Lab',
    show: false,
    backgroundColor: '#1e1e1e',
    autoHideMenuBar: true,
    webPreferences: webPreferences(preloadPath),
  };
}

/** Response headers with our CSP (replacing any other, whatever its case) and nosniff. */
export function withSecurityHeaders(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const lower = k.toLowerCase();
    if (lower === 'content-security-policy' || lower === 'x-content-type-options') continue;
    out[k] = v;
  }
  out['Content-Security-Policy'] = [CSP];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}

interface HeadersDetails {
  url: string;
  responseHeaders?: Record<string, string[]>;
}

/** The part of Electron's Session these functions configure. */
export interface SessionLike {
  webRequest: {
    onHeadersReceived(
      listener: (
        details: HeadersDetails,
        callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
      ) => void,
    ): void;
  };
  setPermissionRequestHandler(
    handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: () => boolean): void;
}

/**
 * Sends the CSP header with every response the session receives. The window
 * only ever shows the app's own pages (navigation elsewhere is refused), so
 * applying it to all responses covers the dev server and costs nothing; file://
 * pages are covered by the renderer's meta tag.
 */
export function installCsp(session: SessionLike): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) });
  });
}

/** TCP Lab needs no camera, microphone, notifications, geolocation …: refuse them all. */
export function denyPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

interface NavigationEvent {
  url?: string;
  preventDefault(): void;
}

/** The part of Electron's WebContents the hardening touches. */
export interface ContentsLike {
  on(event: 'will-navigate', listener: (e: NavigationEvent, url: string) => void): unknown;
  on(event: 'will-frame-navigate', listener: (e: NavigationEvent) => void): unknown;
  on(event: 'will-redirect', listener: (e: NavigationEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (e: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void;
}

/** True for a URL worth handing to the system browser: plain https only. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Hardens one web contents: navigation and redirects that leave the app's own
 * pages are prevented, <webview> attachment is refused, and window.open/target
 * links never open an Electron window — https links are handed to
 * `openExternal` (the system browser), anything else is dropped.
 */
export function hardenWebContents(
  contents: ContentsLike,
  loc: AppLocation,
  openExternal?: (url: string) => Promise<void> | void,
): void {
  const guard = (e: NavigationEvent, legacyUrl?: string): void => {
    const url = typeof e.url === 'string' ? e.url : (legacyUrl ?? '');
    if (!isAppUrl(url, loc)) e.preventDefault();
  };
  contents.on('will-navigate', (e, url) => guard(e, url));
  contents.on('will-frame-navigate', (e) => guard(e));
  contents.on('will-redirect', (e, url) => guard(e, url));
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (openExternal && isExternalLink(url)) {
      try {
        void Promise.resolve(openExternal(url)).catch(() => undefined);
      } catch {
        // The system browser could not be started: nothing to do.
      }
    }
    return { action: 'deny' };
  });
}
