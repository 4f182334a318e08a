/**
 * What the two bridge transports (Electron IPC in `ipc.ts`, the WebSocket in
 * `web-server.ts`) share: the slice of LabService they call, a helper that
 * builds error replies, and the check of an invoke envelope `{ name, args }`
 * received from an untrusted page. The envelope is checked here, and the
 * command's name and arguments against the contract's schemas, before the
 * service sees anything; the service checks again (it trusts no caller).
 */
import {
  checkCommand,
  type BridgeError,
  type CommandName,
  type EventListener,
  type Reply,
} from '../../src-shared/contract';

/** The part of LabService a transport needs. */
export interface BridgeService {
  handle(name: unknown, args: unknown): Promise<Reply<unknown>>;
  subscribe(listener: EventListener): () => void;
}

export function errorReply(code: BridgeError['code'], message: string): Reply<never> {
  return { ok: false, error: { code, message } };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Checks that `payload` is exactly `{ name, args? }` naming a known command with valid arguments. */
export function checkInvoke(
  payload: unknown,
): { ok: true; name: CommandName; args: unknown } | { ok: false; error: BridgeError } {
  if (!isPlainObject(payload)) {
    return {
      ok: false,
      error: { code: 'bad-request', message: 'Bad request: expected an object { name, args }.' },
    };
  }
  for (const key of Object.keys(payload)) {
    if (key !== 'name' && key !== 'args') {
      return {
        ok: false,
        error: {
          code: 'bad-request',
          message: `Bad request: unknown key ${JSON.stringify(key.slice(0, 40))}.`,
        },
      };
    }
  }
  return checkCommand(payload.name, payload.args);
}

/** Runs a checked command; a service that throws (it should not) still yields a reply. */
export async function invokeSafely(
  service: BridgeService,
  name: CommandName,
  args: unknown,
): Promise<Reply<unknown>> {
  try {
    return await service.handle(name, args);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return errorReply('internal', `Internal error in ${name}: ${message}`);
  }
}
