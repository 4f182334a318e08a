/**
 * Plays a learner's attempt at a lab: the lab's simulated setup (a scenario)
 * plus the attempt's actions, each turned into a timeline entry at the
 * virtual time it was made, so a replay from the seed gives exactly the run
 * the learner saw — which is also how reports are graded back. Actions the
 * lab's steps do not offer are left out and reported. Also builds the
 * reference solution's attempt (answers read from its own run, predictions
 * all right) and the attempts of the lab's declared wrong answers.
 */
import {
  emptyAttempt,
  type LabActionSpec,
  type LabAttempt,
  type LabAttemptAction,
  type LabFile,
  type LabGrade,
  type LabPrediction,
  type ValueExpr,
} from '../../src-shared/labs';
import type { SegmentRow } from '../../src-shared/session';
import { ScenarioRun, type Action, type Scenario } from '../engine';
import { gradeAttempt, predictTruths, resolveValue, valueText } from './checker';
import { traceFromRows, traceFromSim, type LabTrace } from './trace';

/** A lab file as loaded: the validated lab, its scenario (simulation setups), where it came from. */
export interface LoadedLab {
  lab: LabFile;
  scenario: Scenario | null;
  file: string;
  /** Whether it ships with TCP Lab. */
  builtin: boolean;
}

export interface RunOptions {
  /** Virtual time to stop at (ms); default the end of the run. */
  until?: number;
  /** Reads a capture setup's session as ladder rows (the service provides it). */
  captureRows?: (file: string, session?: number) => SegmentRow[];
}

export interface AttemptRun {
  /** The engine run (simulation setups). */
  run: ScenarioRun | null;
  trace: LabTrace;
  rejected: string[];
  done: boolean;
}

const DAY = 86_400_000;

export class LabRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabRunError';
  }
}

/** Every action the lab's steps offer. */
export function offeredActions(lab: LabFile): LabActionSpec[] {
  return lab.steps.flatMap((s) => s.actions);
}

function sameFlags(a: readonly string[] = [], b: readonly string[] = []): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

/** The offered action an attempt's action is an instance of, or null. */
export function matchOffer(lab: LabFile, a: LabAttemptAction): LabActionSpec | null {
  for (const s of offeredActions(lab)) {
    if (s.host !== a.host || s.do !== a.do) continue;
    if (s.to !== undefined && a.to !== undefined && s.to !== a.to) continue;
    if (s.do === 'connect' && (a.port === undefined || !(s.ports ?? []).includes(a.port))) continue;
    if (s.do === 'scan' && (!a.ports?.length || !a.ports.every((p) => (s.ports ?? []).includes(p)))) continue;
    if (s.do === 'inject') {
      if (!sameFlags(s.flags, a.flags)) continue;
      if (!(s.seqModes ?? ['exact']).includes(a.seqMode ?? 'exact')) continue;
    }
    return s;
  }
  return null;
}

/** Describes an action in a few words ("A: inject RST (in-window) at 100 ms"). */
export function actionText(a: LabAttemptAction): string {
  const what =
    a.do === 'connect'
      ? `connect to ${a.to ?? '?'}:${a.port}`
      : a.do === 'inject'
        ? `inject ${(a.flags ?? []).join(',')} (${a.seqMode ?? 'exact'})`
        : a.do === 'scan'
          ? `scan ${a.to ?? '?'} ports ${(a.ports ?? []).join(', ')}`
          : a.do === 'send'
            ? `send ${a.text !== undefined ? JSON.stringify(a.text) : `${a.bytes} bytes`}`
            : `${a.do}()`;
  return `${a.host}: ${what} at ${a.at} ms`;
}

/** The engine timeline entry for an offered action. */
function toTimeline(a: LabAttemptAction, s: LabActionSpec): Action {
  const base: Action = { at: a.at, host: a.host, do: a.do };
  const to = s.to ?? a.to;
  switch (a.do) {
    case 'connect':
      return { ...base, to, port: a.port, localPort: s.localPort };
    case 'send':
      return s.text !== undefined ? { ...base, text: s.text } : { ...base, bytes: s.bytes ?? a.bytes ?? 100 };
    case 'inject':
      return { ...base, to, flags: s.flags, seqMode: a.seqMode ?? 'exact' };
    case 'scan':
      return { ...base, to, ports: a.ports, sport: 40000 };
    default:
      return base;
  }
}

/** The scenario of an attempt: the lab's, with the learner's actions appended to the timeline. */
export function attemptScenario(
  loaded: LoadedLab,
  attempt: LabAttempt,
): { scenario: Scenario; rejected: string[] } {
  if (!loaded.scenario) throw new LabRunError(`lab "${loaded.lab.id}" has no simulation to run`);
  const rejected: string[] = [];
  const extra: Action[] = [];
  const actions = [...attempt.actions].sort((x, y) => x.at - y.at);
  for (const a of actions) {
    const s = matchOffer(loaded.lab, a);
    if (!s) rejected.push(`${actionText(a)} is not offered by this lab`);
    else extra.push(toTimeline(a, s));
  }
  const sc = loaded.scenario;
  return { scenario: { ...sc, timeline: [...sc.timeline, ...extra] }, rejected };
}

/** Runs an attempt (to `until`, else to the end) and builds its trace. */
export function runAttempt(loaded: LoadedLab, attempt: LabAttempt, opts: RunOptions = {}): AttemptRun {
  const setup = loaded.lab.setup;
  if (setup.kind === 'capture') {
    if (!opts.captureRows)
      throw new LabRunError('capture labs are opened by the app or the CLI, which read the file');
    return {
      run: null,
      trace: traceFromRows(opts.captureRows(setup.capture, setup.session)),
      rejected: [],
      done: true,
    };
  }
  if (setup.kind === 'target') {
    throw new LabRunError(
      'this lab runs against a real target on loopback: start the target and a capture in the Capture view',
    );
  }
  const { scenario, rejected } = attemptScenario(loaded, attempt);
  const run = new ScenarioRun(scenario);
  const end = scenario.duration ?? DAY;
  if (opts.until === undefined) {
    while (run.step());
  } else run.runUntil(Math.min(opts.until, end));
  return { run, trace: traceFromSim(run.events), rejected, done: run.done };
}

/** Runs and grades an attempt over the whole run. */
export function gradeRun(
  loaded: LoadedLab,
  attempt: LabAttempt,
  opts: RunOptions = {},
): { grade: LabGrade; run: AttemptRun } {
  const run = runAttempt(loaded, attempt, { ...opts, until: undefined });
  return { grade: gradeAttempt(loaded.lab, attempt, run.trace, run.rejected), run };
}

function resolveAnswers(trace: LabTrace, answers: Record<string, ValueExpr>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(answers)) {
    const r = resolveValue(trace, v);
    const oneOf = typeof v === 'object' && !Array.isArray(v) && 'oneOf' in v;
    out[k] = oneOf && Array.isArray(r) ? String(r[0] ?? '') : valueText(r);
  }
  return out;
}

/** Right predictions for the first `n` segments of a trace (relative numbers). */
export function perfectPredictions(trace: LabTrace, n: number): LabPrediction[] {
  return predictTruths(trace, n).map((t) => ({
    flags: t.flags.join(', '),
    seq: String(t.relSeq),
    ack: t.flags.includes('ACK') ? String(t.relAck) : '',
    state: t.state,
  }));
}

/** The reference solution as an attempt: its actions, its answers read from its own run, perfect predictions. */
export function solutionAttempt(loaded: LoadedLab, opts: RunOptions = {}): LabAttempt {
  const sol = loaded.lab.solution;
  const attempt: LabAttempt = { ...emptyAttempt(), actions: sol.actions };
  const { trace } = runAttempt(loaded, attempt, opts);
  attempt.answers = resolveAnswers(trace, sol.answers);
  const n = loaded.lab.steps.find((s) => s.predict)?.predict?.segments ?? 0;
  if (n && sol.predictions === 'auto') attempt.predictions = perfectPredictions(trace, n);
  return attempt;
}

/** The lab's declared wrong attempts, as attempts (answers resolved against their own runs). */
export function wrongAttempts(
  loaded: LoadedLab,
  opts: RunOptions = {},
): Array<{ why: string; fails: string[]; attempt: LabAttempt }> {
  return loaded.lab.wrong.map((w) => {
    const attempt: LabAttempt = { ...emptyAttempt(), actions: w.actions, predictions: w.predictions ?? [] };
    const { trace } = runAttempt(loaded, attempt, opts);
    attempt.answers = resolveAnswers(trace, w.answers);
    return { why: w.why, fails: w.fails, attempt };
  });
}
