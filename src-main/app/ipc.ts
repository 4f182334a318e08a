/**
 * Binds the bridge to Electron IPC in the main process. One handler answers
 * `IPC_INVOKE`: it first checks who is asking — the sender must be the main
 * window's web contents, the message must come from its top frame, and that
 * frame must show one of the app's own pages (Electron's "validate the
 * sender of all IPC messages") — then checks the untrusted `{ name, args }`
 * envelope and hands it to the service, and always answers with a Reply:
 * refusals and failures are data, no exception ever escapes to the renderer.
 * Service events go to the window in batches on `IPC_EVENTS`.
 */
import { IPC_EVENTS, IPC_INVOKE, type LabEvent, type Reply } from '../../src-shared/contract';
import { checkInvoke, errorReply, invokeSafely, type BridgeService } from './bridge-host';

/** The parts of Electron's WebFrameMain, WebContents, BrowserWindow and ipcMain used here. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
  readonly processId: number;
  readonly routingId: number;
}

export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: {
    readonly mainFrame: FrameLike;
    isDestroyed(): boolean;
    send(channel: string, ...args: unknown[]): void;
  };
}

export interface InvokeEventLike {
  readonly sender: unknown;
  readonly senderFrame: FrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcBindingOptions {
  ipcMain: IpcMainLike;
  service: BridgeService;
  /** The main window, or null before it exists / after it closed. */
  getWindow: () => WindowLike | null;
  /** True for the app's own page URLs (see window.ts `isAppUrl`). */
  isAppUrl: (url: string) => boolean;
}

/** Why a sender is not trusted, or null when it is. */
export function senderProblem(
  event: InvokeEventLike,
  win: WindowLike | null,
  isAppUrl: (url: string) => boolean,
): string | null {
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return 'the TCP Lab window is not open';
  if (event.sender !== win.webContents) return 'the message came from another window';
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame has gone';
  const top = win.webContents.mainFrame;
  if (frame.parent !== null || frame.processId !== top.processId || frame.routingId !== top.routingId) {
    return 'the message came from a sub-frame';
  }
  if (!isAppUrl(frame.url)) return 'the sending page is not part of TCP Lab';
  return null;
}

/** Answers one IPC invoke; exported for tests. Never throws. */
export async function answerInvoke(
  opts: Omit<IpcBindingOptions, 'ipcMain'>,
  event: InvokeEventLike,
  payload: unknown,
): Promise<Reply<unknown>> {
  try {
    const problem = senderProblem(event, opts.getWindow(), opts.isAppUrl);
    if (problem) return errorReply('bad-request', `Refused: ${problem}.`);
    const checked = checkInvoke(payload);
    if (!checked.ok) return { ok: false, error: checked.error };
    return await invokeSafely(opts.service, checked.name, checked.args);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return errorReply('internal', `Internal error in the IPC binding: ${message}`);
  }
}

/** Registers the invoke handler and the event forwarder; returns the function that undoes both. */
export function bindIpc(opts: IpcBindingOptions): () => void {
  const { ipcMain, service, getWindow } = opts;
  ipcMain.handle(IPC_INVOKE, (event: InvokeEventLike, payload: unknown) =>
    answerInvoke(opts, event, payload),
  );
  const unsubscribe = service.subscribe((batch: LabEvent[]) => {
    const win = getWindow();
    if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
    try {
      win.webContents.send(IPC_EVENTS, batch);
    } catch {
      // The window is closing; its events are of no use any more.
    }
  });
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    unsubscribe();
  };
}
