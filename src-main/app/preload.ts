/**
 * The sandboxed preload: exposes exactly one object, `window.tcplab`, shaped
 * like the contract's LabBridge — `invoke(name, args)` and `subscribe(listener)`
 * — and nothing else (Electron's security guide, Bruno's preload). It only
 * talks on the two channels of the contract, never hands the raw IPC event
 * (and with it `sender`) to the page, and `subscribe` returns the function
 * that unsubscribes. Sandboxed preloads may only require 'electron': the
 * channel names are bundled in from src-shared, nothing else is imported.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENTS, IPC_INVOKE, type LabBridge, type LabEvent, type Reply } from '../../src-shared/contract';

export const bridge: LabBridge = {
  invoke(name, args) {
    // The main process always answers with a Reply; a rejected invoke (no handler yet, window closing) is one too.
    return ipcRenderer.invoke(IPC_INVOKE, { name, args }).catch((e: unknown): Reply<never> => ({
      ok: false,
      error: {
        code: 'unavailable',
        message: `TCP Lab's main process did not answer (${e instanceof Error ? e.message : String(e)}): restart the app.`,
      },
    }));
  },
  subscribe(listener) {
    if (typeof listener !== 'function') throw new TypeError('tcplab.subscribe: expected a function');
    const forward = (_event: IpcRendererEvent, batch: LabEvent[]): void => listener(batch);
    ipcRenderer.on(IPC_EVENTS, forward);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(IPC_EVENTS, forward);
    };
  },
};

contextBridge.exposeInMainWorld('tcplab', bridge);
