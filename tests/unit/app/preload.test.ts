/**
 * The sandboxed preload (src-main/app/preload.ts) with `electron` replaced at
 * the boundary: it exposes exactly `window.tcplab` with `invoke` and
 * `subscribe`, talks only on the contract's channels, never passes the raw
 * IPC event to the page, and `subscribe` returns a working unsubscribe.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_EVENTS, IPC_INVOKE, type LabBridge, type LabEvent } from '../../../src-shared/contract';

const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn(), send: vi.fn(), sendSync: vi.fn() },
}));
vi.mock('electron', () => electron);

await import('../../../src-main/app/preload');
const exposed = electron.contextBridge.exposeInMainWorld.mock.calls;
const bridge = exposed[0][1] as LabBridge;

beforeEach(() => {
  electron.ipcRenderer.invoke.mockReset();
  electron.ipcRenderer.on.mockReset();
  electron.ipcRenderer.removeListener.mockReset();
});

describe('preload', () => {
  it('exposes exactly one object, tcplab, with invoke and subscribe', () => {
    expect(exposed).toHaveLength(1);
    expect(exposed[0][0]).toBe('tcplab');
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'subscribe']);
    expect(typeof bridge.invoke).toBe('function');
    expect(typeof bridge.subscribe).toBe('function');
  });

  it('invoke sends { name, args } on the invoke channel and returns the reply', async () => {
    electron.ipcRenderer.invoke.mockResolvedValue({ ok: true, result: { version: '0.1.0' } });
    const r = await bridge.invoke('sessions.list', { fileId: 2 });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(IPC_INVOKE, {
      name: 'sessions.list',
      args: { fileId: 2 },
    });
    expect(r).toEqual({ ok: true, result: { version: '0.1.0' } });
  });

  it('invoke turns a rejected IPC call into an error reply', async () => {
    electron.ipcRenderer.invoke.mockRejectedValue(new Error('No handler registered'));
    const r = await bridge.invoke('app.info', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('subscribe passes the batch only, never the IPC event', () => {
    const listener = vi.fn();
    bridge.subscribe(listener);
    expect(electron.ipcRenderer.on).toHaveBeenCalledTimes(1);
    const [channel, forward] = electron.ipcRenderer.on.mock.calls[0];
    expect(channel).toBe(IPC_EVENTS);
    const rawEvent = { sender: { send: vi.fn() }, senderId: 0, ports: [] };
    const batch: LabEvent[] = [{ type: 'files.closed', fileId: 1 }];
    forward(rawEvent, batch);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([batch]);
    expect(listener.mock.calls[0]).not.toContain(rawEvent);
  });

  it('subscribe returns a function that removes exactly its own listener, once', () => {
    const unsubscribe = bridge.subscribe(vi.fn());
    const forward = electron.ipcRenderer.on.mock.calls[0][1];
    unsubscribe();
    unsubscribe();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledTimes(1);
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(IPC_EVENTS, forward);
  });

  it('subscribe refuses a listener that is not a function', () => {
    expect(() => bridge.subscribe('x' as never)).toThrow(TypeError);
    expect(electron.ipcRenderer.on).not.toHaveBeenCalled();
  });

  it('uses no other IPC verb', () => {
    expect(electron.ipcRenderer.send).not.toHaveBeenCalled();
    expect(electron.ipcRenderer.sendSync).not.toHaveBeenCalled();
  });
});
