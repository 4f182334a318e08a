/**
 * The lab checker: evaluates a lab's checks over the session event stream
 * (`LabTrace`) and the learner's answers and predictions, and returns a grade
 * — points earned per check with a sentence saying what was found when a
 * check fails. Conditions match segments (flags exact or partial, options,
 * injected, dropped, the engine's explanation rule, lengths), state changes
 * (reached, from → to, the final state, caused by a matching segment arriving),
 * socket events (ECONNREFUSED …), notes, answers compared with values read
 * from the trace ({isn: B}), predict-the-packet accuracy, and all / any / not
 * / order combinations. Pure: no I/O.
 */
import {
  labChecks,
  normalizeState,
  parseFlags,
  parseNumber,
  scorePrediction,
  type LabAttempt,
  type LabCheck,
  type LabCheckResult,
  type LabCondition,
  type LabFile,
  type LabGrade,
  type LabQuestion,
  type PredictFieldScore,
  type PredictTruth,
  type SegMatch,
  type StateMatch,
  type ValueExpr,
} from '../../src-shared/labs';
import type { LabTrace, TraceEvent, TraceSegment } from './trace';

export function matchSegment(s: TraceSegment, m: SegMatch): boolean {
  if (m.from !== undefined && s.from !== m.from) return false;
  if (m.to !== undefined && s.to !== m.to) return false;
  if (m.flags && (m.flags.length !== s.flags.length || !m.flags.every((f) => s.flags.includes(f))))
    return false;
  if (m.has && !m.has.every((f) => s.flags.includes(f))) return false;
  if (m.lacks && m.lacks.some((f) => s.flags.includes(f))) return false;
  if (m.option !== undefined) {
    const o = s.options;
    const present =
      m.option === 'mss'
        ? o.mss !== undefined
        : m.option === 'wscale'
          ? o.wscale !== undefined
          : m.option === 'sackPermitted'
            ? o.sackPermitted === true
            : m.option === 'timestamps'
              ? o.tsval !== undefined
              : (o.sack?.length ?? 0) > 0;
    if (!present) return false;
  }
  if (m.mss !== undefined && s.options.mss !== m.mss) return false;
  if (m.injected !== undefined && s.injected !== m.injected) return false;
  if (m.dropped !== undefined && s.dropped !== m.dropped) return false;
  if (m.rule !== undefined && !s.explain.rule.startsWith(m.rule)) return false;
  if (m.len !== undefined) {
    if (typeof m.len === 'number') {
      if (s.len !== m.len) return false;
    } else if (
      (m.len.min !== undefined && s.len < m.len.min) ||
      (m.len.max !== undefined && s.len > m.len.max)
    )
      return false;
  }
  if (m.sport !== undefined && s.sport !== m.sport) return false;
  if (m.dport !== undefined && s.dport !== m.dport) return false;
  if (m.relSeq !== undefined && s.relSeq !== m.relSeq) return false;
  return true;
}

/** Words for a segment pattern: "a SYN from A carrying MSS". */
export function describeSeg(m: SegMatch): string {
  const bits: string[] = [];
  if (m.injected) bits.push('injected');
  if (m.flags) bits.push(m.flags.length ? m.flags.join(',') : 'flagless');
  else if (m.has) bits.push(`${m.has.join(',')}`);
  bits.push('segment');
  if (m.from) bits.push(`from ${m.from}`);
  if (m.to) bits.push(`to ${m.to}`);
  if (m.lacks) bits.push(`without ${m.lacks.join(',')}`);
  if (m.option) bits.push(`carrying ${m.option}`);
  if (m.mss !== undefined) bits.push(`with MSS ${m.mss}`);
  if (m.rule) bits.push(`(${m.rule})`);
  if (m.dropped === true) bits.push('lost on the way');
  if (typeof m.len === 'number') bits.push(`of ${m.len} bytes`);
  else if (m.len) bits.push(`of ${m.len.min ?? 0}…${m.len.max ?? '∞'} bytes`);
  if (m.dport) bits.push(`to port ${m.dport}`);
  return bits.join(' ');
}

function isConn(conn: string): boolean {
  return conn.includes('-');
}

function stateEvents(trace: LabTrace, m: StateMatch): Extract<TraceEvent, { kind: 'state' }>[] {
  return trace.events.filter(
    (e): e is Extract<TraceEvent, { kind: 'state' }> =>
      e.kind === 'state' &&
      e.host === m.host &&
      (m.to === undefined || e.to === m.to) &&
      (m.from === undefined || e.from === m.from),
  );
}

/** The final state of a host's newest connection (LISTEN/CLOSED when it never had one). */
export function finalState(trace: LabTrace, host: string): string {
  let last: string | null = null;
  let listen: string | null = null;
  for (const e of trace.events) {
    if (e.kind !== 'state' || e.host !== host) continue;
    if (isConn(e.conn)) last = e.to;
    else listen = e.to;
  }
  return last ?? listen ?? 'CLOSED';
}

export interface EvalContext {
  trace: LabTrace;
  answers: Record<string, string>;
  questions: Map<string, LabQuestion>;
  predictions: { correct: number; total: number } | null;
}

interface Outcome {
  ok: boolean;
  why: string;
}

/** Indices of trace events a single-event condition matches. */
function eventMatches(ctx: EvalContext, c: LabCondition): number[] {
  const out: number[] = [];
  ctx.trace.events.forEach((e, i) => {
    if ('segment' in c && e.kind === 'segment' && matchSegment(e, c.segment)) out.push(i);
    else if ('state' in c && e.kind === 'state' && stateEvents({ events: [e], segments: [] }, c.state).length)
      out.push(i);
    else if (
      'socket' in c &&
      e.kind === 'socket' &&
      e.host === c.socket.host &&
      (c.socket.what === undefined || e.what === c.socket.what) &&
      (c.socket.code === undefined || e.code === c.socket.code)
    )
      out.push(i);
    else if (
      'note' in c &&
      e.kind === 'note' &&
      (c.note.host === undefined || e.host === c.note.host) &&
      e.rule.startsWith(c.note.rule)
    )
      out.push(i);
  });
  return out;
}

function describeCond(c: LabCondition): string {
  if ('segment' in c) return describeSeg(c.segment);
  if ('state' in c)
    return `${c.state.host} ${c.state.from ? `going ${c.state.from} → ${c.state.to ?? 'any state'}` : `reaching ${c.state.to}`}`;
  if ('socket' in c)
    return `${c.socket.host}'s application seeing ${c.socket.code ?? c.socket.what ?? 'an event'}`;
  if ('note' in c) return `a note ${c.note.rule}${c.note.host ? ` at ${c.note.host}` : ''}`;
  return 'a condition';
}

function evaluate(ctx: EvalContext, c: LabCondition): Outcome {
  if ('segment' in c) {
    const n = ctx.trace.segments.filter((s) => matchSegment(s, c.segment)).length;
    const what = describeSeg(c.segment);
    if (c.count !== undefined) return { ok: n === c.count, why: `expected ${c.count} × ${what}, found ${n}` };
    const min = c.min ?? (c.max === undefined ? 1 : 0);
    if (n < min)
      return { ok: false, why: `expected ${min === 1 ? 'a' : `at least ${min} ×`} ${what}, found ${n}` };
    if (c.max !== undefined && n > c.max)
      return { ok: false, why: `expected at most ${c.max} × ${what}, found ${n}` };
    return { ok: true, why: `found ${n} × ${what}` };
  }
  if ('state' in c) {
    const m = c.state;
    if (m.final) {
      const f = finalState(ctx.trace, m.host);
      return { ok: f === m.to, why: `${m.host} ends in ${f}${f === m.to ? '' : `, not ${m.to}`}` };
    }
    let evs = stateEvents(ctx.trace, m);
    if (m.causedBy) {
      const cause = m.causedBy;
      evs = evs.filter((e) =>
        ctx.trace.segments.some(
          (s) => s.to === m.host && s.arrive === e.t && !s.dropped && matchSegment(s, cause),
        ),
      );
    }
    const reached = ctx.trace.events
      .filter((e) => e.kind === 'state' && e.host === m.host)
      .map((e) => (e as { to: string }).to);
    return evs.length
      ? { ok: true, why: `${m.host} went ${evs[0].from} → ${evs[0].to}` }
      : {
          ok: false,
          why: `${m.host} never went ${m.from ? `${m.from} → ` : 'to '}${m.to ?? 'that state'}${m.causedBy ? ` because of a ${describeSeg(m.causedBy)}` : ''}; its states: ${reached.join(' → ') || 'none'}`,
        };
  }
  if ('socket' in c || 'note' in c) {
    const n = eventMatches(ctx, c).length;
    return { ok: n > 0, why: n > 0 ? `found ${describeCond(c)}` : `never saw ${describeCond(c)}` };
  }
  if ('answer' in c) return checkAnswer(ctx, c.answer, c.equals, c.tolerance);
  if ('predictions' in c) {
    const p = ctx.predictions;
    if (!p || p.total === 0) return { ok: false, why: 'no predictions were made' };
    const frac = p.correct / p.total;
    return {
      ok: frac >= c.predictions.min,
      why: `${p.correct} of ${p.total} predicted fields right (${Math.round(frac * 100)} %, ${Math.round(c.predictions.min * 100)} % needed)`,
    };
  }
  if ('all' in c) {
    for (const x of c.all) {
      const r = evaluate(ctx, x);
      if (!r.ok) return r;
    }
    return { ok: true, why: 'all parts hold' };
  }
  if ('any' in c) {
    const whys: string[] = [];
    for (const x of c.any) {
      const r = evaluate(ctx, x);
      if (r.ok) return r;
      whys.push(r.why);
    }
    return { ok: false, why: whys.join('; and ') };
  }
  if ('not' in c) {
    const r = evaluate(ctx, c.not);
    return { ok: !r.ok, why: r.ok ? `unexpectedly ${r.why}` : r.why };
  }
  if ('order' in c) {
    let after = -1;
    for (const x of c.order) {
      const next = eventMatches(ctx, x).find((i) => i > after);
      if (next === undefined)
        return {
          ok: false,
          why: after < 0 ? `never saw ${describeCond(x)}` : `no ${describeCond(x)} after the previous one`,
        };
      after = next;
    }
    return { ok: true, why: 'in that order' };
  }
  return { ok: false, why: 'an empty check' };
}

/** Resolves a value expression against the trace. */
export function resolveValue(
  trace: LabTrace,
  v: ValueExpr,
): string | number | string[] | Array<string | number> | null {
  if (typeof v === 'string' || typeof v === 'number' || Array.isArray(v)) return v;
  if ('oneOf' in v) return v.oneOf;
  if ('isn' in v) {
    const s = trace.segments.find((x) => x.from === v.isn && x.flags.includes('SYN') && !x.injected);
    return s ? s.seq : null;
  }
  if ('mss' in v) {
    const s = trace.segments.find(
      (x) => x.from === v.mss && x.flags.includes('SYN') && x.options.mss !== undefined,
    );
    return s?.options.mss ?? null;
  }
  if ('state' in v) return finalState(trace, v.state);
  if ('count' in v) return trace.segments.filter((s) => matchSegment(s, v.count)).length;
  const all = trace.segments.filter((s) => matchSegment(s, v.of));
  const s = all[(v.nth ?? 1) - 1];
  if (!s) return null;
  if (v.field === 'flags') return s.flags;
  if (v.field === 'mss') return s.options.mss ?? null;
  return s[v.field];
}

/** Formats a resolved value the way a learner would type it. */
export function valueText(v: ReturnType<typeof resolveValue>): string {
  if (v === null) return '';
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

function sameAnswer(
  kind: LabQuestion['kind'] | undefined,
  given: string,
  want: string | number | string[],
  tol = 0,
): boolean {
  if (Array.isArray(want) && kind !== 'flags') return want.some((w) => sameAnswer(kind, given, w, tol));
  if (kind === 'flags' || Array.isArray(want)) {
    const g = parseFlags(given);
    const w = parseFlags(Array.isArray(want) ? want.map(String) : String(want));
    return g !== null && w !== null && g.length === w.length && g.every((f) => w.includes(f));
  }
  if (typeof want === 'number' || kind === 'number') {
    const g = parseNumber(given);
    const w = typeof want === 'number' ? want : parseNumber(want);
    return g !== null && w !== null && Math.abs(g - w) <= tol;
  }
  if (kind === 'state') return normalizeState(given) === normalizeState(want);
  return given.trim().toLowerCase().replace(/\s+/g, ' ') === want.trim().toLowerCase().replace(/\s+/g, ' ');
}

function checkAnswer(ctx: EvalContext, id: string, equals: ValueExpr, tol?: number): Outcome {
  const given = ctx.answers[id];
  if (given === undefined || given.trim() === '')
    return { ok: false, why: `question "${id}" is not answered` };
  const want = resolveValue(ctx.trace, equals);
  if (want === null)
    return { ok: false, why: `the run has nothing to compare "${id}" with (did the connection happen?)` };
  const q = ctx.questions.get(id);
  const ok =
    Array.isArray(want) && 'oneOf' in (equals as object)
      ? (want as Array<string | number>).some((w) => sameAnswer(q?.kind, given, w, tol))
      : sameAnswer(q?.kind, given, want as string | number | string[], tol);
  return { ok, why: ok ? `"${given}" is right` : `"${given}" is not right` };
}

/** The segments a predict step asks about: the first N the hosts themselves sent (not injected). */
export function predictTruths(trace: LabTrace, n: number): PredictTruth[] {
  return trace.segments
    .filter((s) => !s.injected)
    .slice(0, n)
    .map((s) => ({
      index: s.i,
      from: s.from,
      to: s.to,
      flags: s.flags,
      seq: s.seq,
      ack: s.ack,
      relSeq: s.relSeq,
      relAck: s.relAck,
      state: s.senderState,
      explain: s.explain,
    }));
}

/** Grades an attempt over its run's trace. `rejected`: actions the lab does not offer (already left out of the run). */
export function gradeAttempt(
  lab: LabFile,
  attempt: LabAttempt,
  trace: LabTrace,
  rejected: string[] = [],
): LabGrade {
  const questions = new Map(lab.steps.flatMap((s) => s.questions).map((q) => [q.id, q] as const));
  const n = lab.steps.find((s) => s.predict)?.predict?.segments ?? 0;
  let predictions: LabGrade['predictions'] = null;
  if (n > 0) {
    const truths = predictTruths(trace, n);
    const perSegment: Array<PredictFieldScore | null> = truths.map((t, i) => {
      const p = attempt.predictions[i];
      return p ? scorePrediction(p, t) : null;
    });
    let correct = 0;
    for (const s of perSegment)
      if (s) correct += Number(s.flags) + Number(s.seq) + Number(s.ack) + Number(s.state);
    predictions = { correct, total: truths.length * 4, perSegment };
  }
  const ctx: EvalContext = { trace, answers: attempt.answers, questions, predictions };
  const checks: LabCheckResult[] = [];
  lab.steps.forEach((step, si) => {
    for (const c of step.checks) {
      const r = evaluate(ctx, c as LabCondition);
      checks.push({
        id: c.id,
        text: c.text,
        points: c.points,
        earned: r.ok ? c.points : 0,
        passed: r.ok,
        detail: r.ok ? r.why : (c as LabCheck).fail ? `${(c as LabCheck).fail} (${r.why})` : r.why,
        step: si,
      });
    }
  });
  const max = labChecks(lab).reduce((a, c) => a + c.points, 0);
  const score = checks.reduce((a, c) => a + c.earned, 0);
  return { lab: lab.id, score, max, checks, predictions, rejected };
}
