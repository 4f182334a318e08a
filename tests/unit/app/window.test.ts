/**
 * The desktop window's security rules (src-main/app/window.ts), checked
 * without an Electron runtime: the web preferences, the app-URL test that
 * navigation and IPC rely on, the CSP header, navigation / redirects /
 * window.open / <webview> refused, and every permission denied.
 */
import { describe, expect, it, vi } from 'vitest';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import {
  appLocation,
  CSP,
  denyPermissions,
  hardenWebContents,
  installCsp,
  isAppUrl,
  isExternalLink,
  webPreferences,
  windowOptions,
  withSecurityHeaders,
  type ContentsLike,
  type SessionLike,
} from '../../../src-main/app/window';

vi.mock('electron', () => {
  throw new Error('window.ts must not load electron at runtime');
});

const rendererDir = resolve('/opt/tcplab/out/renderer');
const fileLoc = appLocation({ rendererDir, isPackaged: true });
const indexUrl = pathToFileURL(join(rendererDir, 'index.html')).href;

describe('webPreferences', () => {
  it('isolates and sandboxes the renderer, without Node or <webview>', () => {
    const p = webPreferences('/x/preload/index.js');
    expect(p).toMatchObject({
      preload: '/x/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
  });

  it('is what the window is created with', () => {
    const o = windowOptions('/p.js');
    expect(o.webPreferences).toEqual(webPreferences('/p.js'));
    expect(o.show).toBe(false);
  });
});

describe('appLocation and isAppUrl', () => {
  it('loads the built index.html by default', () => {
    expect(fileLoc).toEqual({ kind: 'file', rendererDir, indexFile: join(rendererDir, 'index.html') });
  });

  it('accepts files inside the renderer folder only', () => {
    expect(isAppUrl(indexUrl, fileLoc)).toBe(true);
    expect(isAppUrl(indexUrl + '#/sessions', fileLoc)).toBe(true);
    expect(isAppUrl(pathToFileURL(join(rendererDir, 'assets/app.js')).href, fileLoc)).toBe(true);
    expect(isAppUrl(pathToFileURL(rendererDir).href, fileLoc)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', fileLoc)).toBe(false);
    expect(isAppUrl(pathToFileURL(rendererDir).href + '/../../secret.html', fileLoc)).toBe(false);
    expect(isAppUrl(pathToFileURL(rendererDir + '-evil/index.html').href, fileLoc)).toBe(false);
    expect(isAppUrl('https://example.com/index.html', fileLoc)).toBe(false);
    expect(isAppUrl('file://evil-host/opt/tcplab/out/renderer/index.html', fileLoc)).toBe(false);
    expect(isAppUrl('not a url', fileLoc)).toBe(false);
    expect(isAppUrl('', fileLoc)).toBe(false);
  });

  it('uses the dev server only when unpackaged and on loopback', () => {
    const dev = appLocation({ rendererDir, devUrl: 'http://localhost:5173', isPackaged: false });
    expect(dev.kind).toBe('dev');
    expect(isAppUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5173/src/main.ts', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isAppUrl(indexUrl, dev)).toBe(false);

    expect(appLocation({ rendererDir, devUrl: 'http://localhost:5173', isPackaged: true }).kind).toBe('file');
    expect(appLocation({ rendererDir, devUrl: 'https://evil.example/', isPackaged: false }).kind).toBe(
      'file',
    );
    expect(appLocation({ rendererDir, devUrl: 'javascript:alert(1)', isPackaged: false }).kind).toBe('file');
    expect(appLocation({ rendererDir, devUrl: '::::', isPackaged: false }).kind).toBe('file');
  });
});

describe('CSP', () => {
  it('is the renderer meta tag policy', () => {
    expect(CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
  });

  it('is installed on the session and replaces any other policy', () => {
    let listener: Parameters<SessionLike['webRequest']['onHeadersReceived']>[0] | undefined;
    const session: SessionLike = {
      webRequest: { onHeadersReceived: (l) => (listener = l) },
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
    };
    installCsp(session);
    expect(listener).toBeTypeOf('function');
    const callback = vi.fn();
    listener!(
      {
        url: 'http://localhost:5173/',
        responseHeaders: {
          'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
          'X-Other': ['1'],
        },
      },
      callback,
    );
    const headers = callback.mock.calls[0][0].responseHeaders as Record<string, string[]>;
    expect(headers['Content-Security-Policy']).toEqual([CSP]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-Content-Type-Options']).toEqual(['nosniff']);
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('adds headers to a response that had none', () => {
    expect(withSecurityHeaders(undefined)['Content-Security-Policy']).toEqual([CSP]);
  });
});

describe('permissions', () => {
  it('denies every request and check', () => {
    const session = {
      webRequest: { onHeadersReceived: vi.fn() },
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
    };
    denyPermissions(session);
    const request = session.setPermissionRequestHandler.mock.calls[0][0];
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'fullscreen']) {
      const cb = vi.fn();
      request({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
    }
    const check = session.setPermissionCheckHandler.mock.calls[0][0];
    expect(check()).toBe(false);
  });
});

/** A stand-in web contents that records its listeners and window-open handler. */
function fakeContents() {
  const listeners = new Map<string, ((...args: unknown[]) => void)[]>();
  let openHandler: ((d: { url: string }) => { action: 'allow' | 'deny' }) | undefined;
  const contents = {
    on(event: string, listener: (...args: unknown[]) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return contents;
    },
    setWindowOpenHandler(h: typeof openHandler) {
      openHandler = h;
    },
  };
  /** Fires `event` like Electron 38 does (details object first, deprecated url second); true when prevented. */
  const fire = (event: string, url: string): boolean => {
    let prevented = false;
    const e = { url, preventDefault: () => (prevented = true) };
    for (const l of listeners.get(event) ?? []) l(e, url);
    return prevented;
  };
  return {
    contents: contents as unknown as ContentsLike,
    fire,
    open: (url: string) => openHandler!({ url }),
  };
}

describe('hardenWebContents', () => {
  it('prevents navigation and redirects away from the app', () => {
    const { contents, fire } = fakeContents();
    hardenWebContents(contents, fileLoc);
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(fire(event, 'https://evil.example/')).toBe(true);
      expect(fire(event, 'file:///etc/passwd')).toBe(true);
      expect(fire(event, 'javascript:alert(1)')).toBe(true);
      expect(fire(event, indexUrl)).toBe(false);
    }
  });

  it('uses the deprecated url argument when the event has none', () => {
    const calls: [string, (...a: unknown[]) => void][] = [];
    const spy = {
      on: (event: string, l: (...a: unknown[]) => void) => calls.push([event, l]),
      setWindowOpenHandler: vi.fn(),
    } as unknown as ContentsLike;
    hardenWebContents(spy, fileLoc);
    const nav = calls.find(([e]) => e === 'will-navigate')![1];
    const preventDefault = vi.fn();
    nav({ preventDefault }, 'https://evil.example/');
    expect(preventDefault).toHaveBeenCalled();
  });

  it('refuses <webview>', () => {
    const { contents, fire } = fakeContents();
    hardenWebContents(contents, fileLoc);
    expect(fire('will-attach-webview', indexUrl)).toBe(true);
  });

  it('denies every new window, handing only https links to the system browser', () => {
    const { contents, open } = fakeContents();
    const openExternal = vi.fn(async () => undefined);
    hardenWebContents(contents, fileLoc, openExternal);
    for (const url of [
      'https://www.rfc-editor.org/rfc/rfc9293',
      'http://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://user:pw@example.com/',
      indexUrl,
      'not a url',
    ]) {
      expect(open(url)).toEqual({ action: 'deny' });
    }
    expect(openExternal.mock.calls).toEqual([['https://www.rfc-editor.org/rfc/rfc9293']]);
  });

  it('survives an openExternal that throws or rejects', () => {
    const { contents, open } = fakeContents();
    hardenWebContents(contents, fileLoc, () => {
      throw new Error('no browser');
    });
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
    const r = fakeContents();
    hardenWebContents(r.contents, fileLoc, () => Promise.reject(new Error('no browser')));
    expect(r.open('https://example.com/')).toEqual({ action: 'deny' });
  });

  it('denies new windows when no opener is given', () => {
    const { contents, open } = fakeContents();
    hardenWebContents(contents, fileLoc);
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
  });

  it('knows which links are external', () => {
    expect(isExternalLink('https://example.com/a?b#c')).toBe(true);
    expect(isExternalLink('http://example.com/')).toBe(false);
    expect(isExternalLink('mailto:a@b')).toBe(false);
    expect(isExternalLink('')).toBe(false);
  });
});
