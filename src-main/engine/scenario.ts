/**
 * Scenarios: small declarative YAML files (hosts, links, seed, a timeline of
 * socket calls and injections, and reactions such as "when B reads EOF,
 * close") that a `Simulation` plays. This module parses and validates them —
 * every error names the file, the line and what to write instead, using the
 * `yaml` package's source positions — and runs them; it does no file I/O
 * (see `scenarios.ts`). `ScenarioRun` adds stepping and stepping back, which
 * replays deterministically from the seed, re-applying the learner's
 * injections at the step where they were made.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { TCP_FLAG } from '../../src-shared/tcp';
import type { Socket } from './host';
import type { DropRule, LinkParams } from './link';
import { Simulation, type InjectSpec, type SeqMode } from './simulation';
import { DEFAULT_TCP, type SimEvent, type TcpConfig } from './types';

export type Trigger = 'established' | 'eof' | 'closed' | 'error';
export type ActionKind =
  'connect' | 'listen' | 'send' | 'read' | 'shutdown' | 'close' | 'abort' | 'crash' | 'inject' | 'scan';

export interface Action {
  /** Virtual time in ms, or … */
  at?: number;
  /** … a socket event of `host` that triggers it (once per socket), `delay` ms later. */
  on?: Trigger;
  delay?: number;
  host: string;
  do: ActionKind;
  to?: string;
  port?: number;
  localPort?: number;
  keepAlive?: boolean;
  backlog?: number;
  bytes?: number;
  text?: string;
  ports?: number[];
  sport?: number;
  flags?: string[];
  seqMode?: SeqMode;
  ack?: number;
  len?: number;
}

export interface HostSpec {
  address?: string;
  tcp?: Partial<TcpConfig>;
  listen?: number[];
  backlog?: number;
  filtered?: number[];
  autoRead?: boolean;
}

export interface LinkSpec {
  between: [string, string];
  params: LinkParams;
  reverse?: LinkParams;
}

export interface Scenario {
  name: string;
  title: string;
  description: string;
  seed: number;
  /** Stop at this virtual time (ms); default: when nothing is left to do (at most a day). */
  duration?: number;
  tcp: Partial<TcpConfig>;
  hosts: Record<string, HostSpec>;
  links: LinkSpec[];
  timeline: Action[];
}

export interface ScenarioIssue {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(readonly issues: ScenarioIssue[]) {
    super(
      issues
        .map((i) => `${i.file}:${i.line}:${i.col}: ${i.path ? i.path + ': ' : ''}${i.message}`)
        .join('\n'),
    );
    this.name = 'ScenarioError';
  }
}

const ACTIONS: readonly ActionKind[] = [
  'connect',
  'listen',
  'send',
  'read',
  'shutdown',
  'close',
  'abort',
  'crash',
  'inject',
  'scan',
];
const TRIGGERS: readonly Trigger[] = ['established', 'eof', 'closed', 'error'];
const TOP_KEYS = [
  'name',
  'title',
  'description',
  'seed',
  'duration',
  'tcp',
  'hosts',
  'link',
  'links',
  'timeline',
];
const HOST_KEYS = ['address', 'tcp', 'listen', 'backlog', 'filtered', 'autoRead'];
const LINK_KEYS = ['latency', 'jitter', 'bandwidth', 'loss', 'duplicate', 'reorder', 'reorderDelay', 'drop'];
const DROP_KEYS = ['from', 'flags', 'data', 'nth', 'count'];
const ACTION_KEYS = [
  'at',
  'on',
  'delay',
  'host',
  'do',
  'to',
  'port',
  'localPort',
  'keepAlive',
  'backlog',
  'bytes',
  'text',
  'ports',
  'sport',
  'flags',
  'seqMode',
  'ack',
  'len',
];
const TCP_KEYS = Object.keys(DEFAULT_TCP);

type Path = Array<string | number>;

class Checker {
  issues: ScenarioIssue[] = [];
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  fail(path: Path, message: string): void {
    let node: unknown = null;
    for (let n = path.length; n >= 0 && !node; n--)
      node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const pos = range ? this.lc.linePos(range[0]) : { line: 1, col: 1 };
    this.issues.push({ file: this.file, line: pos.line, col: pos.col, path: fmt(path), message });
  }

  keys(v: Record<string, unknown>, path: Path, allowed: readonly string[], what: string): void {
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) {
        const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase() || lev(a, k) <= 2);
        this.fail(
          [...path, k],
          `unknown ${what} key "${k}"${near ? `; did you mean "${near}"?` : `; use one of ${allowed.join(', ')}`}`,
        );
      }
    }
  }

  num(
    v: unknown,
    path: Path,
    opts: { min?: number; max?: number; int?: boolean; optional?: boolean } = {},
  ): number | undefined {
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(path, `expected a number, got ${describe(v)}`);
      return undefined;
    }
    if (opts.int && !Number.isInteger(v)) this.fail(path, `expected a whole number, got ${v}`);
    if (opts.min !== undefined && v < opts.min) this.fail(path, `must be at least ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) this.fail(path, `must be at most ${opts.max}, got ${v}`);
    return v;
  }

  str(v: unknown, path: Path, optional = false): string | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '') {
      this.fail(path, `expected text, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  obj(v: unknown, path: Path, optional = false): Record<string, unknown> | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(path, `expected a mapping (key: value lines), got ${describe(v)}`);
      return undefined;
    }
    return v as Record<string, unknown>;
  }

  list(v: unknown, path: Path, optional = false): unknown[] | undefined {
    if (v === undefined && optional) return undefined;
    if (!Array.isArray(v)) {
      this.fail(path, `expected a list, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  ports(v: unknown, path: Path): number[] | undefined {
    const l = this.list(v, path, true);
    if (!l) return undefined;
    return l.map((p, i) => this.num(p, [...path, i], { min: 1, max: 65535, int: true }) ?? 0);
  }

  flags(v: unknown, path: Path): string[] | undefined {
    const l = this.list(v, path, true);
    if (!l) return undefined;
    return l.map((f, i) => {
      if (typeof f !== 'string' || !(f.toUpperCase() in TCP_FLAG)) {
        this.fail([...path, i], `unknown flag ${describe(f)}; use SYN, ACK, FIN, RST or PSH`);
        return 'ACK';
      }
      return f.toUpperCase();
    });
  }
}

function fmt(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? `"${v}"` : String(v);
}

function lev(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function checkTcp(c: Checker, v: unknown, path: Path): Partial<TcpConfig> {
  const o = c.obj(v, path, true);
  if (!o) return {};
  c.keys(o, path, TCP_KEYS, 'tcp');
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(o)) {
    if (!TCP_KEYS.includes(k)) continue;
    const def = (DEFAULT_TCP as unknown as Record<string, unknown>)[k];
    if (k === 'isn') {
      if (
        val !== 'rfc6528' &&
        (typeof val !== 'number' || !Number.isInteger(val) || val < 0 || val > 0xffffffff)
      ) {
        c.fail([...path, k], `isn must be "rfc6528" or a whole number 0 … 4294967295, got ${describe(val)}`);
      }
    } else if (k === 'windowScale') {
      if (val !== null) c.num(val, [...path, k], { min: 0, max: 14, int: true });
    } else if (k === 'ephemeral') {
      const l = c.list(val, [...path, k]);
      if (l && l.length !== 2) c.fail([...path, k], 'ephemeral must be [first, last]');
    } else if (typeof def === 'boolean') {
      if (typeof val !== 'boolean') c.fail([...path, k], `expected true or false, got ${describe(val)}`);
    } else c.num(val, [...path, k], { min: 0 });
    out[k] = val;
  }
  return out as Partial<TcpConfig>;
}

function checkLink(c: Checker, v: unknown, path: Path, hosts: string[]): LinkParams {
  const o = c.obj(v, path, true) ?? {};
  c.keys(o, path, [...LINK_KEYS, 'between', 'reverse'], 'link');
  const p: LinkParams = {};
  for (const k of ['latency', 'jitter', 'bandwidth', 'reorderDelay'] as const) {
    const n = c.num(o[k], [...path, k], { min: 0, optional: true });
    if (n !== undefined) p[k] = n;
  }
  for (const k of ['loss', 'duplicate', 'reorder'] as const) {
    const n = c.num(o[k], [...path, k], { min: 0, max: 1, optional: true });
    if (n !== undefined) p[k] = n;
  }
  const drops = c.list(o.drop, [...path, 'drop'], true);
  if (drops) {
    p.drop = drops.map((d, i) => {
      const dp = [...path, 'drop', i];
      const r = c.obj(d, dp) ?? {};
      c.keys(r, dp, DROP_KEYS, 'drop rule');
      const rule: DropRule = {};
      const from = c.str(r.from, [...dp, 'from'], true);
      if (from !== undefined) {
        if (!hosts.includes(from))
          c.fail([...dp, 'from'], `no host "${from}"; hosts are ${hosts.join(', ')}`);
        rule.from = from;
      }
      const fl = c.flags(r.flags, [...dp, 'flags']);
      if (fl) rule.flags = fl;
      if (r.data !== undefined) {
        if (typeof r.data !== 'boolean') c.fail([...dp, 'data'], 'data must be true or false');
        else rule.data = r.data;
      }
      const nth = c.num(r.nth, [...dp, 'nth'], { min: 1, int: true, optional: true });
      if (nth !== undefined) rule.nth = nth;
      const count = c.num(r.count, [...dp, 'count'], { min: 1, int: true, optional: true });
      if (count !== undefined) rule.count = count;
      return rule;
    });
  }
  return p;
}

function checkAction(c: Checker, v: unknown, path: Path, hosts: string[]): Action | null {
  const o = c.obj(v, path);
  if (!o) return null;
  c.keys(o, path, ACTION_KEYS, 'timeline');
  const host = c.str(o.host, [...path, 'host']);
  if (host !== undefined && !hosts.includes(host))
    c.fail([...path, 'host'], `no host "${host}"; hosts are ${hosts.join(', ')}`);
  const kind = o.do;
  if (typeof kind !== 'string' || !ACTIONS.includes(kind as ActionKind)) {
    c.fail([...path, 'do'], `unknown action ${describe(kind)}; use one of ${ACTIONS.join(', ')}`);
    return null;
  }
  const a: Action = { host: host ?? '', do: kind as ActionKind };
  if (o.at === undefined && o.on === undefined)
    c.fail(path, 'say when: "at: <ms>" or "on: established|eof|closed|error"');
  if (o.at !== undefined && o.on !== undefined) c.fail([...path, 'on'], 'use either "at" or "on", not both');
  a.at = c.num(o.at, [...path, 'at'], { min: 0, optional: true });
  if (o.on !== undefined) {
    if (!TRIGGERS.includes(o.on as Trigger))
      c.fail([...path, 'on'], `unknown trigger ${describe(o.on)}; use one of ${TRIGGERS.join(', ')}`);
    else a.on = o.on as Trigger;
  }
  a.delay = c.num(o.delay, [...path, 'delay'], { min: 0, optional: true });
  const to = c.str(o.to, [...path, 'to'], true);
  if (to !== undefined) {
    if (!hosts.includes(to)) c.fail([...path, 'to'], `no host "${to}"; hosts are ${hosts.join(', ')}`);
    a.to = to;
  }
  for (const k of ['port', 'localPort', 'sport'] as const) {
    const n = c.num(o[k], [...path, k], { min: 1, max: 65535, int: true, optional: true });
    if (n !== undefined) a[k] = n;
  }
  for (const k of ['backlog', 'bytes', 'len', 'ack'] as const) {
    const n = c.num(o[k], [...path, k], { min: 0, int: true, optional: true });
    if (n !== undefined) a[k] = n;
  }
  if (o.keepAlive !== undefined) a.keepAlive = o.keepAlive === true;
  a.text = c.str(o.text, [...path, 'text'], true);
  a.ports = c.ports(o.ports, [...path, 'ports']);
  a.flags = c.flags(o.flags, [...path, 'flags']);
  if (o.seqMode !== undefined) {
    if (
      typeof o.seqMode === 'number' ||
      ['exact', 'in-window', 'out-of-window'].includes(o.seqMode as string)
    ) {
      a.seqMode = o.seqMode as SeqMode;
    } else
      c.fail(
        [...path, 'seqMode'],
        `seqMode must be exact, in-window, out-of-window or a number, got ${describe(o.seqMode)}`,
      );
  }
  const need = (k: keyof Action, why: string): void => {
    if (a[k] === undefined) c.fail(path, `"${a.do}" needs "${k}" (${why})`);
  };
  if (a.do === 'connect') {
    need('to', 'the host to connect to');
    need('port', 'the port to connect to');
  }
  if (a.do === 'listen') need('port', 'the port to listen on');
  if (a.do === 'send' && a.bytes === undefined && a.text === undefined)
    c.fail(path, '"send" needs "bytes: <count>" or "text: <string>"');
  if (a.do === 'inject') need('flags', 'e.g. [RST]');
  if (a.do === 'scan') {
    need('to', 'the host to scan');
    need('ports', 'e.g. [22, 80, 443]');
  }
  return a;
}

/** Parse and validate scenario text; throws `ScenarioError` naming file, line and fix. */
export function parseScenario(text: string, file = 'scenario.yaml'): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          col: pos.col,
          path: '',
          message: `not valid YAML: ${e.message.split('\n')[0]}`,
        };
      }),
    );
  }
  const c = new Checker(file, doc, lc);
  const root = c.obj(doc.toJS(), []);
  if (!root) throw new ScenarioError(c.issues);
  c.keys(root, [], TOP_KEYS, 'top-level');
  const base = file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
  const name = c.str(root.name, ['name'], true) ?? base;
  const hostsObj = c.obj(root.hosts, ['hosts']) ?? {};
  const hostNames = Object.keys(hostsObj);
  if (hostNames.length < 2 && isMap(doc.get('hosts', true)))
    c.fail(['hosts'], 'a scenario needs at least two hosts (A and B)');
  const hosts: Record<string, HostSpec> = {};
  for (const h of hostNames) {
    const hp = ['hosts', h];
    const o = c.obj(hostsObj[h] ?? {}, hp) ?? {};
    c.keys(o, hp, HOST_KEYS, 'host');
    hosts[h] = {
      address: c.str(o.address, [...hp, 'address'], true),
      tcp: checkTcp(c, o.tcp, [...hp, 'tcp']),
      listen: c.ports(o.listen, [...hp, 'listen']),
      backlog: c.num(o.backlog, [...hp, 'backlog'], { min: 0, int: true, optional: true }),
      filtered: c.ports(o.filtered, [...hp, 'filtered']),
      autoRead: o.autoRead === undefined ? undefined : o.autoRead === true,
    };
  }
  const links: LinkSpec[] = [];
  if (root.link !== undefined && root.links !== undefined)
    c.fail(['links'], 'use "link" (two hosts) or "links", not both');
  if (root.links !== undefined) {
    const l = c.list(root.links, ['links']) ?? [];
    l.forEach((lv, i) => {
      const o = c.obj(lv, ['links', i]) ?? {};
      const between = c.list(o.between, ['links', i, 'between']);
      if (
        !between ||
        between.length !== 2 ||
        !between.every((h) => typeof h === 'string' && hostNames.includes(h))
      ) {
        c.fail(
          ['links', i, 'between'],
          `between must name two hosts, e.g. [A, B]; hosts are ${hostNames.join(', ')}`,
        );
        return;
      }
      const rev =
        o.reverse === undefined ? undefined : checkLink(c, o.reverse, ['links', i, 'reverse'], hostNames);
      links.push({
        between: between as [string, string],
        params: checkLink(c, o, ['links', i], hostNames),
        reverse: rev,
      });
    });
  } else {
    if (hostNames.length > 2)
      c.fail(['link'], 'with more than two hosts, list the links under "links" with "between: [X, Y]"');
    const o = root.link === undefined ? {} : root.link;
    const rev = c.obj(o, ['link'])?.reverse;
    links.push({
      between: [hostNames[0] ?? 'A', hostNames[1] ?? 'B'],
      params: checkLink(c, o, ['link'], hostNames),
      reverse: rev === undefined ? undefined : checkLink(c, rev, ['link', 'reverse'], hostNames),
    });
  }
  const tl = c.list(root.timeline, ['timeline']) ?? [];
  const timeline = tl
    .map((a, i) => checkAction(c, a, ['timeline', i], hostNames))
    .filter((a): a is Action => a !== null);
  const seed = c.num(root.seed, ['seed'], { min: 0, max: 0xffffffff, int: true, optional: true }) ?? 1;
  const duration = c.num(root.duration, ['duration'], { min: 0, optional: true });
  if (isSeq(doc.get('hosts', true)))
    c.fail(['hosts'], 'hosts must be a mapping: "A: { … }" lines, not a list');
  if (c.issues.length) throw new ScenarioError(c.issues.sort((x, y) => x.line - y.line || x.col - y.col));
  return {
    name,
    title: c.str(root.title, ['title'], true) ?? name,
    description: typeof root.description === 'string' ? root.description.trim() : '',
    seed,
    duration,
    tcp: checkTcp(c, root.tcp, ['tcp']),
    hosts,
    links,
    timeline,
  };
}

/** Build the simulation of a scenario and schedule its timeline. */
export function buildSimulation(sc: Scenario, seed = sc.seed, record = true): Simulation {
  const sim = new Simulation({ seed, tcp: sc.tcp, record });
  for (const [name, h] of Object.entries(sc.hosts)) {
    sim.addHost(name, { address: h.address, tcp: h.tcp, filtered: h.filtered, autoRead: h.autoRead });
  }
  for (const l of sc.links) sim.addLink(l.between[0], l.between[1], l.params, l.reverse);
  for (const [name, h] of Object.entries(sc.hosts))
    for (const p of h.listen ?? []) sim.host(name).listen(p, { backlog: h.backlog });
  const reactions = sc.timeline.filter((a) => a.on);
  if (reactions.length) {
    const done = new Set<string>();
    sim.on((ev) => {
      if (ev.type !== 'socket') return;
      const trig: Trigger | null =
        ev.what === 'established' || ev.what === 'eof' || ev.what === 'closed' || ev.what === 'error'
          ? ev.what
          : null;
      if (!trig) return;
      reactions.forEach((a, i) => {
        if (a.on !== trig || a.host !== ev.host) return;
        const k = `${i}|${ev.conn}`;
        if (done.has(k)) return;
        done.add(k);
        const sock = [...sim.host(ev.host).sockets.values()].find((s) => s.conn === ev.conn);
        const run = (): void => perform(sim, a, sock);
        if (a.delay) sim.at(sim.now + a.delay, run);
        else sim.defer(run);
      });
    });
  }
  for (const a of sc.timeline) if (a.at !== undefined) sim.at(a.at, () => perform(sim, a));
  return sim;
}

/** The socket an action without a trigger acts on: the host's newest one still open. */
function currentSocket(sim: Simulation, host: string): Socket | undefined {
  const all = sim.host(host).allSockets();
  for (let i = all.length - 1; i >= 0; i--) if (all[i].state !== 'CLOSED') return all[i];
  return all[all.length - 1];
}

function perform(sim: Simulation, a: Action, sock?: Socket): void {
  const h = sim.host(a.host);
  const s = (): Socket | undefined => sock ?? currentSocket(sim, a.host);
  try {
    switch (a.do) {
      case 'connect':
        h.connect({
          to: a.to as string,
          port: a.port as number,
          localPort: a.localPort,
          keepAlive: a.keepAlive,
        });
        break;
      case 'listen':
        h.listen(a.port as number, { backlog: a.backlog });
        break;
      case 'send':
        s()?.send(a.text ?? (a.bytes as number));
        break;
      case 'read':
        s()?.read();
        break;
      case 'shutdown':
        s()?.shutdown();
        break;
      case 'close':
        s()?.close();
        break;
      case 'abort':
        s()?.abort();
        break;
      case 'crash':
        h.crash();
        break;
      case 'inject':
        sim.inject({
          from: a.host,
          to: a.to,
          flags: a.flags ?? [],
          seqMode: a.seqMode,
          ack: a.ack,
          len: a.len,
          sport: a.sport,
          dport: a.port,
          text: a.text,
        });
        break;
      case 'scan': {
        const sport = a.sport ?? 40000;
        const seq = sim.rng.fork(`scan:${a.host}`).u32();
        for (const p of a.ports ?? []) {
          sim.inject({
            from: a.host,
            to: a.to,
            flags: ['SYN'],
            seqMode: seq,
            sport,
            dport: p,
            win: 1024,
            text: `${a.host}'s scanner sends a bare SYN to port ${p} from a raw socket (as nmap -sS does); it never means to finish the handshake`,
          } satisfies InjectSpec);
        }
        break;
      }
    }
  } catch (e) {
    // Errors the application sees (EADDRINUSE, EPIPE …) are already events; anything else is a bug.
    if (!(e instanceof Error && 'code' in e)) throw e;
  }
}

export interface ScenarioResult {
  scenario: string;
  seed: number;
  events: SimEvent[];
}

/** Run a parsed scenario to its end (the `tcplab simulate --json` shape). */
export function runParsedScenario(sc: Scenario, opts: { seed?: number } = {}): ScenarioResult {
  const seed = opts.seed ?? sc.seed;
  const sim = buildSimulation(sc, seed);
  sim.run({ until: sc.duration ?? 86_400_000 });
  return { scenario: sc.name, seed, events: sim.events };
}

/** A scenario being played step by step, with deterministic stepping back. */
export class ScenarioRun {
  sim: Simulation;
  private injections: Array<{ step: number; t: number; spec: InjectSpec }> = [];

  constructor(
    readonly scenario: Scenario,
    readonly seed = scenario.seed,
  ) {
    this.sim = buildSimulation(scenario, seed);
  }

  get events(): SimEvent[] {
    return this.sim.events;
  }

  get steps(): number {
    return this.sim.steps;
  }

  get now(): number {
    return this.sim.now;
  }

  get done(): boolean {
    return this.sim.nextTime() > (this.scenario.duration ?? 86_400_000);
  }

  /** One event forward; false at the end. */
  step(): boolean {
    return this.sim.step(this.scenario.duration ?? 86_400_000);
  }

  runUntil(t: number): void {
    this.sim.runUntil(Math.min(t, this.scenario.duration ?? 86_400_000));
  }

  /** Inject now; remembered so stepping back and forth replays it. */
  inject(spec: InjectSpec): void {
    this.injections.push({ step: this.sim.steps, t: this.sim.now, spec });
    this.sim.inject(spec);
  }

  /** Go back `n` steps: rebuild from the seed and replay (injections included). */
  back(n = 1): void {
    this.seek(Math.max(0, this.sim.steps - n));
  }

  /** Replay from the start to exactly `step` events. */
  seek(step: number): void {
    this.sim = buildSimulation(this.scenario, this.seed);
    const inj = this.injections.filter((i) => i.step <= step);
    this.injections = inj;
    let k = 0;
    for (;;) {
      while (k < inj.length && inj[k].step === this.sim.steps) {
        this.sim.runUntil(inj[k].t); // the clock had moved on (runUntil) without events before the injection
        this.sim.inject(inj[k++].spec);
      }
      if (this.sim.steps >= step || !this.sim.step(this.scenario.duration ?? 86_400_000)) break;
    }
  }
}
