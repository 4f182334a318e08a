/**
 * Classroom labs as plain data: the lab file's shape (title, objectives, a
 * setup — a simulated topology in the engine's scenario format, a real target
 * on loopback, or a capture file —, steps with Markdown instructions, the
 * learner's allowed actions, questions, hints, checks over the session event
 * stream with points, and a reference solution with plausible wrong
 * attempts), its validator (`validateLab`, which returns every problem as a
 * path into the document and a sentence saying what to write instead; the
 * loader turns paths into file:line), the learner's attempt, the grade, the
 * predict-the-packet scoring of one segment, and the report's embedded JSON.
 * Pure: no Node, DOM or Electron, so the renderer shares the types.
 */
import type { SegmentRow } from './session';
import { TCP_FLAG, TCP_STATES, type TcpFlagName, type TcpState } from './tcp';

/* ------------------------------------------------------------------ the file */

export type LabPath = Array<string | number>;

/** What a learner may do in the simulation (the engine's timeline verbs). */
export type LabActionKind = 'connect' | 'send' | 'shutdown' | 'close' | 'abort' | 'inject' | 'scan';
export const LAB_ACTION_KINDS: readonly LabActionKind[] = [
  'connect',
  'send',
  'shutdown',
  'close',
  'abort',
  'inject',
  'scan',
];
export type LabSeqMode = 'exact' | 'in-window' | 'out-of-window';
export const LAB_SEQ_MODES: readonly LabSeqMode[] = ['exact', 'in-window', 'out-of-window'];

/** One action a step offers: a button in the Labs view (choices become a select). */
export interface LabActionSpec {
  host: string;
  do: LabActionKind;
  /** connect/inject/scan: the other host. */
  to?: string;
  /** connect: the ports the learner may pick (the first is the default). */
  ports?: number[];
  localPort?: number;
  /** send: bytes or text. */
  bytes?: number;
  text?: string;
  /** inject: the flags sent and the sequence-number choices offered. */
  flags?: TcpFlagName[];
  seqModes?: LabSeqMode[];
  /** A label for the button ("A: close()"); a default is derived. */
  label?: string;
}

export type LabQuestionKind = 'number' | 'text' | 'choice' | 'flags' | 'state';
export const LAB_QUESTION_KINDS: readonly LabQuestionKind[] = ['number', 'text', 'choice', 'flags', 'state'];

export interface LabQuestion {
  id: string;
  /** Markdown. */
  text: string;
  kind: LabQuestionKind;
  choices?: string[];
}

/** Which segments a predict-the-packet step asks about: the first `segments` ones the hosts send. */
export interface LabPredictSpec {
  segments: number;
}

export interface LabStep {
  title: string;
  /** Markdown instructions. */
  text: string;
  actions: LabActionSpec[];
  questions: LabQuestion[];
  hints: string[];
  checks: LabCheck[];
  predict?: LabPredictSpec;
}

/** Matches one segment of the trace. Flags: `flags` is the exact set, `has` must be set, `lacks` must not. */
export interface SegMatch {
  from?: string;
  to?: string;
  flags?: TcpFlagName[];
  has?: TcpFlagName[];
  lacks?: TcpFlagName[];
  /** Carries this option (`mss`, `wscale`, `sackPermitted`, `timestamps`, `sack`). */
  option?: LabOptionName;
  mss?: number;
  injected?: boolean;
  dropped?: boolean;
  /** The engine's explanation rule starts with this (`challenge-ack`, `rto-retransmit` …). */
  rule?: string;
  /** Payload length: exact, or a range. */
  len?: number | { min?: number; max?: number };
  sport?: number;
  dport?: number;
  /** SEQ relative to the sender's ISN. */
  relSeq?: number;
}

export type LabOptionName = 'mss' | 'wscale' | 'sackPermitted' | 'timestamps' | 'sack';
export const LAB_OPTION_NAMES: readonly LabOptionName[] = [
  'mss',
  'wscale',
  'sackPermitted',
  'timestamps',
  'sack',
];

/** A state change of a host's connection (`to`, optionally `from`), optionally caused by a matching segment arriving. */
export interface StateMatch {
  host: string;
  to?: TcpState;
  from?: TcpState;
  /** The host's last connection state at the end is `to`. */
  final?: boolean;
  causedBy?: SegMatch;
}

export interface SocketMatch {
  host: string;
  what?: string;
  code?: string;
}

export interface NoteMatch {
  host?: string;
  rule: string;
}

/** A value an answer is compared with: a literal, or one read from the trace. */
export type ValueExpr =
  | string
  | number
  | string[]
  | { isn: string }
  | { mss: string }
  | { state: string }
  | { count: SegMatch }
  | { field: LabSegmentField; of: SegMatch; nth?: number }
  | { oneOf: Array<string | number> };

export type LabSegmentField = 'seq' | 'ack' | 'relSeq' | 'relAck' | 'len' | 'win' | 'flags' | 'mss' | 't';
export const LAB_SEGMENT_FIELDS: readonly LabSegmentField[] = [
  'seq',
  'ack',
  'relSeq',
  'relAck',
  'len',
  'win',
  'flags',
  'mss',
  't',
];

export type LabCondition =
  | { segment: SegMatch; count?: number; min?: number; max?: number }
  | { state: StateMatch }
  | { socket: SocketMatch }
  | { note: NoteMatch }
  | { answer: string; equals: ValueExpr; tolerance?: number }
  | { predictions: { min: number } }
  | { all: LabCondition[] }
  | { any: LabCondition[] }
  | { not: LabCondition }
  /** Single-event matchers (segment, state, socket, note) matched in this order. */
  | { order: LabCondition[] };

export type LabCheck = LabCondition & {
  id: string;
  /** What the check verifies, for learners ("A's SYN carries an MSS option"). */
  text: string;
  points: number;
  /** Said when the check fails (else a sentence is derived). */
  fail?: string;
};

export type LabSetup =
  | { kind: 'simulation'; scenario?: string; simulation?: Record<string, unknown> }
  | { kind: 'target'; target: { kind: 'echo' | 'http'; action: 'graceful' | 'reset' | 'refused' | 'hold' } }
  | { kind: 'capture'; capture: string; session?: number };

/** A learner's action as recorded in an attempt: when (virtual ms) and what. */
export interface LabAttemptAction {
  at: number;
  host: string;
  do: LabActionKind;
  to?: string;
  port?: number;
  ports?: number[];
  localPort?: number;
  bytes?: number;
  text?: string;
  flags?: TcpFlagName[];
  seqMode?: LabSeqMode;
}

/** The learner's prediction of one segment (numbers relative or absolute; state: the sender's after sending). */
export interface LabPrediction {
  flags: string;
  seq: string;
  ack: string;
  state: string;
}

export interface LabAttempt {
  actions: LabAttemptAction[];
  answers: Record<string, string>;
  /** Index-aligned with the predicted segments. */
  predictions: Array<LabPrediction | null>;
  /** Hints revealed, as `step:index`. */
  hints: string[];
}

export function emptyAttempt(): LabAttempt {
  return { actions: [], answers: {}, predictions: [], hints: [] };
}

/** A wrong attempt the lab file ships with: the checks it must fail. */
export interface LabWrongAttempt {
  why: string;
  actions: LabAttemptAction[];
  answers: Record<string, ValueExpr>;
  predictions?: LabPrediction[];
  fails: string[];
}

export interface LabSolution {
  actions: LabAttemptAction[];
  /** Literal answers or expressions read from the solution's own run. */
  answers: Record<string, ValueExpr>;
  /** `auto`: predict every segment right. */
  predictions?: 'auto';
}

export interface LabFile {
  id: string;
  title: string;
  summary: string;
  objectives: string[];
  /** Names of the hosts (the first two are the ladder's lanes A and B). */
  hosts: string[];
  setup: LabSetup;
  steps: LabStep[];
  solution: LabSolution;
  wrong: LabWrongAttempt[];
}

/* ------------------------------------------------------------------ validation */

export interface LabIssue {
  path: LabPath;
  message: string;
}

const TOP_KEYS = ['id', 'title', 'summary', 'objectives', 'setup', 'steps', 'solution', 'wrong'];
const SETUP_KEYS = ['scenario', 'simulation', 'target', 'capture', 'session'];
const STEP_KEYS = ['title', 'text', 'actions', 'questions', 'hints', 'checks', 'predict'];
const ACTION_SPEC_KEYS = [
  'host',
  'do',
  'to',
  'ports',
  'localPort',
  'bytes',
  'text',
  'flags',
  'seqModes',
  'label',
];
const ATTEMPT_ACTION_KEYS = [
  'at',
  'host',
  'do',
  'to',
  'port',
  'ports',
  'localPort',
  'bytes',
  'text',
  'flags',
  'seqMode',
];
const QUESTION_KEYS = ['id', 'text', 'kind', 'choices'];
const CHECK_META = ['id', 'text', 'points', 'fail'];
const CONDITION_KEYS = [
  'segment',
  'state',
  'socket',
  'note',
  'answer',
  'predictions',
  'all',
  'any',
  'not',
  'order',
];
const SEG_KEYS = [
  'from',
  'to',
  'flags',
  'has',
  'lacks',
  'option',
  'mss',
  'injected',
  'dropped',
  'rule',
  'len',
  'sport',
  'dport',
  'relSeq',
];
const STATE_KEYS = ['host', 'to', 'from', 'final', 'causedBy'];
const FLAG_NAMES = Object.keys(TCP_FLAG) as TcpFlagName[];

function describe(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"` : String(v);
}

function near(k: string, allowed: readonly string[]): string | undefined {
  const lk = k.toLowerCase();
  return allowed.find((a) => {
    const la = a.toLowerCase();
    return la === lk || (lk.length >= 3 && (la.startsWith(lk) || lk.startsWith(la))) || lev(la, lk) <= 2;
  });
}

function lev(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** Normalises a state as people type it: "close_wait", "Close Wait" → "CLOSE-WAIT". */
export function normalizeState(v: string): string {
  return v
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '-');
}

export function isTcpState(v: unknown): v is TcpState {
  return typeof v === 'string' && (TCP_STATES as readonly string[]).includes(v);
}

/** Parses flags as people type them: "SYN, ACK", "syn+ack", "SA" is not accepted. Null when a word is not a flag. */
export function parseFlags(v: string | readonly string[]): TcpFlagName[] | null {
  const words = (typeof v === 'string' ? v.split(/[\s,+|/]+/) : [...v])
    .map((w) => w.trim().toUpperCase())
    .filter(Boolean);
  const out = new Set<TcpFlagName>();
  for (const w of words) {
    if (!(FLAG_NAMES as string[]).includes(w)) return null;
    out.add(w as TcpFlagName);
  }
  return FLAG_NAMES.filter((f) => out.has(f));
}

/** Parses a whole number as people type it: "1 460", "1,460", "0x5a". Null when it is not one. */
export function parseNumber(v: string): number | null {
  const t = v.trim().replace(/[\s_,]/g, '');
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (!/^-?\d+(\.\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

class V {
  readonly issues: LabIssue[] = [];
  constructor(readonly hosts: string[]) {}

  fail(path: LabPath, message: string): void {
    this.issues.push({ path, message });
  }

  keys(o: Record<string, unknown>, path: LabPath, allowed: readonly string[], what: string): void {
    for (const k of Object.keys(o)) {
      if (allowed.includes(k)) continue;
      const n = near(k, allowed);
      this.fail(
        [...path, k],
        `unknown ${what} key "${k}"; ${n ? `did you mean "${n}"?` : `use one of ${allowed.join(', ')}`}`,
      );
    }
  }

  obj(v: unknown, path: LabPath, what: string): Record<string, unknown> | null {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(path, `expected ${what} (a mapping of key: value lines), got ${describe(v)}`);
      return null;
    }
    return v as Record<string, unknown>;
  }

  list(v: unknown, path: LabPath, what: string, optional = true): unknown[] {
    if (v === undefined && optional) return [];
    if (!Array.isArray(v)) {
      this.fail(path, `expected a list of ${what}, got ${describe(v)}`);
      return [];
    }
    return v;
  }

  str(v: unknown, path: LabPath, what: string): string {
    if (typeof v !== 'string' || v.trim() === '') {
      this.fail(path, `expected ${what} (text), got ${describe(v)}`);
      return '';
    }
    return v;
  }

  optStr(v: unknown, path: LabPath, what: string): string | undefined {
    return v === undefined ? undefined : this.str(v, path, what);
  }

  num(v: unknown, path: LabPath, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(path, `expected ${what}: a number from ${min} to ${max}, got ${describe(v)}`);
      return min;
    }
    return v;
  }

  optNum(
    v: unknown,
    path: LabPath,
    what: string,
    min = 0,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined {
    return v === undefined ? undefined : this.num(v, path, what, min, max);
  }

  bool(v: unknown, path: LabPath): boolean | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describe(v)}`);
    return v === true;
  }

  host(v: unknown, path: LabPath): string {
    const h = this.str(v, path, 'a host name');
    if (h && this.hosts.length && !this.hosts.includes(h))
      this.fail(path, `no host "${h}"; the hosts are ${this.hosts.join(', ')}`);
    return h;
  }

  flags(v: unknown, path: LabPath): TcpFlagName[] | undefined {
    if (v === undefined) return undefined;
    const l = this.list(v, path, 'flags');
    const out: TcpFlagName[] = [];
    l.forEach((f, i) => {
      const u = typeof f === 'string' ? f.toUpperCase() : '';
      if (!(FLAG_NAMES as string[]).includes(u))
        this.fail([...path, i], `unknown flag ${describe(f)}; use SYN, ACK, FIN, RST or PSH`);
      else out.push(u as TcpFlagName);
    });
    return out;
  }

  state(v: unknown, path: LabPath): TcpState | undefined {
    if (v === undefined) return undefined;
    const s = typeof v === 'string' ? normalizeState(v) : '';
    if (!isTcpState(s)) {
      this.fail(path, `unknown state ${describe(v)}; use one of ${TCP_STATES.join(', ')}`);
      return undefined;
    }
    return s;
  }
}

function segMatch(c: V, v: unknown, path: LabPath): SegMatch {
  const o = c.obj(v, path, 'a segment pattern');
  if (!o) return {};
  c.keys(o, path, SEG_KEYS, 'segment pattern');
  const m: SegMatch = {};
  if (o.from !== undefined) m.from = c.host(o.from, [...path, 'from']);
  if (o.to !== undefined) m.to = c.host(o.to, [...path, 'to']);
  m.flags = c.flags(o.flags, [...path, 'flags']);
  m.has = c.flags(o.has, [...path, 'has']);
  m.lacks = c.flags(o.lacks, [...path, 'lacks']);
  if (o.option !== undefined) {
    if (!LAB_OPTION_NAMES.includes(o.option as LabOptionName))
      c.fail(
        [...path, 'option'],
        `unknown option ${describe(o.option)}; use one of ${LAB_OPTION_NAMES.join(', ')}`,
      );
    else m.option = o.option as LabOptionName;
  }
  m.mss = c.optNum(o.mss, [...path, 'mss'], 'an MSS', 1, 65535);
  m.injected = c.bool(o.injected, [...path, 'injected']);
  m.dropped = c.bool(o.dropped, [...path, 'dropped']);
  m.rule = c.optStr(o.rule, [...path, 'rule'], 'an explanation rule such as challenge-ack');
  if (o.len !== undefined) {
    if (typeof o.len === 'number') m.len = c.num(o.len, [...path, 'len'], 'a payload length');
    else {
      const r = c.obj(o.len, [...path, 'len'], 'a length or {min, max}');
      if (r) {
        c.keys(r, [...path, 'len'], ['min', 'max'], 'length range');
        m.len = {
          min: c.optNum(r.min, [...path, 'len', 'min'], 'a length'),
          max: c.optNum(r.max, [...path, 'len', 'max'], 'a length'),
        };
      }
    }
  }
  m.sport = c.optNum(o.sport, [...path, 'sport'], 'a port', 1, 65535);
  m.dport = c.optNum(o.dport, [...path, 'dport'], 'a port', 1, 65535);
  m.relSeq = c.optNum(o.relSeq, [...path, 'relSeq'], 'a relative sequence number', 0, 0xffffffff);
  for (const k of Object.keys(m) as Array<keyof SegMatch>) if (m[k] === undefined) delete m[k];
  return m;
}

function valueExpr(c: V, v: unknown, path: LabPath): ValueExpr {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'string'))
      c.fail(path, 'a list answer must be a list of words, e.g. [SYN, ACK]');
    return v as string[];
  }
  const o = c.obj(
    v,
    path,
    'a value: a literal, or {isn: B}, {mss: A}, {state: B}, {count: …}, {field: …, of: …} or {oneOf: […]}',
  );
  if (!o) return '';
  const k = Object.keys(o);
  if (k.length === 1 && (k[0] === 'isn' || k[0] === 'mss' || k[0] === 'state')) {
    const h = c.host(o[k[0]], [...path, k[0]]);
    return k[0] === 'isn' ? { isn: h } : k[0] === 'mss' ? { mss: h } : { state: h };
  }
  if (k.length === 1 && k[0] === 'count') return { count: segMatch(c, o.count, [...path, 'count']) };
  if (k.length === 1 && k[0] === 'oneOf') {
    const l = c.list(o.oneOf, [...path, 'oneOf'], 'accepted answers', false);
    l.forEach((x, i) => {
      if (typeof x !== 'string' && typeof x !== 'number')
        c.fail([...path, 'oneOf', i], 'each accepted answer is a word or a number');
    });
    return { oneOf: l as Array<string | number> };
  }
  if (o.field !== undefined) {
    c.keys(o, path, ['field', 'of', 'nth'], 'value');
    if (!LAB_SEGMENT_FIELDS.includes(o.field as LabSegmentField))
      c.fail(
        [...path, 'field'],
        `unknown field ${describe(o.field)}; use one of ${LAB_SEGMENT_FIELDS.join(', ')}`,
      );
    const nth = c.optNum(o.nth, [...path, 'nth'], 'which match (1 = first)', 1, 1_000_000);
    const e: ValueExpr = { field: o.field as LabSegmentField, of: segMatch(c, o.of, [...path, 'of']) };
    if (nth !== undefined) e.nth = nth;
    return e;
  }
  c.fail(
    path,
    'a value is a literal, or one of {isn: HOST}, {mss: HOST}, {state: HOST}, {count: PATTERN}, {field: NAME, of: PATTERN}, {oneOf: [...]}',
  );
  return '';
}

function condition(
  c: V,
  o: Record<string, unknown>,
  path: LabPath,
  questions: Set<string>,
  single = false,
): LabCondition | null {
  const present = CONDITION_KEYS.filter((k) => o[k] !== undefined);
  if (present.length !== 1) {
    c.fail(
      path,
      present.length === 0
        ? `say what to check with one of ${CONDITION_KEYS.join(', ')}`
        : `a check tests one thing; found ${present.join(' and ')} — wrap them in "all: [...]"`,
    );
    return null;
  }
  const k = present[0];
  const p = [...path, k];
  if (single && !['segment', 'state', 'socket', 'note'].includes(k)) {
    c.fail(p, 'each item of "order" matches one event: use segment, state, socket or note');
    return null;
  }
  switch (k) {
    case 'segment': {
      c.keys(o, path, ['segment', 'count', 'min', 'max', ...CHECK_META], 'check');
      const r: LabCondition = { segment: segMatch(c, o.segment, p) };
      const count = c.optNum(o.count, [...path, 'count'], 'how many segments match', 0, 1_000_000);
      const min = c.optNum(o.min, [...path, 'min'], 'the least number of matching segments', 0, 1_000_000);
      const max = c.optNum(o.max, [...path, 'max'], 'the most matching segments', 0, 1_000_000);
      if (count !== undefined) r.count = count;
      if (min !== undefined) r.min = min;
      if (max !== undefined) r.max = max;
      return r;
    }
    case 'state': {
      c.keys(o, path, ['state', ...CHECK_META], 'check');
      const s = c.obj(o.state, p, 'a state pattern');
      if (!s) return null;
      c.keys(s, p, STATE_KEYS, 'state pattern');
      const m: StateMatch = { host: c.host(s.host, [...p, 'host']) };
      const to = c.state(s.to, [...p, 'to']);
      const from = c.state(s.from, [...p, 'from']);
      if (to) m.to = to;
      if (from) m.from = from;
      if (!to && !from) c.fail(p, 'say which state: "to: CLOSE-WAIT" (and optionally "from: …")');
      if (s.final !== undefined) m.final = c.bool(s.final, [...p, 'final']);
      if (s.causedBy !== undefined) m.causedBy = segMatch(c, s.causedBy, [...p, 'causedBy']);
      return { state: m };
    }
    case 'socket': {
      c.keys(o, path, ['socket', ...CHECK_META], 'check');
      const s = c.obj(o.socket, p, 'a socket pattern');
      if (!s) return null;
      c.keys(s, p, ['host', 'what', 'code'], 'socket pattern');
      const m: SocketMatch = { host: c.host(s.host, [...p, 'host']) };
      if (s.what !== undefined)
        m.what = c.str(s.what, [...p, 'what'], 'a socket event (connect, established, eof, error …)');
      if (s.code !== undefined) m.code = c.str(s.code, [...p, 'code'], 'an errno name such as ECONNREFUSED');
      return { socket: m };
    }
    case 'note': {
      c.keys(o, path, ['note', ...CHECK_META], 'check');
      const s = c.obj(o.note, p, 'a note pattern');
      if (!s) return null;
      c.keys(s, p, ['host', 'rule'], 'note pattern');
      const m: NoteMatch = { rule: c.str(s.rule, [...p, 'rule'], 'a note rule such as rst-out-of-window') };
      if (s.host !== undefined) m.host = c.host(s.host, [...p, 'host']);
      return { note: m };
    }
    case 'answer': {
      c.keys(o, path, ['answer', 'equals', 'tolerance', ...CHECK_META], 'check');
      const q = c.str(o.answer, p, 'the id of a question');
      if (q && !questions.has(q))
        c.fail(
          p,
          `no question "${q}"; questions are ${[...questions].join(', ') || "none yet (add one under a step's questions)"}`,
        );
      if (o.equals === undefined) c.fail(path, '"answer" needs "equals: <the right value>"');
      const r: LabCondition = { answer: q, equals: valueExpr(c, o.equals, [...path, 'equals']) };
      const tol = c.optNum(o.tolerance, [...path, 'tolerance'], 'how far a number may be off');
      if (tol !== undefined) r.tolerance = tol;
      return r;
    }
    case 'predictions': {
      c.keys(o, path, ['predictions', ...CHECK_META], 'check');
      const s = c.obj(o.predictions, p, 'a predictions threshold such as {min: 0.75}');
      if (!s) return null;
      c.keys(s, p, ['min'], 'predictions');
      return {
        predictions: { min: c.num(s.min, [...p, 'min'], 'the fraction of fields predicted right', 0, 1) },
      };
    }
    case 'all':
    case 'any':
    case 'order': {
      c.keys(o, path, [k, ...CHECK_META], 'check');
      const l = c.list(o[k], p, 'conditions', false);
      if (l.length === 0) c.fail(p, `"${k}" needs at least one condition`);
      const parts = l
        .map((x, i) => {
          const xo = c.obj(x, [...p, i], 'a condition');
          return xo ? condition(c, xo, [...p, i], questions, k === 'order') : null;
        })
        .filter((x): x is LabCondition => x !== null);
      return k === 'all' ? { all: parts } : k === 'any' ? { any: parts } : { order: parts };
    }
    case 'not': {
      c.keys(o, path, ['not', ...CHECK_META], 'check');
      const xo = c.obj(o.not, p, 'a condition');
      const inner = xo ? condition(c, xo, p, questions) : null;
      return inner ? { not: inner } : null;
    }
  }
  return null;
}

/** The `do:` of an action, or null (with the error recorded) when it is not a known kind. */
function actionKind(c: V, kind: unknown, path: LabPath): LabActionKind | null {
  if (LAB_ACTION_KINDS.includes(kind as LabActionKind)) return kind as LabActionKind;
  c.fail([...path, 'do'], `unknown action ${describe(kind)}; use one of ${LAB_ACTION_KINDS.join(', ')}`);
  return null;
}

function actionSpec(c: V, v: unknown, path: LabPath): LabActionSpec | null {
  const o = c.obj(v, path, 'an action');
  if (!o) return null;
  c.keys(o, path, ACTION_SPEC_KEYS, 'action');
  const kind = actionKind(c, o.do, path);
  if (kind === null) return null;
  const a: LabActionSpec = { host: c.host(o.host, [...path, 'host']), do: kind };
  if (o.to !== undefined) a.to = c.host(o.to, [...path, 'to']);
  if (o.ports !== undefined)
    a.ports = c
      .list(o.ports, [...path, 'ports'], 'ports')
      .map((p, i) => c.num(p, [...path, 'ports', i], 'a port', 1, 65535));
  a.localPort = c.optNum(o.localPort, [...path, 'localPort'], 'a port', 1, 65535);
  a.bytes = c.optNum(o.bytes, [...path, 'bytes'], 'a byte count', 1, 10_000_000);
  a.text = c.optStr(o.text, [...path, 'text'], 'the text to send');
  a.flags = c.flags(o.flags, [...path, 'flags']);
  if (o.seqModes !== undefined) {
    a.seqModes = c.list(o.seqModes, [...path, 'seqModes'], 'sequence choices').map((m, i) => {
      if (!LAB_SEQ_MODES.includes(m as LabSeqMode))
        c.fail([...path, 'seqModes', i], `unknown choice ${describe(m)}; use ${LAB_SEQ_MODES.join(', ')}`);
      return m as LabSeqMode;
    });
  }
  a.label = c.optStr(o.label, [...path, 'label'], 'a button label');
  if ((a.do === 'connect' || a.do === 'scan') && (!a.to || !a.ports?.length))
    c.fail(path, `"${a.do}" needs "to: HOST" and "ports: [..]" (the ports the learner may pick)`);
  if (a.do === 'inject' && !a.flags?.length) c.fail(path, '"inject" needs "flags", e.g. [RST]');
  if (a.do === 'send' && a.bytes === undefined && a.text === undefined)
    c.fail(path, '"send" needs "bytes" or "text"');
  for (const k of Object.keys(a) as Array<keyof LabActionSpec>) if (a[k] === undefined) delete a[k];
  return a;
}

/** Validates a recorded (or authored) learner action; shared by the lab file's solution and by graded reports. */
function checkAttemptAction(c: V, v: unknown, path: LabPath): LabAttemptAction | null {
  const o = c.obj(v, path, 'an action');
  if (!o) return null;
  c.keys(o, path, ATTEMPT_ACTION_KEYS, 'action');
  const kind = actionKind(c, o.do, path);
  if (kind === null) return null;
  const a: LabAttemptAction = {
    at: c.num(o.at, [...path, 'at'], 'a virtual time in ms', 0, 86_400_000),
    host: c.host(o.host, [...path, 'host']),
    do: kind,
  };
  if (o.to !== undefined) a.to = c.host(o.to, [...path, 'to']);
  a.port = c.optNum(o.port, [...path, 'port'], 'a port', 1, 65535);
  if (o.ports !== undefined)
    a.ports = c
      .list(o.ports, [...path, 'ports'], 'ports')
      .map((p, i) => c.num(p, [...path, 'ports', i], 'a port', 1, 65535));
  a.localPort = c.optNum(o.localPort, [...path, 'localPort'], 'a port', 1, 65535);
  a.bytes = c.optNum(o.bytes, [...path, 'bytes'], 'a byte count', 1, 10_000_000);
  a.text = c.optStr(o.text, [...path, 'text'], 'text');
  a.flags = c.flags(o.flags, [...path, 'flags']);
  if (o.seqMode !== undefined) {
    if (!LAB_SEQ_MODES.includes(o.seqMode as LabSeqMode))
      c.fail([...path, 'seqMode'], `unknown choice ${describe(o.seqMode)}; use ${LAB_SEQ_MODES.join(', ')}`);
    else a.seqMode = o.seqMode as LabSeqMode;
  }
  for (const k of Object.keys(a) as Array<keyof LabAttemptAction>) if (a[k] === undefined) delete a[k];
  return a;
}

function answers(c: V, v: unknown, path: LabPath, questions: Set<string>): Record<string, ValueExpr> {
  if (v === undefined) return {};
  const o = c.obj(v, path, 'answers (question id: answer)');
  if (!o) return {};
  const out: Record<string, ValueExpr> = {};
  for (const [k, x] of Object.entries(o)) {
    if (!questions.has(k))
      c.fail([...path, k], `no question "${k}"; questions are ${[...questions].join(', ') || 'none'}`);
    out[k] = valueExpr(c, x, [...path, k]);
  }
  return out;
}

function prediction(c: V, v: unknown, path: LabPath): LabPrediction {
  const o = c.obj(v, path, 'a prediction {flags, seq, ack, state}') ?? {};
  c.keys(o, path, ['flags', 'seq', 'ack', 'state'], 'prediction');
  const s = (x: unknown): string =>
    x === undefined || x === null ? '' : Array.isArray(x) ? x.join(',') : String(x);
  return { flags: s(o.flags), seq: s(o.seq), ack: s(o.ack), state: s(o.state) };
}

/** Host names a simulation setup declares (its `hosts` keys), or A and B for captures and targets. */
function setupHosts(setup: unknown, scenarioHosts?: (name: string) => string[] | null): string[] {
  const s = setup as Record<string, unknown> | null;
  const sim = s?.simulation as Record<string, unknown> | undefined;
  if (sim && typeof sim.hosts === 'object' && sim.hosts !== null && !Array.isArray(sim.hosts))
    return Object.keys(sim.hosts);
  if (typeof s?.scenario === 'string' && scenarioHosts) return scenarioHosts(s.scenario) ?? ['A', 'B'];
  return ['A', 'B'];
}

/**
 * Validates a lab document (YAML already parsed to plain data). `id` is the
 * file's base name unless the document says otherwise; `scenarioHosts` finds
 * the hosts of a library scenario named by `setup.scenario`. The simulation's
 * own fields are checked by the engine's scenario parser (the loader's job).
 */
export function validateLab(
  doc: unknown,
  id: string,
  scenarioHosts?: (name: string) => string[] | null,
): { lab: LabFile | null; issues: LabIssue[] } {
  const root =
    typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  const hosts = root ? setupHosts(root.setup, scenarioHosts) : [];
  const c = new V(hosts);
  if (!root) {
    c.fail(
      [],
      `a lab file is a mapping with title, objectives, setup, steps and solution; got ${describe(doc)}`,
    );
    return { lab: null, issues: c.issues };
  }
  c.keys(root, [], TOP_KEYS, 'top-level');
  const labId = root.id === undefined ? id : c.str(root.id, ['id'], 'an id');
  if (labId && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(labId))
    c.fail(['id'], `the lab id "${labId}" may hold only a-z, 0-9 and "-" (it is also the file name)`);
  const title = c.str(root.title, ['title'], 'a title');
  const summary = root.summary === undefined ? '' : c.str(root.summary, ['summary'], 'a one-line summary');
  const objectives = c
    .list(root.objectives, ['objectives'], 'objectives', false)
    .map((x, i) => c.str(x, ['objectives', i], 'an objective'));
  // setup
  let setup: LabSetup = { kind: 'simulation' };
  const so = c.obj(root.setup, ['setup'], 'a setup: simulation, scenario, target or capture');
  if (so) {
    c.keys(so, ['setup'], SETUP_KEYS, 'setup');
    const kinds = ['simulation', 'scenario', 'target', 'capture'].filter((k) => so[k] !== undefined);
    if (kinds.length !== 1) {
      c.fail(
        ['setup'],
        kinds.length === 0
          ? 'say what the lab runs on: "simulation:" (hosts, link, timeline), "scenario: NAME", "target:" or "capture: FILE"'
          : `choose one of ${kinds.join(' and ')}`,
      );
    } else if (kinds[0] === 'simulation') {
      const sim = c.obj(
        so.simulation,
        ['setup', 'simulation'],
        'a simulated topology in the scenario format',
      );
      setup = { kind: 'simulation', simulation: sim ?? {} };
    } else if (kinds[0] === 'scenario') {
      setup = { kind: 'simulation', scenario: c.str(so.scenario, ['setup', 'scenario'], 'a scenario name') };
    } else if (kinds[0] === 'target') {
      const t =
        c.obj(
          so.target,
          ['setup', 'target'],
          'a target {kind: echo|http, action: graceful|reset|refused|hold}',
        ) ?? {};
      c.keys(t, ['setup', 'target'], ['kind', 'action'], 'target');
      if (t.kind !== 'echo' && t.kind !== 'http')
        c.fail(['setup', 'target', 'kind'], 'kind must be echo or http');
      if (!['graceful', 'reset', 'refused', 'hold'].includes(t.action as string))
        c.fail(['setup', 'target', 'action'], 'action must be graceful, reset, refused or hold');
      setup = { kind: 'target', target: { kind: t.kind as 'echo', action: t.action as 'graceful' } };
    } else {
      setup = {
        kind: 'capture',
        capture: c.str(so.capture, ['setup', 'capture'], 'a capture file path, relative to the lab file'),
        session: c.optNum(so.session, ['setup', 'session'], 'a session id', 1),
      };
    }
    if (so.session !== undefined && setup.kind !== 'capture')
      c.fail(['setup', 'session'], '"session" goes with "capture"');
  }
  // questions first (checks refer to them)
  const stepsRaw = c.list(root.steps, ['steps'], 'steps', false);
  if (stepsRaw.length === 0 && Array.isArray(root.steps)) c.fail(['steps'], 'a lab needs at least one step');
  const questionIds = new Set<string>();
  stepsRaw.forEach((s, i) => {
    const qs = (s as Record<string, unknown> | null)?.questions;
    if (Array.isArray(qs))
      qs.forEach((q, j) => {
        const qid = (q as Record<string, unknown> | null)?.id;
        if (typeof qid === 'string') {
          if (questionIds.has(qid))
            c.fail(['steps', i, 'questions', j, 'id'], `question id "${qid}" is used twice`);
          questionIds.add(qid);
        }
      });
  });
  const checkIds = new Set<string>();
  let predictSteps = 0;
  const steps: LabStep[] = stepsRaw.map((sv, i) => {
    const p: LabPath = ['steps', i];
    const o = c.obj(sv, p, 'a step') ?? {};
    c.keys(o, p, STEP_KEYS, 'step');
    const step: LabStep = {
      title: c.str(o.title, [...p, 'title'], 'a step title'),
      text: c.str(o.text, [...p, 'text'], 'instructions (Markdown)'),
      actions: c
        .list(o.actions, [...p, 'actions'], 'actions')
        .map((a, j) => actionSpec(c, a, [...p, 'actions', j]))
        .filter((a): a is LabActionSpec => a !== null),
      questions: c.list(o.questions, [...p, 'questions'], 'questions').map((qv, j) => {
        const qp = [...p, 'questions', j];
        const q = c.obj(qv, qp, 'a question') ?? {};
        c.keys(q, qp, QUESTION_KEYS, 'question');
        const kind = (q.kind ?? 'text') as LabQuestionKind;
        if (!LAB_QUESTION_KINDS.includes(kind))
          c.fail(
            [...qp, 'kind'],
            `unknown kind ${describe(q.kind)}; use one of ${LAB_QUESTION_KINDS.join(', ')}`,
          );
        const question: LabQuestion = {
          id: c.str(q.id, [...qp, 'id'], 'a question id'),
          text: c.str(q.text, [...qp, 'text'], 'the question (Markdown)'),
          kind,
        };
        if (q.id !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(String(q.id)))
          c.fail([...qp, 'id'], 'a question id may hold only a-z, 0-9 and "-"');
        if (kind === 'choice') {
          question.choices = c
            .list(q.choices, [...qp, 'choices'], 'choices', false)
            .map((x, k) => c.str(String(x ?? ''), [...qp, 'choices', k], 'a choice'));
          if (question.choices.length < 2)
            c.fail([...qp, 'choices'], 'a choice question needs at least two choices');
        } else if (q.choices !== undefined) c.fail([...qp, 'choices'], '"choices" goes with kind: choice');
        return question;
      }),
      hints: c
        .list(o.hints, [...p, 'hints'], 'hints')
        .map((h, j) => c.str(h, [...p, 'hints', j], 'a hint (Markdown)')),
      checks: c.list(o.checks, [...p, 'checks'], 'checks').map((cv, j) => {
        const cp = [...p, 'checks', j];
        const co = c.obj(cv, cp, 'a check') ?? {};
        const cid = c.str(co.id, [...cp, 'id'], 'a check id');
        if (cid && !/^[a-z0-9][a-z0-9-]*$/.test(cid))
          c.fail([...cp, 'id'], 'a check id may hold only a-z, 0-9 and "-"');
        if (cid && checkIds.has(cid)) c.fail([...cp, 'id'], `check id "${cid}" is used twice`);
        checkIds.add(cid);
        const cond = condition(c, co, cp, questionIds) ?? { all: [] };
        const check = {
          ...cond,
          id: cid,
          text: c.str(co.text, [...cp, 'text'], 'what the check verifies, in a sentence'),
          points: co.points === undefined ? 1 : c.num(co.points, [...cp, 'points'], 'points', 0, 1000),
        } as LabCheck;
        if (co.fail !== undefined)
          check.fail = c.str(co.fail, [...cp, 'fail'], 'what to say when the check fails');
        return check;
      }),
    };
    if (o.predict !== undefined) {
      const pr = c.obj(o.predict, [...p, 'predict'], 'a predict setting {segments: N}');
      if (pr) {
        c.keys(pr, [...p, 'predict'], ['segments'], 'predict');
        step.predict = {
          segments: c.num(pr.segments, [...p, 'predict', 'segments'], 'how many segments to predict', 1, 200),
        };
        predictSteps++;
      }
    }
    return step;
  });
  if (predictSteps > 1) c.fail(['steps'], 'only one step may be a predict-the-packet step');
  const allChecks = steps.flatMap((s) => s.checks);
  if (stepsRaw.length && allChecks.length === 0)
    c.fail(['steps'], 'a lab needs at least one check (under a step\'s "checks")');
  if (allChecks.length && allChecks.every((x) => x.points === 0))
    c.fail(['steps'], 'at least one check must be worth points');
  // solution and wrong attempts
  let solution: LabSolution = { actions: [], answers: {} };
  const sol = c.obj(root.solution, ['solution'], 'a reference solution {actions, answers}');
  if (sol) {
    c.keys(sol, ['solution'], ['actions', 'answers', 'predictions'], 'solution');
    solution = {
      actions: c
        .list(sol.actions, ['solution', 'actions'], 'actions')
        .map((a, i) => checkAttemptAction(c, a, ['solution', 'actions', i]))
        .filter((a): a is LabAttemptAction => a !== null),
      answers: answers(c, sol.answers, ['solution', 'answers'], questionIds),
    };
    if (sol.predictions !== undefined) {
      if (sol.predictions !== 'auto')
        c.fail(['solution', 'predictions'], 'predictions: auto (the solution predicts every segment right)');
      else solution.predictions = 'auto';
    }
    if (predictSteps && solution.predictions !== 'auto')
      c.fail(['solution'], 'a lab with a predict step needs "predictions: auto" in its solution');
    for (const q of questionIds)
      if (!(q in solution.answers))
        c.fail(['solution', 'answers'], `the solution does not answer question "${q}"`);
  }
  const wrong: LabWrongAttempt[] = c.list(root.wrong, ['wrong'], 'wrong attempts').map((wv, i) => {
    const wp: LabPath = ['wrong', i];
    const w = c.obj(wv, wp, 'a wrong attempt {why, actions, answers, fails}') ?? {};
    c.keys(w, wp, ['why', 'actions', 'answers', 'predictions', 'fails'], 'wrong attempt');
    const fails = c.list(w.fails, [...wp, 'fails'], 'check ids', false).map((f, j) => {
      const s = c.str(f, [...wp, 'fails', j], 'a check id');
      if (s && !checkIds.has(s))
        c.fail([...wp, 'fails', j], `no check "${s}"; checks are ${[...checkIds].join(', ')}`);
      return s;
    });
    if (Array.isArray(w.fails) && fails.length === 0)
      c.fail([...wp, 'fails'], 'name at least one check this attempt fails');
    const out: LabWrongAttempt = {
      why: c.str(w.why, [...wp, 'why'], 'why this attempt is wrong'),
      actions: c
        .list(w.actions, [...wp, 'actions'], 'actions')
        .map((a, j) => checkAttemptAction(c, a, [...wp, 'actions', j]))
        .filter((a): a is LabAttemptAction => a !== null),
      answers: answers(c, w.answers, [...wp, 'answers'], questionIds),
      fails,
    };
    if (w.predictions !== undefined)
      out.predictions = c
        .list(w.predictions, [...wp, 'predictions'], 'predictions')
        .map((x, j) => prediction(c, x, [...wp, 'predictions', j]));
    return out;
  });
  if (c.issues.length) return { lab: null, issues: c.issues };
  return { lab: { id: labId, title, summary, objectives, hosts, setup, steps, solution, wrong }, issues: [] };
}

/** Every check of a lab, in step order. */
export function labChecks(lab: Pick<LabFile, 'steps'>): LabCheck[] {
  return lab.steps.flatMap((s) => s.checks);
}

/** Every question of a lab, in step order. */
export function labQuestions(lab: Pick<LabFile, 'steps'>): LabQuestion[] {
  return lab.steps.flatMap((s) => s.questions);
}

/** How many segments the lab's predict step asks about (0 when it has none). */
export function predictCount(lab: Pick<LabFile, 'steps'>): number {
  return lab.steps.find((s) => s.predict)?.predict?.segments ?? 0;
}

/** Validates an attempt read from a report or a file (untrusted data). */
export function validateAttempt(
  v: unknown,
  hosts: string[],
): { attempt: LabAttempt | null; issues: LabIssue[] } {
  const c = new V(hosts);
  const o = c.obj(v, ['attempt'], 'an attempt {actions, answers, predictions, hints}');
  if (!o) return { attempt: null, issues: c.issues };
  c.keys(o, ['attempt'], ['actions', 'answers', 'predictions', 'hints'], 'attempt');
  const actions = c
    .list(o.actions, ['attempt', 'actions'], 'actions')
    .slice(0, 1000)
    .map((a, i) => checkAttemptAction(c, a, ['attempt', 'actions', i]))
    .filter((a): a is LabAttemptAction => a !== null);
  const ans: Record<string, string> = {};
  const ao = o.answers === undefined ? {} : c.obj(o.answers, ['attempt', 'answers'], 'answers');
  for (const [k, x] of Object.entries(ao ?? {})) {
    if (typeof x !== 'string' || x.length > 1000)
      c.fail(['attempt', 'answers', k], 'an answer is text of at most 1000 characters');
    else ans[k] = x;
  }
  const predictions = c
    .list(o.predictions, ['attempt', 'predictions'], 'predictions')
    .slice(0, 200)
    .map((x, i) => (x === null ? null : prediction(c, x, ['attempt', 'predictions', i])));
  const hints = c
    .list(o.hints, ['attempt', 'hints'], 'hints')
    .slice(0, 200)
    .filter((h): h is string => typeof h === 'string' && /^\d+:\d+$/.test(h));
  if (c.issues.length) return { attempt: null, issues: c.issues };
  return { attempt: { actions, answers: ans, predictions, hints }, issues: [] };
}

/* ------------------------------------------------------------------ grading, predictions, reports */

export interface LabCheckResult {
  id: string;
  text: string;
  points: number;
  earned: number;
  passed: boolean;
  /** Why it failed (or what was found), in a sentence. */
  detail: string;
  step: number;
}

export interface PredictFieldScore {
  flags: boolean;
  seq: boolean;
  ack: boolean;
  state: boolean;
}

/** The truth of one predicted segment, shown after the learner answers. */
export interface PredictTruth {
  index: number;
  from: string;
  to: string;
  flags: TcpFlagName[];
  seq: number;
  ack: number;
  relSeq: number;
  relAck: number;
  /** The sender's state right after sending it. */
  state: TcpState;
  explain: { rule: string; rfc: string; text: string };
}

export interface LabGrade {
  lab: string;
  score: number;
  max: number;
  checks: LabCheckResult[];
  /** Predict-the-packet: fields right out of fields asked, per segment. */
  predictions: { correct: number; total: number; perSegment: Array<PredictFieldScore | null> } | null;
  /** Actions the lab's steps do not offer (ignored when grading). */
  rejected: string[];
}

/** Scores one prediction against the segment. Numbers may be relative or absolute; a missing ACK counts as 0 or blank. */
export function scorePrediction(p: LabPrediction, t: PredictTruth): PredictFieldScore {
  const flags = parseFlags(p.flags);
  const same = flags !== null && flags.length === t.flags.length && flags.every((f) => t.flags.includes(f));
  const num = (s: string): number | null => parseNumber(s);
  const seq = num(p.seq);
  const ack = num(p.ack);
  const hasAck = t.flags.includes('ACK');
  return {
    flags: same,
    seq: seq !== null && (seq === t.relSeq || seq === t.seq),
    ack: hasAck ? ack !== null && (ack === t.relAck || ack === t.ack) : p.ack.trim() === '' || ack === 0,
    state: normalizeState(p.state) === t.state,
  };
}

/** The JSON a report embeds (`<script type="application/json" id="tcplab-report">`), read back by `tcplab lab grade`. */
export interface LabReportData {
  format: 'tcplab-report';
  version: 1;
  lab: { id: string; title: string };
  learner: string;
  created: string;
  attempt: LabAttempt;
  grade: { score: number; max: number; checks: Array<{ id: string; passed: boolean; earned: number }> };
}

export const REPORT_SCRIPT_ID = 'tcplab-report';

/* ------------------------------------------------------------------ what the bridge carries (labs.*) */

export interface LabListItem {
  id: string;
  title: string;
  summary: string;
  objectives: string[];
  max: number;
  steps: number;
  predict: boolean;
  /** Saved progress: best score so far, whether the last grade was full marks. */
  score: number | null;
  completed: boolean;
}

/** A lab as the Labs view shows it (no solution, no wrong attempts, checks without their conditions). */
export interface LabView {
  id: string;
  title: string;
  summary: string;
  objectives: string[];
  hosts: string[];
  setupKind: LabSetup['kind'];
  steps: Array<{
    title: string;
    text: string;
    actions: LabActionSpec[];
    questions: LabQuestion[];
    hintCount: number;
    checks: Array<{ id: string; text: string; points: number }>;
    predict: LabPredictSpec | null;
  }>;
}

export interface LabHostState {
  name: string;
  state: TcpState;
}

/** The state of a learner's lab session: the run so far, live check results, predict mode. */
export interface LabSessionState {
  labId: string;
  learner: string;
  attempt: LabAttempt;
  /** Hints revealed: step index → texts. */
  hints: Record<number, string[]>;
  now: number;
  done: boolean;
  hosts: LabHostState[];
  endpoints: { a: { ip: string; port: number }; b: { ip: string; port: number } };
  /** Ladder rows so far (`SegmentRow`s; in predict mode only those before the segment to predict). */
  rows: SegmentRow[];
  grade: LabGrade;
  predict: {
    total: number;
    /** Index of the segment to predict next (= total when finished). */
    next: number;
    /** Revealed segments, one per prediction made. */
    revealed: Array<{ truth: PredictTruth; score: PredictFieldScore | null }>;
  } | null;
  /** A sentence when the run could not be built (a report from another version …). */
  error: string | null;
}

/* ------------------------------------------------------------------ Markdown (instructions, questions) */

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
}

/**
 * The small Markdown subset lab files use — paragraphs, `-`/`1.` lists,
 * **bold**, *emphasis*, `code` — as HTML. Everything else is escaped, so a
 * lab file can never inject markup into the app or a report.
 */
export function markdownToHtml(md: string): string {
  const out: string[] = [];
  let list: 'ul' | 'ol' | null = null;
  let para: string[] = [];
  const flush = (): void => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
  };
  const close = (): void => {
    if (list) out.push(`</${list}>`);
    list = null;
  };
  for (const raw of md.split('\n')) {
    const line = raw.trim();
    const ul = /^[-*]\s+(.*)$/.exec(line);
    const ol = /^\d+\.\s+(.*)$/.exec(line);
    if (ul || ol) {
      flush();
      const kind = ul ? 'ul' : 'ol';
      if (list !== kind) {
        close();
        out.push(`<${kind}>`);
        list = kind;
      }
      out.push(`<li>${inline((ul ?? ol)![1])}</li>`);
    } else if (line === '') {
      flush();
      close();
    } else {
      close();
      para.push(line);
    }
  }
  flush();
  close();
  return out.join('');
}
