/**
 * The Electron IPC binding (src-main/app/ipc.ts) with `electron` replaced at
 * the boundary: only the main window's top frame, showing the app's own
 * page, is answered; a malformed payload gets an error reply and never
 * reaches the service; nothing thrown escapes; events reach the window.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { pathToFileURL } from 'node:url';
import {
  IPC_EVENTS,
  IPC_INVOKE,
  type EventListener,
  type LabEvent,
  type Reply,
} from '../../../src-shared/contract';
import {
  answerInvoke,
  bindIpc,
  senderProblem,
  type FrameLike,
  type InvokeEventLike,
} from '../../../src-main/app/ipc';
import { appLocation, isAppUrl } from '../../../src-main/app/window';

const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) =>
      ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => ipcHandlers.delete(channel),
  },
}));
const { ipcMain } = await import('electron');

const loc = appLocation({ rendererDir: '/opt/tcplab/out/renderer', isPackaged: true });
const appUrl = pathToFileURL('/opt/tcplab/out/renderer/index.html').href;

function frame(over: Partial<FrameLike> = {}): FrameLike {
  return { url: appUrl, parent: null, processId: 4, routingId: 1, ...over };
}

function fakeWindow() {
  const mainFrame = frame();
  const webContents = { mainFrame, isDestroyed: vi.fn(() => false), send: vi.fn() };
  return { win: { isDestroyed: vi.fn(() => false), webContents }, webContents, mainFrame };
}

function fakeService() {
  const listeners = new Set<EventListener>();
  return {
    handle: vi.fn(async (name: unknown): Promise<Reply<unknown>> => ({ ok: true, result: { echoed: name } })),
    subscribe: vi.fn((l: EventListener) => {
      listeners.add(l);
      return () => listeners.delete(l);
    }),
    emit: (batch: LabEvent[]) => listeners.forEach((l) => l(batch)),
    listeners,
  };
}

let w: ReturnType<typeof fakeWindow>;
let service: ReturnType<typeof fakeService>;
let window: ReturnType<typeof fakeWindow>['win'] | null;
let unbind: () => void;

beforeEach(() => {
  ipcHandlers.clear();
  w = fakeWindow();
  window = w.win;
  service = fakeService();
  unbind = bindIpc({ ipcMain, service, getWindow: () => window, isAppUrl: (u) => isAppUrl(u, loc) });
});

/** Sends an invoke the way Electron would call the registered handler. */
function invoke(payload: unknown, event: Partial<InvokeEventLike> = {}): Promise<Reply<unknown>> {
  const handler = ipcHandlers.get(IPC_INVOKE)!;
  return handler({ sender: w.webContents, senderFrame: w.mainFrame, ...event }, payload) as Promise<
    Reply<unknown>
  >;
}

describe('IPC invoke', () => {
  it('registers on the contract channel and answers the app window', async () => {
    expect([...ipcHandlers.keys()]).toEqual([IPC_INVOKE]);
    const r = await invoke({ name: 'app.info', args: {} });
    expect(r).toEqual({ ok: true, result: { echoed: 'app.info' } });
    expect(service.handle).toHaveBeenCalledWith('app.info', {});
  });

  it('passes only the validated arguments on', async () => {
    await invoke({ name: 'sessions.list', args: { fileId: 3 } });
    expect(service.handle).toHaveBeenLastCalledWith('sessions.list', { fileId: 3 });
    await invoke({ name: 'files.list' });
    expect(service.handle).toHaveBeenLastCalledWith('files.list', {});
  });

  const foreign: [string, Partial<InvokeEventLike>][] = [
    ['a sub-frame', { senderFrame: frame({ parent: frame(), routingId: 7 }) }],
    ['another frame in the same contents', { senderFrame: frame({ routingId: 9 }) }],
    ['a frame in another process', { senderFrame: frame({ processId: 99 }) }],
    ['a frame showing a remote page', { senderFrame: frame({ url: 'https://evil.example/' }) }],
    ['a frame showing another local file', { senderFrame: frame({ url: 'file:///tmp/evil.html' }) }],
    ['a destroyed frame', { senderFrame: null }],
    ['another web contents', { sender: { other: true } }],
  ];
  for (const [what, event] of foreign) {
    it(`refuses ${what}`, async () => {
      const r = await invoke({ name: 'app.info', args: {} }, event);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-request');
        expect(r.error.message).toMatch(/^Refused: /);
      }
      expect(service.handle).not.toHaveBeenCalled();
    });
  }

  it('refuses when the window is gone', async () => {
    window = null;
    expect((await invoke({ name: 'app.info' })).ok).toBe(false);
    window = w.win;
    w.win.isDestroyed.mockReturnValue(true);
    expect((await invoke({ name: 'app.info' })).ok).toBe(false);
    expect(service.handle).not.toHaveBeenCalled();
  });

  const malformed: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'app.info'],
    ['a number', 42],
    ['an array', ['app.info', {}]],
    ['a name that is not a string', { name: 5, args: {} }],
    ['no name', { args: {} }],
    ['an unknown command', { name: 'shell.exec', args: { cmd: 'rm -rf /' } }],
    ['an inherited name', { name: 'constructor', args: {} }],
    ['an extra key', { name: 'app.info', args: {}, sender: 'main' }],
    ['bad arguments', { name: 'files.close', args: { fileId: 'x' } }],
    ['unknown argument keys', { name: 'files.list', args: { __proto__x: 1 } }],
    ['arguments that are not an object', { name: 'files.list', args: 'all' }],
    ['a class instance', new (class Payload {})()],
  ];
  for (const [what, payload] of malformed) {
    it(`answers ${what} with an error and never calls the service`, async () => {
      const r = await invoke(payload);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['bad-request', 'unknown-command']).toContain(r.error.code);
      expect(service.handle).not.toHaveBeenCalled();
    });
  }

  it('turns a throwing or rejecting service into an internal-error reply', async () => {
    service.handle.mockImplementationOnce(() => {
      throw new Error('boom');
    });
    expect(await invoke({ name: 'app.info' })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Internal error in app.info: boom' },
    });
    service.handle.mockRejectedValueOnce('plain string');
    const r = await invoke({ name: 'app.info' });
    expect(r.ok).toBe(false);
  });

  it('never throws even when the window accessor does', async () => {
    const r = await answerInvoke(
      {
        service,
        getWindow: () => {
          throw new Error('gone');
        },
        isAppUrl: () => true,
      },
      { sender: null, senderFrame: null },
      { name: 'app.info' },
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('explains the problem with a sender', () => {
    const good = { sender: w.webContents, senderFrame: w.mainFrame };
    expect(senderProblem(good, w.win, (u) => isAppUrl(u, loc))).toBeNull();
    expect(senderProblem(good, w.win, () => false)).toMatch(/not part of TCP Lab/);
  });
});

describe('IPC events', () => {
  it('forwards each batch to the window on the events channel', () => {
    const batch: LabEvent[] = [{ type: 'files.closed', fileId: 1 }];
    service.emit(batch);
    expect(w.webContents.send).toHaveBeenCalledWith(IPC_EVENTS, batch);
  });

  it('drops batches when the window is gone, and survives send throwing', () => {
    window = null;
    expect(() => service.emit([{ type: 'files.closed', fileId: 1 }])).not.toThrow();
    window = w.win;
    w.webContents.isDestroyed.mockReturnValue(true);
    service.emit([{ type: 'files.closed', fileId: 2 }]);
    expect(w.webContents.send).not.toHaveBeenCalled();
    w.webContents.isDestroyed.mockReturnValue(false);
    w.webContents.send.mockImplementation(() => {
      throw new Error('Object has been destroyed');
    });
    expect(() => service.emit([{ type: 'files.closed', fileId: 3 }])).not.toThrow();
  });

  it('unbinds both the handler and the subscription', () => {
    expect(service.listeners.size).toBe(1);
    unbind();
    expect(ipcHandlers.size).toBe(0);
    expect(service.listeners.size).toBe(0);
  });
});
