/**
 * The bridge contract between the renderer and the LabService, the same
 * whether it travels over Electron IPC or a WebSocket (web mode). Following
 * Zui and VS Code: a typed map of commands per domain with dotted names, one
 * object argument checked by a runtime schema, replies that carry errors as
 * data, and one stream of batched events. Only two verbs cross the bridge:
 * `invoke(name, args)` and `subscribe(listener)`.
 */
import * as s from './schema';
import type { SegmentRow, SessionSummary } from './session';

/** Largest capture a renderer may hand over in one `files.open` (base64 text). */
export const MAX_UPLOAD_BASE64 = 400 * 1024 * 1024;

export interface MalformedSample {
  frame: number;
  layer: string;
  reason: string;
}

export interface FileSummary {
  id: number;
  name: string;
  format: 'pcap' | 'pcapng';
  packets: number;
  tcpPackets: number;
  malformed: number;
  /** The first few malformed frames, with the reason. */
  malformedSamples: MalformedSample[];
  sessions: number;
  /** Set when the file is broken part-way: what is wrong and where; what came before it was read. */
  error?: string;
}

export interface DetailField {
  name: string;
  value: string;
  offset: number;
  length: number;
}

export interface DetailLayer {
  name: string;
  offset: number;
  length: number;
  fields: DetailField[];
  error?: string;
}

export interface PacketDetail {
  frame: number;
  time: number;
  length: number;
  /** The captured bytes, base64. */
  bytes: string;
  layers: DetailLayer[];
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'web' | 'cli';
  platform: string;
}

const id = s.int({ min: 0, max: 2 ** 31 - 1 });

/** Request schemas, one per command. */
export const commandSchemas = {
  'app.info': s.object({}),
  'files.open': s.object({
    name: s.string({ min: 1, max: 255 }),
    data: s.string({ max: MAX_UPLOAD_BASE64, pattern: /^[A-Za-z0-9+/]*={0,2}$/ }),
  }),
  'files.openDialog': s.object({}),
  'files.list': s.object({}),
  'files.close': s.object({ fileId: id }),
  'sessions.list': s.object({ fileId: id }),
  'sessions.segments': s.object({
    fileId: id,
    sessionId: id,
    offset: s.optional(s.int({ min: 0, max: 2 ** 31 - 1 })),
    limit: s.optional(s.int({ min: 1, max: 200_000 })),
  }),
  'packets.detail': s.object({ fileId: id, frame: s.int({ min: 1, max: 2 ** 31 - 1 }) }),
} as const;

/** Result types, one per command. */
export interface CommandResults {
  'app.info': AppInfo;
  'files.open': FileSummary;
  /** null when the user cancelled the dialog. */
  'files.openDialog': FileSummary | null;
  'files.list': FileSummary[];
  'files.close': { closed: boolean };
  'sessions.list': SessionSummary[];
  'sessions.segments': { total: number; offset: number; rows: SegmentRow[] };
  'packets.detail': PacketDetail;
}

export type CommandName = keyof typeof commandSchemas;
export type CommandArgs<K extends CommandName> = s.Infer<(typeof commandSchemas)[K]>;
export type CommandResult<K extends CommandName> = CommandResults[K];

export const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];

export function isCommandName(v: unknown): v is CommandName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(commandSchemas, v);
}

/** Error codes a reply can carry. */
export type ErrorCode =
  'bad-request' | 'unknown-command' | 'not-found' | 'bad-file' | 'unavailable' | 'internal';

export interface BridgeError {
  code: ErrorCode;
  /** A sentence for people that says what to do. */
  message: string;
}

export type Reply<T> = { ok: true; result: T } | { ok: false; error: BridgeError };

/** Validates a raw message's name and arguments; never throws. */
export function checkCommand(
  name: unknown,
  args: unknown,
): { ok: true; name: CommandName; args: unknown } | { ok: false; error: BridgeError } {
  if (!isCommandName(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 60)) : typeof name;
    return { ok: false, error: { code: 'unknown-command', message: `Unknown command ${shown}.` } };
  }
  const r = commandSchemas[name].check(args === undefined ? {} : args, 'args');
  if (!r.ok)
    return { ok: false, error: { code: 'bad-request', message: `Bad arguments for ${name}: ${r.error}.` } };
  return { ok: true, name, args: r.value };
}

/** Events pushed from the service to every subscriber, delivered in batches. */
export type LabEvent =
  | { type: 'files.opened'; file: FileSummary }
  | { type: 'files.closed'; fileId: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type EventListener = (batch: LabEvent[]) => void;

/**
 * What the renderer sees of the bridge, whichever transport carries it. The
 * preload's `window.tcplab` (Electron) and the WebSocket client (web mode)
 * both implement it.
 */
export interface LabBridge {
  invoke<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Reply<CommandResult<K>>>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void;
}

/** The wire messages of web mode's WebSocket (Electron IPC carries the same payloads). */
export type ClientMessage = { t: 'invoke'; id: number; name: string; args: unknown };
export type ServerMessage =
  { t: 'reply'; id: number; reply: Reply<unknown> } | { t: 'events'; batch: LabEvent[] };

/** IPC channel names used by the preload and the main process. */
export const IPC_INVOKE = 'tcplab:invoke';
export const IPC_EVENTS = 'tcplab:events';
