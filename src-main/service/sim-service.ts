/**
 * The simulation side of LabService: open simulations keyed by id, each a
 * scenario from the library (or one built from a few link and host choices)
 * played by the engine's `ScenarioRun` — step, run to a virtual time, step
 * back (a deterministic replay from the seed), reset, and inject SYN, FIN or
 * RST from either host with the sequence number exact, in-window,
 * out-of-window or typed in. Every command answers with a `SimState`: the
 * ladder rows (engine segment events turned into `SegmentRow`s: states from
 * the engine's TCBs, numbers relative to each side's ISS, the state changes
 * each segment caused, its explanation), each host's current state and TCB
 * (RFC 9293 §3.3.1 names) and the log of state changes, socket calls and
 * notes. No timers live here or in the engine: "play" is the renderer calling
 * `sim.runTo` on its own clock. Errors a user can cause are `SimError`s with a
 * sentence.
 */
import { flagBits, type TcpOption, type TcpState } from '../../src-shared/tcp';
import { seqRelative } from '../../src-shared/seqnum';
import type { SegmentAnalysis, SegmentRow } from '../../src-shared/session';
import type {
  BridgeError,
  CommandArgs,
  CommandName,
  CommandResult,
  LabEvent,
  SimHostView,
  SimLogEntry,
  SimScenarioInfo,
  SimState,
  SimTcbView,
} from '../../src-shared/contract';
import {
  listScenarios,
  loadScenario,
  ScenarioError,
  ScenarioRun,
  type Action,
  type HostSpec,
  type Scenario,
  type SimEvent,
  type SegmentEvent,
  type SocketEvent,
  type Tcb,
} from '../engine';

/** A mistake a user can make with a simulation, as a code and a sentence. */
export class SimError extends Error {
  constructor(
    readonly code: BridgeError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** The simulations' commands (`sim.*`). */
export type SimCommand = Extract<CommandName, `sim.${string}`>;

export type SimHandlers = { [K in SimCommand]: (args: CommandArgs<K>) => CommandResult<K> };

export interface SimServiceOptions {
  /** Where service events go (LabService's batcher). */
  emit?: (e: LabEvent) => void;
  /** The scenario folder (default: the engine's `scenarioDir()`). */
  dir?: string;
  /** Simulations kept open at once; the least recently used one is closed beyond it. */
  maxOpen?: number;
}

interface OpenSim {
  id: number;
  scenario: Scenario;
  seed: number;
  run: ScenarioRun;
  used: number;
}

/** The end of time when a scenario names no duration (the engine's own default: a day). */
const DAY = 86_400_000;

/* ------------------------------------------------------------------ events → ladder rows */

interface Lanes {
  a: string;
  b: string;
}

interface Conn {
  host: string;
  port: number;
  peer: string | null;
  peerPort: number;
}

/** `host:port` or `host:port-peer:port`; a host may be an IPv6 name in brackets (`[fd00::2]`, a virtual host's peer). */
function parseConn(conn: string): Conn | null {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d+)(?:-(\[[^\]]+\]|[^:[\]]+):(\d+))?$/.exec(conn);
  if (!m) return null;
  return { host: m[1], port: Number(m[2]), peer: m[3] ?? null, peerPort: m[4] ? Number(m[4]) : 0 };
}

const connKey = (host: string, port: number, peer: string, peerPort: number): string =>
  `${host}:${port}-${peer}:${peerPort}`;

function rowOptions(e: SegmentEvent): TcpOption[] {
  const o = e.options;
  const out: TcpOption[] = [];
  if (o.mss !== undefined) out.push({ kind: 'mss', value: o.mss });
  if (o.sackPermitted) out.push({ kind: 'sack-permitted' });
  if (o.tsval !== undefined) out.push({ kind: 'timestamps', tsval: o.tsval, tsecr: o.tsecr ?? 0 });
  if (o.wscale !== undefined) out.push({ kind: 'wscale', shift: o.wscale });
  if (o.sack) out.push({ kind: 'sack', blocks: o.sack.map(([l, r]) => [l, r] as [number, number]) });
  return out;
}

function rowAnalysis(e: SegmentEvent): SegmentAnalysis[] {
  const rule = e.explain.rule;
  const out: SegmentAnalysis[] = [];
  if (rule.startsWith('challenge-ack')) out.push('challenge-ack');
  if (rule.includes('retransmit')) out.push('retransmission');
  if (rule === 'zero-window-probe') out.push('zero-window-probe');
  if (rule === 'window-update') out.push('window-update');
  if (rule.startsWith('keepalive')) out.push('keep-alive');
  if (e.win === 0 && !e.flags.includes('RST')) out.push('zero-window');
  return out;
}

/** Changes the application made (connect, close, abort) go with the segment that call sent, never with one that arrived. */
const APP_CAUSED = /^the application|application (called|closed|aborted|shut)|crashed/;

/**
 * Sequence and acknowledgment numbers relative to each direction's ISS (its
 * last SYN, as Wireshark does), or to the first number seen when no SYN went
 * that way; learner-injected segments never move the base.
 */
export class RelativeNumbers {
  private readonly base = new Map<string, number>();
  private readonly seen = new Map<string, number>();

  of(e: SegmentEvent): { relSeq: number; relAck: number } {
    const dir = `${e.from}:${e.sport}>${e.to}:${e.dport}`;
    const back = `${e.to}:${e.dport}>${e.from}:${e.sport}`;
    if (!e.injected && (e.flags.includes('SYN') || !this.base.has(dir))) this.base.set(dir, e.seq);
    if (!this.seen.has(dir)) this.seen.set(dir, e.seq);
    const seqBase = this.base.get(dir) ?? this.seen.get(dir) ?? e.seq;
    const ackBase = this.base.get(back) ?? this.seen.get(back);
    return {
      relSeq: seqRelative(e.seq, seqBase),
      relAck: !e.flags.includes('ACK') ? 0 : ackBase === undefined ? e.ack : seqRelative(e.ack, ackBase),
    };
  }
}

export interface RowsResult {
  rows: SegmentRow[];
  /** Index of the first row that may still change as time goes on (a segment in flight or arriving now). */
  unsettled: number;
}

/**
 * Turns a simulation's trace into ladder rows between two hosts. A state
 * change is pinned to the segment that caused it: one arriving at that host
 * at that instant on that connection (the receiver's side), else the next
 * segment the host sends on that connection at the same instant (the
 * sender's side, as connect() and its SYN), else the one it had just sent
 * (abort: RST, then CLOSED); others (a timer ending TIME-WAIT) belong to no
 * row and are only in the log. Each row's states are
 * the sender's when it sent and the receiver's once it arrived (its current
 * one while in flight; `instantDone` says whether every event of the instant
 * `now` has run). Sequence numbers are relative to each direction's
 * ISS (its SYN), or to the first number seen when there was no SYN.
 */
export function eventsToRows(
  events: readonly SimEvent[],
  lanes: Lanes,
  now: number,
  instantDone = true,
): RowsResult {
  const rows: SegmentRow[] = [];
  const segs: SegmentEvent[] = [];
  const state = new Map<string, TcpState>();
  const rel = new RelativeNumbers();
  /** Sender-side changes waiting for the segment they go with; `prev` is the host's last row on that connection at that instant. */
  const pendingSender = new Map<
    string,
    { t: number; host: string; prev: number; changes: Array<{ from: TcpState; to: TcpState }> }
  >();
  /** The last row each connection (sender's key) sent, and when. */
  const lastSent = new Map<string, number>();
  /** Rows delivered (not dropped) whose receiver state is not final yet, in emission order. */
  let inFlight: number[] = [];
  const settledRecv = new Set<number>();

  const stateOf = (host: string, port: number, peer: string, peerPort: number): TcpState =>
    state.get(connKey(host, port, peer, peerPort)) ?? state.get(`${host}:${port}`) ?? 'CLOSED';
  const side = (host: string): 'a' | 'b' => (host === lanes.a ? 'a' : 'b');

  const setSend = (i: number, st: TcpState): void => {
    const r = rows[i];
    if (segs[i].from === lanes.a) r.stateA = st;
    else r.stateB = st;
  };
  /** Sender-side changes no segment followed: they go with the segment the host had just sent (abort: RST, then CLOSED). */
  const flushPending = (t: number): void => {
    for (const [k, p] of pendingSender) {
      if (p.t >= t) continue;
      pendingSender.delete(k);
      if (p.prev < 0) continue;
      const r = rows[p.prev];
      (r.changes ??= []).push(...p.changes.map((c) => ({ side: side(p.host), ...c })));
      setSend(p.prev, p.changes[p.changes.length - 1].to);
    }
  };
  const settleBefore = (t: number): void => {
    if (pendingSender.size) flushPending(t);
    if (inFlight.length === 0) return;
    const keep: number[] = [];
    for (const i of inFlight) {
      const e = segs[i];
      if ((e.arrive ?? Infinity) < t) {
        if (!settledRecv.has(i)) setRecv(i, stateOf(e.to, e.dport, e.from, e.sport));
      } else keep.push(i);
    }
    inFlight = keep;
  };
  const setRecv = (i: number, st: TcpState): void => {
    const r = rows[i];
    if (segs[i].to === lanes.a) r.stateA = st;
    else r.stateB = st;
  };

  for (const ev of events) {
    settleBefore(ev.t);
    if (ev.type === 'segment') {
      const inLanes =
        (ev.from === lanes.a && ev.to === lanes.b) || (ev.from === lanes.b && ev.to === lanes.a);
      if (!inLanes) continue;
      const { relSeq, relAck } = rel.of(ev);
      const senderState = stateOf(ev.from, ev.sport, ev.to, ev.dport);
      const receiverState = stateOf(ev.to, ev.dport, ev.from, ev.sport);
      const row: SegmentRow = {
        index: rows.length,
        frame: ev.id + 1,
        time: ev.t / 1000,
        dir: ev.from === lanes.a ? 'ab' : 'ba',
        flags: flagBits(ev.flags),
        seq: ev.seq,
        ack: ev.ack,
        relSeq,
        relAck,
        len: ev.len,
        win: ev.wnd ?? ev.win,
        options: rowOptions(ev),
        stateA: ev.from === lanes.a ? senderState : receiverState,
        stateB: ev.from === lanes.a ? receiverState : senderState,
        analysis: rowAnalysis(ev),
        explain: { rule: ev.explain.rule, rfc: ev.explain.rfc, text: ev.explain.text },
      };
      if (ev.arrive !== null) row.arrive = ev.arrive / 1000;
      if (ev.dropped) row.dropped = true;
      if (ev.injected) row.injected = true;
      const sendKey = connKey(ev.from, ev.sport, ev.to, ev.dport);
      const pend = pendingSender.get(sendKey);
      if (pend && pend.t === ev.t) {
        row.changes = pend.changes.map((c) => ({ side: side(ev.from), ...c }));
        pendingSender.delete(sendKey);
      }
      lastSent.set(sendKey, rows.length);
      rows.push(row);
      segs.push(ev);
      if (!ev.dropped) inFlight.push(rows.length - 1);
      continue;
    }
    if (ev.type !== 'state') continue;
    const c = parseConn(ev.conn);
    const key = c && c.peer !== null ? connKey(c.host, c.port, c.peer, c.peerPort) : ev.conn;
    state.set(key, ev.to);
    if (!c || c.peer === null || (ev.host !== lanes.a && ev.host !== lanes.b)) continue;
    // The receiver's side: a segment on this connection arriving right now.
    let cause = -1;
    if (!APP_CAUSED.test(ev.reason)) {
      for (let k = inFlight.length - 1; k >= 0; k--) {
        const e = segs[inFlight[k]];
        if (
          e.to === ev.host &&
          e.arrive === ev.t &&
          e.dport === c.port &&
          e.from === c.peer &&
          e.sport === c.peerPort
        ) {
          cause = inFlight[k];
          break;
        }
      }
    }
    if (cause >= 0) {
      const r = rows[cause];
      (r.changes ??= []).push({ side: side(ev.host), from: ev.from, to: ev.to });
      setRecv(cause, ev.to);
      settledRecv.add(cause);
      continue;
    }
    // Else the sender's side, if the host sends on this connection at this instant.
    const p = pendingSender.get(key);
    if (p && p.t === ev.t) p.changes.push({ from: ev.from, to: ev.to });
    else {
      const last = lastSent.get(key);
      const prev = last !== undefined && segs[last].t === ev.t ? last : -1;
      pendingSender.set(key, { t: ev.t, host: ev.host, prev, changes: [{ from: ev.from, to: ev.to }] });
    }
  }
  settleBefore(instantDone ? now + 1e-9 : now);
  flushPending(Infinity);
  let unsettled = rows.length;
  for (const i of inFlight) unsettled = Math.min(unsettled, i);
  // Rows sent at this very instant may still gain a change while events of the instant are pending.
  if (!instantDone)
    for (let i = rows.length - 1; i >= 0 && rows[i].time * 1000 >= now; i--)
      unsettled = Math.min(unsettled, i);
  return { rows, unsettled };
}

/* ------------------------------------------------------------------ custom scenarios */

export type SimCustomArgs = CommandArgs<'sim.custom'>;

/** A scenario from the Simulate view's builder: A connects to B over one link. */
export function customScenario(a: SimCustomArgs): Scenario {
  const port = a.port ?? 80;
  const server = a.server ?? 'listening';
  const client = a.client ?? 'close';
  const addressA = a.addressA ?? '10.0.0.1';
  const addressB = a.addressB ?? '10.0.0.2';
  if (addressA === addressB) {
    throw new SimError('bad-request', `Hosts A and B need different addresses; both are ${addressA}.`);
  }
  if (a.bytes !== undefined && client !== 'transfer') {
    throw new SimError(
      'bad-request',
      'Only the "transfer" client action sends bytes: choose it, or leave bytes out.',
    );
  }
  const B: HostSpec = { address: addressB };
  if (server === 'listening') B.listen = [port];
  if (server === 'filtered') B.filtered = [port];
  const timeline: Action[] = [];
  const connect: Action = { at: 0, host: 'A', do: 'connect', to: 'B', port };
  const words: string[] = [];
  switch (client) {
    case 'connect':
      timeline.push(connect);
      words.push(`A connects to B:${port} and keeps the connection open`);
      break;
    case 'close':
      timeline.push(connect, { on: 'established', delay: 50, host: 'A', do: 'close' });
      timeline.push({ on: 'eof', host: 'B', do: 'close' });
      words.push(`A connects to B:${port}, then closes; B closes when it reads the end of file`);
      break;
    case 'transfer':
      timeline.push(connect, { on: 'established', host: 'A', do: 'send', bytes: a.bytes ?? 4000 });
      timeline.push({ on: 'established', host: 'A', do: 'close' });
      timeline.push({ on: 'eof', host: 'B', do: 'close' });
      words.push(
        `A connects to B:${port}, sends ${a.bytes ?? 4000} bytes and closes; B closes at end of file`,
      );
      break;
    case 'abort':
      timeline.push(connect, { on: 'established', delay: 50, host: 'A', do: 'abort' });
      words.push(`A connects to B:${port}, then aborts with RST (SO_LINGER 0)`);
      break;
    case 'scan':
      timeline.push({ at: 0, host: 'A', do: 'scan', to: 'B', ports: [port], sport: 40000 });
      words.push(`A SYN-scans B:${port}`);
      break;
    case 'none':
      words.push('nothing happens until you inject a segment');
      break;
  }
  const linkBits = [`latency ${a.latency ?? 10} ms`];
  if (a.jitter) linkBits.push(`jitter ${a.jitter} ms`);
  if (a.loss) linkBits.push(`loss ${Math.round(a.loss * 1000) / 10} %`);
  const serverWords =
    server === 'listening'
      ? 'B listens'
      : server === 'closed'
        ? 'nothing listens (closed)'
        : 'a firewall drops (filtered)';
  return {
    name: 'custom',
    title: 'Custom scenario',
    description: `${words.join('')}. On port ${port} ${serverWords}; link ${linkBits.join(', ')}.`,
    seed: a.seed ?? 1,
    tcp: { msl: 1000 },
    hosts: { A: { address: addressA }, B },
    links: [
      {
        between: ['A', 'B'],
        params: { latency: a.latency ?? 10, jitter: a.jitter ?? 0, loss: a.loss ?? 0 },
      },
    ],
    timeline,
  };
}

/* ------------------------------------------------------------------ the service */

/** A TCB's send and receive variables as the views show them (RFC 9293 §3.3.1 names); also the Real peer view's. */
export function tcbView(t: Tcb): SimTcbView {
  return {
    'SND.UNA': t.sndUna,
    'SND.NXT': t.sndNxt,
    'SND.WND': t.sndWnd,
    'RCV.NXT': t.rcvNxt,
    'RCV.WND': t.rcvWnd,
    ISS: t.iss,
    IRS: t.irs,
  };
}

function logOf(events: readonly SimEvent[]): SimLogEntry[] {
  const out: SimLogEntry[] = [];
  for (const e of events) {
    if (e.type === 'state') {
      out.push({ t: e.t, host: e.host, kind: 'state', text: `${e.conn}: ${e.from} → ${e.to}: ${e.reason}` });
    } else if (e.type === 'note') {
      out.push({ t: e.t, host: e.host, kind: 'note', text: e.text, rfc: e.rfc });
    } else if (e.type === 'socket') {
      out.push({ t: e.t, host: e.host, kind: 'socket', text: socketLogText(e) });
    }
  }
  return out;
}

/** A socket call's log line: `conn: what [code] [N bytes] [(detail)]`; also the Real peer view's. */
export function socketLogText(e: SocketEvent): string {
  const bits = [`${e.conn}: ${e.what}`];
  if (e.code) bits.push(e.code);
  if (e.bytes !== undefined) bits.push(`${e.bytes} bytes`);
  if (e.detail) bits.push(`(${e.detail})`);
  return bits.join(' ');
}

export class SimService {
  private readonly sims = new Map<number, OpenSim>();
  private nextId = 1;
  private clock = 0;
  private readonly maxOpen: number;

  constructor(private readonly opts: SimServiceOptions = {}) {
    this.maxOpen = opts.maxOpen ?? 16;
  }

  /** The `sim.*` handlers, for LabService's table. */
  handlers(): SimHandlers {
    return {
      'sim.list': () => this.list(),
      'sim.load': ({ scenario, seed }) => this.open(this.scenario(scenario), seed),
      'sim.custom': (args) => this.open(customScenario(args), args.seed),
      'sim.step': ({ simId, count = 1, since }) =>
        this.change(simId, since, (s) => {
          for (let i = 0; i < count && s.run.step(); i++);
        }),
      'sim.runTo': ({ simId, t, since }) =>
        this.change(simId, since, (s) => {
          if (t < s.run.now) {
            throw new SimError(
              'bad-request',
              `The simulation is already at ${s.run.now} ms; to go back to ${t} ms use step back or reset.`,
            );
          }
          s.run.runUntil(t);
        }),
      'sim.back': ({ simId, count = 1, since }) => this.change(simId, since, (s) => s.run.back(count)),
      'sim.reset': ({ simId }) =>
        this.change(simId, 0, (s) => {
          s.run = new ScenarioRun(s.scenario, s.seed);
        }),
      'sim.inject': ({ simId, from, flag, seqMode, seq, since }) =>
        this.change(simId, since, (s) => this.inject(s, from, flag, seqMode, seq)),
      'sim.state': ({ simId, since }) => this.state(this.get(simId), since),
      'sim.close': ({ simId }) => {
        const closed = this.sims.delete(simId);
        if (closed) this.opts.emit?.({ type: 'sim.closed', simId });
        return { closed };
      },
    };
  }

  list(): SimScenarioInfo[] {
    try {
      return listScenarios(this.opts.dir);
    } catch (e) {
      throw this.scenarioProblem(e);
    }
  }

  dispose(): void {
    this.sims.clear();
  }

  private scenario(name: string): Scenario {
    try {
      return loadScenario(name, this.opts.dir);
    } catch (e) {
      if (e instanceof ScenarioError && /^no scenario/.test(e.issues[0]?.message ?? '')) {
        const names = this.list().map((s) => s.name);
        throw new SimError('not-found', `There is no scenario "${name}". Pick one of: ${names.join(', ')}.`);
      }
      throw this.scenarioProblem(e);
    }
  }

  private scenarioProblem(e: unknown): SimError {
    if (e instanceof ScenarioError)
      return new SimError('bad-file', `A scenario file is broken: ${e.message}`);
    const msg = e instanceof Error ? e.message : String(e);
    return new SimError('unavailable', `The scenario library cannot be read: ${msg}`);
  }

  private open(scenario: Scenario, seed = scenario.seed): SimState {
    while (this.sims.size >= this.maxOpen) {
      let oldest: OpenSim | null = null;
      for (const s of this.sims.values()) if (!oldest || s.used < oldest.used) oldest = s;
      if (!oldest) break;
      this.sims.delete(oldest.id);
      this.opts.emit?.({ type: 'sim.closed', simId: oldest.id });
    }
    const sim: OpenSim = { id: this.nextId++, scenario, seed, run: new ScenarioRun(scenario, seed), used: 0 };
    this.sims.set(sim.id, sim);
    return this.changed(sim, 0);
  }

  private get(simId: number): OpenSim {
    const s = this.sims.get(simId);
    if (!s) throw new SimError('not-found', `Simulation ${simId} is not open: load a scenario again.`);
    s.used = ++this.clock;
    return s;
  }

  private change(simId: number, since: number | undefined, fn: (s: OpenSim) => void): SimState {
    const s = this.get(simId);
    fn(s);
    return this.changed(s, since);
  }

  private changed(s: OpenSim, since: number | undefined): SimState {
    const st = this.state(s, since);
    this.opts.emit?.({
      type: 'sim.updated',
      simId: s.id,
      now: st.now,
      steps: st.steps,
      done: st.done,
      rowCount: st.rowCount,
    });
    return st;
  }

  private inject(
    s: OpenSim,
    from: string,
    flag: 'SYN' | 'FIN' | 'RST',
    seqMode: 'exact' | 'in-window' | 'out-of-window' | 'value',
    seq: number | undefined,
  ): void {
    const sim = s.run.sim;
    const names = [...sim.hosts.keys()];
    if (!sim.hosts.has(from)) {
      throw new SimError(
        'bad-request',
        `There is no host "${from}" here; the hosts are ${names.join(', ')}.`,
      );
    }
    if (seqMode === 'value' && seq === undefined) {
      throw new SimError(
        'bad-request',
        'Type the sequence number to use (0 to 4294967295), or pick exact, in-window or out-of-window.',
      );
    }
    if (seqMode !== 'value' && seq !== undefined) {
      throw new SimError(
        'bad-request',
        `A typed sequence number goes with seqMode "value", not "${seqMode}".`,
      );
    }
    const lanes = this.lanes(s);
    const to = from === lanes.a ? lanes.b : lanes.a;
    // A bare FIN is dropped by any synchronized TCP (no ACK bit): send FIN,ACK as crafting tools do.
    const flags = flag === 'FIN' ? ['FIN', 'ACK'] : [flag];
    const spec = { from, to, flags, seqMode: seqMode === 'value' ? (seq as number) : seqMode };
    try {
      s.run.inject(spec);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      // No connection between them (yet, or any more): aim at the ports the ladder shows,
      // or from A's port 40000 (as a scanner would) at B's port.
      const ends = this.endpointsOf(s, lanes);
      if (ends.a.port === 0) ends.a.port = 40000;
      if (ends.b.port === 0) {
        throw new SimError(
          'bad-request',
          `${lanes.b} has no port in this scenario to aim at: step until a segment has crossed, then inject.`,
        );
      }
      const sport = from === lanes.a ? ends.a.port : ends.b.port;
      const dport = from === lanes.a ? ends.b.port : ends.a.port;
      s.run.inject({ ...spec, sport, dport });
    }
  }

  private lanes(s: OpenSim): Lanes {
    const names = Object.keys(s.scenario.hosts);
    return { a: names[0] ?? 'A', b: names[1] ?? 'B' };
  }

  private endpointsOf(s: OpenSim, lanes: Lanes): SimState['endpoints'] {
    const sim = s.run.sim;
    let pa = 0;
    let pb = 0;
    for (const e of sim.events) {
      if (e.type !== 'segment') continue;
      if (e.from === lanes.a && e.to === lanes.b) {
        pa = e.sport;
        pb = e.dport;
        break;
      }
      if (e.from === lanes.b && e.to === lanes.a) {
        pa = e.dport;
        pb = e.sport;
        break;
      }
    }
    if (pb === 0) {
      const c = s.scenario.timeline.find((a) => a.do === 'connect' || a.do === 'scan');
      pb = c?.port ?? c?.ports?.[0] ?? sim.hosts.get(lanes.b)?.listeners.keys().next().value ?? 0;
    }
    return {
      a: { ip: sim.hostAddress(lanes.a), port: pa },
      b: { ip: sim.hostAddress(lanes.b), port: pb },
    };
  }

  private hostView(s: OpenSim, name: string): SimHostView {
    const h = s.run.sim.host(name);
    const socks = h.allSockets();
    const open = socks.filter((k) => k.state !== 'CLOSED');
    const shown = open[open.length - 1] ?? socks[socks.length - 1];
    const listening = [...h.listeners.keys()].sort((x, y) => x - y);
    const connections = socks.map((k) => ({ conn: k.conn, state: k.state }));
    if (shown) {
      return {
        name,
        ip: h.address,
        port: shown.tcb.ends.localPort,
        state: shown.state,
        conn: shown.conn,
        tcb: tcbView(shown.tcb),
        listening,
        connections,
      };
    }
    const l = listening.length ? h.listeners.get(listening[0]) : undefined;
    return {
      name,
      ip: h.address,
      port: l ? l.port : null,
      state: l ? l.tcb.state : 'CLOSED',
      conn: l ? l.tcb.conn : null,
      tcb: null,
      listening,
      connections,
    };
  }

  private state(s: OpenSim, since: number | undefined): SimState {
    const run = s.run;
    const lanes = this.lanes(s);
    const { rows, unsettled } = eventsToRows(run.events, lanes, run.now, run.sim.nextTime() > run.now);
    const rowsOffset = Math.min(since ?? 0, unsettled, rows.length);
    const end = s.scenario.duration ?? DAY;
    const next = run.sim.nextTime();
    return {
      simId: s.id,
      scenario: { name: s.scenario.name, title: s.scenario.title, description: s.scenario.description },
      seed: s.seed,
      now: run.now,
      steps: run.steps,
      done: run.done,
      nextTime: Number.isFinite(next) && next <= end ? next : null,
      endpoints: this.endpointsOf(s, lanes),
      laneHosts: lanes,
      hosts: [...run.sim.hosts.keys()].map((n) => this.hostView(s, n)),
      rowCount: rows.length,
      rowsOffset,
      rowsSettled: unsettled,
      rows: rowsOffset === 0 ? rows : rows.slice(rowsOffset),
      log: logOf(run.events),
    };
  }
}
