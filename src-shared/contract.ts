/**
 * The bridge contract between the renderer and the LabService, the same
 * whether it travels over Electron IPC or a WebSocket (web mode). Following
 * Zui and VS Code: a typed map of commands per domain with dotted names, one
 * object argument checked by a runtime schema, replies that carry errors as
 * data, and one stream of batched events. Only two verbs cross the bridge:
 * `invoke(name, args)` and `subscribe(listener)`.
 */
import * as s from './schema';
import type { LabListItem, LabSessionState, LabView } from './labs';
import type { Endpoint, SegmentRow, SessionSummary } from './session';
import type { TcpState } from './tcp';

/** Largest capture a renderer may hand over in one `files.open` (base64 text). */
export const MAX_UPLOAD_BASE64 = 400 * 1024 * 1024;
/** Longest lab file (YAML text, in characters) a renderer may hand over in one `labs.upload`. */
export const MAX_LAB_TEXT = 1024 * 1024;

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

/* ---------------------------------------------------------------- capture.* (live capture, lab targets, injection) */

export interface CaptureInterfaceInfo {
  name: string;
  description: string;
  loopback: boolean;
  /** IPv4 and IPv6 addresses of the interface. */
  addresses: string[];
  /** Whether the injection policy lets TCP Lab send on it (loopback and lab links by default). */
  injectAllowed: boolean;
}

export interface CaptureCounters {
  /** Frames received from the capture helper. */
  seen: number;
  /** Frames decoded as TCP and tracked. */
  decoded: number;
  malformed: number;
  /** Segments sent to the view as ladder rows. */
  shown: number;
  /** Frames the capture helper dropped because the main process fell behind. */
  dropped: number;
}

export interface CaptureStatus {
  /** Grows by one with every capture started (0 before the first). */
  id: number;
  state: 'idle' | 'running' | 'stopped';
  iface: string | null;
  filter: string;
  linkTypeName: string | null;
  /** Drawing paused (the capture itself goes on). */
  paused: boolean;
  /** The pcapng file the capture is written to as it runs (flushed every second), or null. */
  file: string | null;
  /** Whether injection is allowed on this interface. */
  injectAllowed: boolean;
  counters: CaptureCounters;
  /** Why the capture ended, when it ended by itself (an error sentence, 'stopped'). */
  ended: string | null;
  /** The session whose rows stream as `capture.rows` events, or null. */
  following: number | null;
}

export interface LabTargetInfo {
  kind: 'echo' | 'http';
  host: string;
  port: number;
}

export type LabTargetAction = 'graceful' | 'reset' | 'refused' | 'hold';

export interface SocketObservationInfo {
  kind: 'connect' | 'data' | 'eof' | 'error' | 'close' | 'timeout';
  atMs: number;
  detail?: string;
}

/** What a lab-target socket saw: "connect, data(6), EOF, close", "ECONNREFUSED, close". */
export interface LabSocketReport {
  role: 'client' | 'server';
  action?: LabTargetAction;
  host: string;
  /** The server's port (the client's peer). */
  port: number;
  /** The client's port (0 when it never connected). */
  localPort: number;
  connected: boolean;
  received: number;
  saw: string;
  events: SocketObservationInfo[];
  /** Whether the socket is still open (a held connection). */
  open: boolean;
}

export type InjectSeqChoice = 'exact' | 'in-window' | 'out-of-window' | number;

export interface InjectedSegmentInfo {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** "RST, ACK". */
  flagsText: string;
  window: number;
  /** Offset from the receiver's RCV.NXT (0 = exact). */
  offset: number;
  rcvNxt: number;
  bytes: number;
}

export interface InjectReport {
  sessionId: number;
  sent: InjectedSegmentInfo;
  /** Where the numbers came from: the capture, a learning SYN's challenge ACK (killcx), or waiting for traffic. */
  method: 'tracked' | 'learned-by-syn' | 'waited-for-traffic';
  reaction: 'reset' | 'challenge-ack' | 'fin-acked' | 'none';
  /** What the receiver should do with it, by the RFC. */
  explain: string;
  /** What was seen, in a sentence. */
  observedText: string;
  observed: Array<{ dir: 'ab' | 'ba'; flags: string; seq: number; ack: number; len: number; time: number }>;
  learnedWith?: InjectedSegmentInfo;
  probe?: InjectedSegmentInfo & { answer: 'rst' | 'ack' | 'none' };
}

/** A sequence-number choice: one of the words, or an offset from RCV.NXT. */
const injectSeq: s.Schema<InjectSeqChoice> = {
  describe: '"exact", "in-window", "out-of-window" or an integer offset',
  check(v, path) {
    if (v === 'exact' || v === 'in-window' || v === 'out-of-window') return { ok: true, value: v };
    if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2 ** 31) return { ok: true, value: v };
    return { ok: false, error: `${path}: expected ${this.describe}, got ${JSON.stringify(v)}` };
  },
};

/* ---------------------------------------------------------------- sim.* (the Simulate view: virtual hosts on a virtual clock) */

/** A scenario of the library (`resources/scenarios/*.yaml`). */
export interface SimScenarioInfo {
  name: string;
  title: string;
  description: string;
}

/** A connection's send and receive variables (RFC 9293 §3.3.1), named as the RFC names them. */
export interface SimTcbView {
  'SND.UNA': number;
  'SND.NXT': number;
  'SND.WND': number;
  'RCV.NXT': number;
  'RCV.WND': number;
  ISS: number;
  IRS: number;
}

/** One virtual host: its current connection (the newest still open, else the newest) and that TCB. */
export interface SimHostView {
  name: string;
  ip: string;
  /** Local port of the connection shown, or of the listener, or null. */
  port: number | null;
  /** The connection's exact state; LISTEN for a listener with no connection yet; CLOSED when there is nothing. */
  state: TcpState;
  /** `A:33396-B:80` from the host's side, or null. */
  conn: string | null;
  tcb: SimTcbView | null;
  /** Ports the host listens on. */
  listening: number[];
  /** Every connection the host has had, oldest first. */
  connections: Array<{ conn: string; state: TcpState }>;
}

/** A line of the simulation's log: a state change, a socket call or error, or a note (a segment ignored). */
export interface SimLogEntry {
  t: number;
  host: string;
  kind: 'state' | 'socket' | 'note';
  text: string;
  rfc?: string;
}

/**
 * A simulation as the Simulate view draws it. Times are virtual milliseconds;
 * rows are ladder rows (`time` in seconds, `arrive` in seconds). `rows` holds
 * the rows from `rowsOffset` on: the caller says with `since` how many rows it
 * holds that were settled (`rowsSettled` of an earlier reply), and rows before
 * `rowsOffset` have not changed since.
 */
export interface SimState {
  simId: number;
  scenario: SimScenarioInfo;
  seed: number;
  now: number;
  /** Engine events processed so far (the unit of step and back). */
  steps: number;
  /** Nothing is left to happen before the scenario's end. */
  done: boolean;
  /** Virtual time of the next pending event, or null when idle. */
  nextTime: number | null;
  /** The two lanes of the ladder: host A (the client) and host B. */
  endpoints: { a: Endpoint; b: Endpoint };
  laneHosts: { a: string; b: string };
  hosts: SimHostView[];
  rowCount: number;
  rowsOffset: number;
  /** Rows before this index are final; later ones (in flight) may still change. */
  rowsSettled: number;
  rows: SegmentRow[];
  log: SimLogEntry[];
}

/** What a learner can build without writing YAML: A connects to B over one link. */
export type SimServerMode = 'listening' | 'closed' | 'filtered';
export type SimClientAction = 'connect' | 'close' | 'transfer' | 'abort' | 'scan' | 'none';

/* ---------------------------------------------------------------- labnet.* / vhost.* (a virtual host against a real Linux kernel, issue 7) */

/** An IPv4 and an IPv6 address with prefix length ("10.213.1.2/24", "fd00:7cb:0:1::2/64"). */
export interface LabnetAddresses {
  ipv4: string;
  ipv6: string;
}

/** A lab network: namespace `ns` with a kernel peer, joined by the veth pair `hostIf` (outside) ↔ `nsIf`. */
export interface LabnetInfo {
  index: number;
  ns: string;
  hostIf: string;
  nsIf: string;
  /** The outside end of the veth pair. */
  host: LabnetAddresses;
  /** The Linux kernel peer inside the namespace. */
  peer: LabnetAddresses;
  /** Free for a virtual host: no operating system owns them. */
  vhost: LabnetAddresses;
  /** Delay and loss: by `tc netem` on both ends, or by the virtual host itself where the kernel has no netem. */
  impairment: { delayMs: number; lossPct: number; by: 'netem' | 'vhost' } | null;
  /** Created by this TCP Lab (removed again when it quits). */
  owned: boolean;
}

/** The lab networks that exist, or why this machine cannot have them (not Linux, not root). */
export interface LabnetList {
  supported: boolean;
  /** A sentence that says what to do when `supported` is false. */
  reason: string | null;
  networks: LabnetInfo[];
}

/** One side of a mixed ladder: the virtual host's exact TCB, or the kernel's state as the tracker infers it. */
export interface VhostHostView extends SimHostView {
  role: 'virtual' | 'kernel';
  /** true for the kernel: its TCB is not visible, the state is inferred from the wire. */
  inferred: boolean;
}

export interface VhostLogEntry {
  t: number;
  host: string;
  kind: 'state' | 'inferred' | 'socket' | 'note' | 'neighbor' | 'kernel' | 'error';
  text: string;
  rfc?: string;
}

/**
 * The virtual host of the "Real peer" view and its current connection with
 * the kernel, as a mixed ladder: lane A is the virtual host (its exact TCB
 * state), lane B the Linux kernel (its state inferred from the wire). Rows
 * follow `SimState`'s `since` / `rowsOffset` / `rowsSettled` protocol. Times
 * are milliseconds since the virtual host started.
 */
export interface VhostState {
  running: boolean;
  iface: string | null;
  mac: string | null;
  /** The virtual host's addresses with prefix length. */
  addresses: string[];
  /** The lab network it is attached to, or null (an interface given by name). */
  labnet: number | null;
  /** connect: the virtual host opened the connection; listen: it waits for the kernel to connect. */
  mode: 'connect' | 'listen' | null;
  /** The virtual host's listening port (listen mode). */
  listenPort: number | null;
  now: number;
  endpoints: { a: Endpoint; b: Endpoint } | null;
  laneHosts: { a: string; b: string } | null;
  virtual: VhostHostView | null;
  kernel: VhostHostView | null;
  rowCount: number;
  rowsOffset: number;
  rowsSettled: number;
  rows: SegmentRow[];
  log: VhostLogEntry[];
  /** Text the virtual host received on the connection (UTF-8, at most 4 KB shown). */
  received: string;
  /** Failures of the virtual host (sending, capture), as sentences. */
  errors: string[];
}

const id = s.int({ min: 0, max: 2 ** 31 - 1 });
const simSeed = s.int({ min: 0, max: 0xffffffff });
/** How many settled rows of the simulation the caller already has (replies carry only what changed). */
const simSince = s.optional(s.int({ min: 0, max: 2 ** 31 - 1 }));
const simIpv4 = s.string({
  min: 7,
  max: 15,
  pattern: /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
});

/* ---------------------------------------------------------------- settings.*, app.firstRun, app.menuAction (desktop integration) */

export type ThemeChoice = 'system' | 'light' | 'dark';

/** The user's settings, kept as JSON in the user data folder (web mode: the data directory). */
export interface AppSettings {
  /** 'system' follows the operating system's light or dark mode. */
  theme: ThemeChoice;
  /** The window's zoom factor (1 = 100 %). */
  zoom: number;
  /** The first-run screen was dismissed. */
  firstRunDone: boolean;
  /** Capture and lab files opened by path, newest first (at most 10). */
  recentFiles: string[];
}

/** Whether live capture works for this user here, and why not. */
export interface CaptureAvailability {
  /** true: it worked just now; false: it cannot; null: not tried (it would ask for a password). */
  available: boolean | null;
  /** How the capture helper is started ('direct', 'launcher', 'pkexec'). */
  method: string;
  /** What happened, in a sentence. */
  reason: string;
  /** What to do when it does not work. */
  advice: string | null;
  /** The section of the install guide that explains it: `docs/install.md#…`. */
  doc: string | null;
  /** Interfaces the helper listed (0 when it could not list them). */
  interfaces: number;
}

/** What the first-run screen offers. */
export interface FirstRunInfo {
  /** Show the screen (false once dismissed; the Help menu shows it again). */
  show: boolean;
  settings: AppSettings;
  /** A small real capture shipped with the app (`files.openSample`). */
  sampleCapture: { name: string; title: string } | null;
  /** A simulation to start with (`sim.load`). */
  simulation: SimScenarioInfo | null;
  /** The first built-in lab. */
  lab: { name: string; title: string } | null;
  capture: CaptureAvailability;
}

/** What the application menu (and the web page's own controls) can ask for. */
export const MENU_ACTIONS = [
  'open-capture',
  'open-lab',
  'open-recent',
  'clear-recent',
  'save-capture',
  'export-ladder',
  'theme-system',
  'theme-light',
  'theme-dark',
  'zoom-in',
  'zoom-out',
  'zoom-reset',
  'show-first-run',
  'open-sample-capture',
  'open-simulation',
  'open-builtin-lab',
  'capture-permissions',
  'about',
] as const;
export type MenuAction = (typeof MENU_ACTIONS)[number];

/** A lab's id (`resources/labs/*.yaml`'s `id`). */
const labId = s.string({ min: 1, max: 64, pattern: /^[a-z0-9][a-z0-9-]*$/ });

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
  'capture.interfaces': s.object({}),
  'capture.start': s.object({
    iface: s.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_.:@-]+$/ }),
    filter: s.optional(s.string({ max: 2048 })),
    /** Capture whole frames (payload included) instead of the first 256 bytes, which hold every header. */
    wholeFrames: s.optional(s.boolean()),
  }),
  'capture.stop': s.object({}),
  'capture.pause': s.object({}),
  'capture.resume': s.object({}),
  'capture.status': s.object({}),
  'capture.sessions': s.object({}),
  'capture.segments': s.object({
    sessionId: id,
    offset: s.optional(s.int({ min: 0, max: 2 ** 31 - 1 })),
    limit: s.optional(s.int({ min: 1, max: 200_000 })),
  }),
  /** Streams this session's new rows as `capture.rows` events; no sessionId stops that. */
  'capture.follow': s.object({ sessionId: s.optional(id) }),
  /** Opens the capture's pcapng file as a Files entry. */
  'capture.reopen': s.object({}),
  /** The capture's pcapng file as base64, for a browser download. */
  'capture.download': s.object({}),
  'capture.target.start': s.object({ kind: s.literal('echo', 'http') }),
  'capture.target.stop': s.object({}),
  'capture.target.client': s.object({
    /** Optional for 'refused' (a closed port is picked); otherwise a running lab target's port. */
    port: s.optional(s.int({ min: 1, max: 65535 })),
    action: s.literal('graceful', 'reset', 'refused', 'hold'),
  }),
  'capture.inject': s.object({
    sessionId: id,
    flag: s.literal('SYN', 'FIN', 'RST'),
    toward: s.literal('a', 'b'),
    seq: s.optional(injectSeq),
    confirm: s.literal(true),
    timeoutMs: s.optional(s.int({ min: 100, max: 10_000 })),
  }),
  'sim.list': s.object({}),
  'sim.load': s.object({
    scenario: s.string({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/ }),
    seed: s.optional(simSeed),
  }),
  'sim.custom': s.object({
    seed: s.optional(simSeed),
    addressA: s.optional(simIpv4),
    addressB: s.optional(simIpv4),
    latency: s.optional(s.number({ min: 0, max: 10_000 })),
    jitter: s.optional(s.number({ min: 0, max: 10_000 })),
    loss: s.optional(s.number({ min: 0, max: 1 })),
    port: s.optional(s.int({ min: 1, max: 65535 })),
    server: s.optional(s.literal('listening', 'closed', 'filtered')),
    client: s.optional(s.literal('connect', 'close', 'transfer', 'abort', 'scan', 'none')),
    bytes: s.optional(s.int({ min: 1, max: 1_000_000 })),
  }),
  'sim.step': s.object({ simId: id, count: s.optional(s.int({ min: 1, max: 100_000 })), since: simSince }),
  'sim.runTo': s.object({ simId: id, t: s.number({ min: 0, max: 86_400_000 }), since: simSince }),
  'sim.back': s.object({ simId: id, count: s.optional(s.int({ min: 1, max: 1_000_000 })), since: simSince }),
  'sim.reset': s.object({ simId: id }),
  'sim.inject': s.object({
    simId: id,
    from: s.string({ min: 1, max: 32, pattern: /^[A-Za-z][A-Za-z0-9_-]*$/ }),
    flag: s.literal('SYN', 'FIN', 'RST'),
    seqMode: s.literal('exact', 'in-window', 'out-of-window', 'value'),
    seq: s.optional(s.int({ min: 0, max: 0xffffffff })),
    since: simSince,
  }),
  'sim.state': s.object({ simId: id, since: simSince }),
  'sim.close': s.object({ simId: id }),
  /* labnet.* / vhost.*: a virtual host against the Linux kernel (src-main/service/vhost-service.ts) */
  'labnet.list': s.object({}),
  'labnet.up': s.object({
    delayMs: s.optional(s.int({ min: 0, max: 10_000 })),
    lossPct: s.optional(s.number({ min: 0, max: 100 })),
  }),
  'labnet.down': s.object({ index: s.int({ min: 1, max: 250 }) }),
  'vhost.start': s.object({
    /** A lab network (its tcplab-hN end and free .3 addresses) … */
    labnet: s.optional(s.int({ min: 1, max: 250 })),
    /** … or an interface and "CIDR[,CIDR]" (one IPv4 and/or one IPv6 address). */
    iface: s.optional(s.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_.:@-]+$/ })),
    ip: s.optional(
      s.string({ min: 2, max: 120, pattern: /^[0-9A-Fa-f:.]+(\/\d{1,3})?(,[0-9A-Fa-f:.]+(\/\d{1,3})?)?$/ }),
    ),
    mac: s.optional(s.string({ min: 17, max: 17, pattern: /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/ })),
  }),
  /** Connects to the kernel server the service starts in the lab namespace (or to `ip` on an interface). */
  'vhost.connect': s.object({
    port: s.int({ min: 1, max: 65535 }),
    ipv6: s.optional(s.boolean()),
    ip: s.optional(s.string({ min: 2, max: 64, pattern: /^[0-9A-Fa-f:.]+$/ })),
  }),
  'vhost.listen': s.object({ port: s.int({ min: 1, max: 65535 }) }),
  /** A kernel client in the lab namespace connects to the virtual host's listening port. */
  'vhost.kernelConnect': s.object({
    port: s.optional(s.int({ min: 1, max: 65535 })),
    ipv6: s.optional(s.boolean()),
  }),
  'vhost.send': s.object({ text: s.string({ min: 1, max: 65_536 }) }),
  'vhost.close': s.object({ how: s.literal('fin', 'rst') }),
  'vhost.inject': s.object({
    flag: s.literal('SYN', 'FIN', 'RST'),
    seqMode: s.literal('exact', 'in-window', 'out-of-window', 'value'),
    seq: s.optional(s.int({ min: 0, max: 0xffffffff })),
  }),
  'vhost.state': s.object({ since: simSince }),
  'vhost.stop': s.object({}),
  'settings.get': s.object({}),
  'settings.set': s.object({
    theme: s.optional(s.literal('system', 'light', 'dark')),
    zoom: s.optional(s.number({ min: 0.5, max: 3 })),
    firstRunDone: s.optional(s.boolean()),
    clearRecent: s.optional(s.literal(true)),
  }),
  /** What the first-run screen shows; `recheck` tries live capture again. */
  'app.firstRun': s.object({ recheck: s.optional(s.boolean()) }),
  /** A menu action: done in the service (theme, zoom, recent files) or passed on as an `app.action` event. */
  'app.menuAction': s.object({
    action: s.literal(...MENU_ACTIONS),
    /** open-recent: the index in `recentFiles`. */
    index: s.optional(s.int({ min: 0, max: 99 })),
    /** open-builtin-lab, open-simulation: the lab's or scenario's name. */
    name: s.optional(s.string({ min: 1, max: 64, pattern: /^[a-z0-9][a-z0-9._-]*$/ })),
  }),
  /** Opens one of the sample captures shipped with the app (resources/captures). */
  'files.openSample': s.object({
    name: s.string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+\.(pcap|pcapng)$/ }),
  }),
  /* labs.*: classroom labs (src-main/service/labs-service.ts) */
  'labs.list': s.object({}),
  'labs.open': s.object({ labId: labId }),
  /** A lab file from outside the built-in folder (the page's file picker): its name and YAML text. */
  'labs.upload': s.object({
    name: s.string({ min: 1, max: 255 }),
    text: s.string({ max: MAX_LAB_TEXT }),
  }),
  'labs.state': s.object({ labId: labId }),
  'labs.step': s.object({ labId: labId }),
  'labs.run': s.object({ labId: labId }),
  'labs.restart': s.object({ labId: labId }),
  'labs.reset': s.object({ labId: labId }),
  'labs.act': s.object({
    labId: labId,
    step: s.int({ min: 0, max: 99 }),
    action: s.int({ min: 0, max: 99 }),
    port: s.optional(s.int({ min: 1, max: 65535 })),
    ports: s.optional(s.array(s.int({ min: 1, max: 65535 }), { max: 64 })),
    seqMode: s.optional(s.literal('exact', 'in-window', 'out-of-window')),
  }),
  'labs.answer': s.object({
    labId: labId,
    question: s.string({ min: 1, max: 64, pattern: /^[a-z0-9][a-z0-9-]*$/ }),
    value: s.string({ max: 1000 }),
  }),
  'labs.hint': s.object({ labId: labId, step: s.int({ min: 0, max: 99 }) }),
  'labs.predict': s.object({
    labId: labId,
    flags: s.string({ max: 100 }),
    seq: s.string({ max: 30 }),
    ack: s.string({ max: 30 }),
    state: s.string({ max: 30 }),
  }),
  'labs.learner': s.object({ name: s.string({ max: 100 }) }),
  'labs.export': s.object({
    labId: labId,
    format: s.literal('html', 'pdf'),
    learner: s.optional(s.string({ max: 100 })),
  }),
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
  'capture.interfaces': CaptureInterfaceInfo[];
  'capture.start': CaptureStatus;
  'capture.stop': CaptureStatus;
  'capture.pause': CaptureStatus;
  'capture.resume': CaptureStatus;
  'capture.status': CaptureStatus;
  'capture.sessions': SessionSummary[];
  'capture.segments': { total: number; offset: number; rows: SegmentRow[] };
  'capture.follow': { following: number | null };
  'capture.reopen': FileSummary;
  'capture.download': { name: string; data: string };
  'capture.target.start': LabTargetInfo;
  'capture.target.stop': { stopped: number };
  'capture.target.client': LabSocketReport;
  'capture.inject': InjectReport;
  'sim.list': SimScenarioInfo[];
  'sim.load': SimState;
  'sim.custom': SimState;
  'sim.step': SimState;
  'sim.runTo': SimState;
  'sim.back': SimState;
  'sim.reset': SimState;
  'sim.inject': SimState;
  'sim.state': SimState;
  'sim.close': { closed: boolean };
  'labnet.list': LabnetList;
  'labnet.up': LabnetInfo;
  'labnet.down': { removed: boolean };
  'vhost.start': VhostState;
  'vhost.connect': VhostState;
  'vhost.listen': VhostState;
  'vhost.kernelConnect': VhostState;
  'vhost.send': VhostState;
  'vhost.close': VhostState;
  'vhost.inject': VhostState;
  'vhost.state': VhostState;
  'vhost.stop': VhostState;
  'settings.get': AppSettings;
  'settings.set': AppSettings;
  'app.firstRun': FirstRunInfo;
  'app.menuAction': { done: boolean };
  'files.openSample': FileSummary;
  'labs.list': LabListItem[];
  'labs.open': { lab: LabView; state: LabSessionState };
  /** The uploaded lab, opened (as `labs.open` answers); it is listed after the built-in labs from now on. */
  'labs.upload': { lab: LabView; state: LabSessionState };
  'labs.state': LabSessionState;
  'labs.step': LabSessionState;
  'labs.run': LabSessionState;
  'labs.restart': LabSessionState;
  'labs.reset': LabSessionState;
  'labs.act': LabSessionState;
  'labs.answer': LabSessionState;
  'labs.hint': LabSessionState;
  'labs.predict': LabSessionState;
  'labs.learner': { learner: string };
  /** The report file, base64, for a download. */
  'labs.export': { name: string; mime: string; data: string };
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
  | 'bad-request'
  | 'unknown-command'
  | 'not-found'
  | 'bad-file'
  | 'unavailable'
  | 'internal'
  // capture.*: libpcap refused the filter; no capture privilege; the injection policy said no
  | 'bad-filter'
  | 'permission'
  | 'refused';

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
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  // capture.*: batched by the capture service (~50 ms), never one message per packet
  | { type: 'capture.status'; status: CaptureStatus }
  | { type: 'capture.rows'; sessionId: number; rows: SegmentRow[] }
  | { type: 'capture.sessions'; sessions: SessionSummary[] }
  | ({ type: 'capture.counters' } & CaptureCounters)
  | { type: 'capture.error'; message: string }
  | { type: 'capture.socket'; report: LabSocketReport }
  // sim.*: a simulation changed (the command's reply carries the state itself)
  | { type: 'sim.updated'; simId: number; now: number; steps: number; done: boolean; rowCount: number }
  | { type: 'sim.closed'; simId: number }
  // vhost.*: the virtual host or its connection changed (at most every ~50 ms; fetch rows with vhost.state)
  | {
      type: 'vhost.updated';
      running: boolean;
      rowCount: number;
      virtual: TcpState | null;
      kernel: TcpState | null;
    }
  | { type: 'labnet.changed'; networks: LabnetInfo[] }
  // settings.* / app.menuAction: the settings changed; a menu action for the page to carry out
  | { type: 'settings.changed'; settings: AppSettings }
  | { type: 'app.action'; action: MenuAction; name?: string };

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
