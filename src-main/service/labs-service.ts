/**
 * The labs side of LabService (`labs.*`): the built-in lab list with the
 * learner's saved progress, a learner's session in one lab — the run so far
 * (the lab's simulation plus the learner's actions, replayed from the seed to
 * the virtual time reached, so what the learner sees is what a grader
 * replays), step to the next segment, run to the end, act (connect, close,
 * abort, inject … as the step offers, at the current virtual time), answer,
 * reveal hints, predict-the-packet (the ladder stops before each segment;
 * each prediction is scored and the engine's explanation revealed) — live
 * check results and score, progress saved after every change, and report
 * export (self-contained HTML with embedded JSON; PDF from Electron's
 * printer when the host gives one, else the built-in writer). Labs from
 * outside the built-in folder join the list after the built-in ones: a file
 * the main process opens by path (`loadFile`: the menu, the file
 * association, recent files) or one the page sends as text (`labs.upload`).
 * Both go through the same loader, so a broken file is refused with its
 * file:line:col sentences, and a file may not take a built-in lab's id.
 */
import { basename, dirname, resolve } from 'node:path';
import {
  emptyAttempt,
  labChecks,
  predictCount,
  type LabActionSpec,
  type LabAttempt,
  type LabAttemptAction,
  type LabHostState,
  type LabListItem,
  type LabSessionState,
  type LabView,
} from '../../src-shared/labs';
import type { BridgeError, CommandArgs, CommandName, CommandResult } from '../../src-shared/contract';
import type { SegmentRow } from '../../src-shared/session';
import type { TcpState } from '../../src-shared/tcp';
import {
  gradeAttempt,
  LabFileError,
  LabRunError,
  loadBuiltinLabs,
  loadLabFile,
  parseLab,
  predictTruths,
  ProgressStore,
  reportFileName,
  reportHtml,
  reportPdf,
  runAttempt,
  type AttemptRun,
  type LoadedLab,
  type ReportInput,
} from '../labs';
import { analyzeCapture } from './analyze';
import { eventsToRows } from './sim-service';

/** A mistake a learner (or a broken lab file) can cause, as a code and a sentence. */
export class LabsError extends Error {
  constructor(
    readonly code: BridgeError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'LabsError';
  }
}

export type LabsCommand = Extract<CommandName, `labs.${string}`>;
export type LabsHandlers = {
  [K in LabsCommand]: (args: CommandArgs<K>) => Promise<CommandResult<K>> | CommandResult<K>;
};

export interface LabsServiceOptions {
  /** Where progress is kept ($TCPLAB_DATA_DIR or ~/.tcplab). */
  dataDir: string;
  /** The lab folder (default the built-in one). */
  dir?: string;
  /** Prints HTML to PDF (Electron's webContents.printToPDF); else the built-in writer draws the PDF. */
  printPdf?: (html: string) => Promise<Uint8Array>;
}

/** Reads a capture setup's session as ladder rows (labs whose setup is a capture file). */
export function captureRowsFor(loaded: LoadedLab): (file: string, session?: number) => SegmentRow[] {
  return (file, session) => {
    const path = resolve(dirname(loaded.file), file);
    const a = analyzeCapture(path, { keepSegments: true });
    const ids = a.tracker.summaries().map((s) => s.id);
    const id = session ?? ids[0];
    if (id === undefined || !ids.includes(id))
      throw new LabsError(
        'bad-file',
        `${file} has no TCP session ${session ?? ''}: pick one of ${ids.join(', ')}`,
      );
    return a.tracker.segments(id);
  };
}

/** Where in the learner's session a lab is (kept in memory; progress on disk mirrors it). */
interface Session {
  loaded: LoadedLab;
  attempt: LabAttempt;
  /** Virtual time reached, or 'end' once the learner ran the lab to its end. */
  now: number | 'end';
}

const DAY = 86_400_000;
/** How many labs from outside the built-in folder one service keeps (each is at most MAX_LAB_TEXT of YAML). */
export const MAX_LOADED_LABS = 64;

/** An uploaded file's name as messages show it: no control characters, no folders. */
function uploadName(name: string): string {
  return (
    name
      .replace(/[\u0000-\u001f]/g, '')
      .replace(/^.*[\\/]/, '')
      .slice(0, 255) || 'lab.yaml'
  );
}

/** A broken lab file as one LabsError: what to do, then the loader's file:line:col sentences. */
function badLabFile(name: string, e: LabFileError): LabsError {
  return new LabsError(
    'bad-file',
    `${name} is not a lab TCP Lab can open; fix these lines and open it again:\n${e.message}`,
  );
}

export class LabsService {
  private labs: LoadedLab[] | null = null;
  /** Labs loaded from files outside the built-in folder, by id, in the order they were first loaded. */
  private readonly loaded = new Map<string, LoadedLab>();
  private readonly sessions = new Map<string, Session>();
  readonly progress: ProgressStore;

  constructor(private readonly opts: LabsServiceOptions) {
    this.progress = new ProgressStore(opts.dataDir);
  }

  handlers(): LabsHandlers {
    return {
      'labs.list': () => this.list(),
      'labs.open': ({ labId }) => ({
        lab: this.view(this.lab(labId)),
        state: this.state(this.session(labId)),
      }),
      'labs.upload': ({ name, text }) => this.upload(name, text),
      'labs.state': ({ labId }) => this.state(this.session(labId)),
      'labs.step': ({ labId }) => this.change(labId, (s) => this.stepToSegment(s)),
      'labs.run': ({ labId }) =>
        this.change(labId, (s) => {
          s.now = 'end';
        }),
      'labs.restart': ({ labId }) =>
        this.change(labId, (s) => {
          s.attempt = { ...s.attempt, actions: [], predictions: [] };
          s.now = 0;
        }),
      'labs.reset': ({ labId }) => {
        const s = this.session(labId);
        s.attempt = emptyAttempt();
        s.now = 0;
        this.progress.reset(labId);
        return this.state(s);
      },
      'labs.act': ({ labId, step, action, port, ports, seqMode }) =>
        this.change(labId, (s) => this.act(s, step, action, { port, ports, seqMode })),
      'labs.answer': ({ labId, question, value }) =>
        this.change(labId, (s) => {
          const q = s.loaded.lab.steps.flatMap((x) => x.questions).find((x) => x.id === question);
          if (!q) throw new LabsError('not-found', `This lab has no question "${question}".`);
          s.attempt = { ...s.attempt, answers: { ...s.attempt.answers, [question]: value } };
        }),
      'labs.hint': ({ labId, step }) =>
        this.change(labId, (s) => {
          const st = s.loaded.lab.steps[step];
          if (!st) throw new LabsError('not-found', `This lab has no step ${step + 1}.`);
          const shown = s.attempt.hints.filter((h) => h.startsWith(`${step}:`)).length;
          if (shown >= st.hints.length)
            throw new LabsError('not-found', 'There are no more hints for this step.');
          s.attempt = { ...s.attempt, hints: [...s.attempt.hints, `${step}:${shown}`] };
        }),
      'labs.predict': ({ labId, flags, seq, ack, state }) =>
        this.change(labId, (s) => {
          const n = predictCount(s.loaded.lab);
          if (n === 0) throw new LabsError('bad-request', 'This lab has no predict-the-packet step.');
          const truths = predictTruths(this.fullRun(s).trace, n);
          const next = s.attempt.predictions.filter((p) => p !== null).length;
          if (next >= truths.length)
            throw new LabsError('bad-request', 'Every segment has been predicted already.');
          const predictions = [...s.attempt.predictions];
          predictions[next] = { flags, seq, ack, state };
          s.attempt = { ...s.attempt, predictions };
        }),
      'labs.learner': ({ name }) => {
        this.progress.setLearner(name);
        return { learner: this.progress.learner };
      },
      'labs.export': async ({ labId, format, learner }) => {
        if (learner !== undefined) this.progress.setLearner(learner);
        const s = this.session(labId);
        const input = this.reportInput(s);
        if (format === 'html') {
          const html = reportHtml(input);
          return {
            name: reportFileName(labId, input.learner, 'html'),
            mime: 'text/html',
            data: Buffer.from(html, 'utf8').toString('base64'),
          };
        }
        const bytes = this.opts.printPdf ? await this.opts.printPdf(reportHtml(input)) : reportPdf(input);
        return {
          name: reportFileName(labId, input.learner, 'pdf'),
          mime: 'application/pdf',
          data: Buffer.from(bytes).toString('base64'),
        };
      },
    };
  }

  /** Every lab: the built-in ones (loaded once), then those loaded from files. */
  all(): LoadedLab[] {
    return [...this.builtins(), ...this.loaded.values()];
  }

  /**
   * Loads a lab file from outside the built-in folder by path (the main
   * process: menu, file association, recent files) and returns its id, for
   * `labs.open`. Trusted: the path is the user's own choice.
   */
  loadFile(path: string): string {
    let l: LoadedLab;
    try {
      l = loadLabFile(resolve(path));
    } catch (e) {
      if (e instanceof LabFileError) throw badLabFile(basename(path), e);
      throw e;
    }
    return this.add(l).lab.id;
  }

  /** `labs.upload`: a lab file's text sent by the page (its file picker, web mode), opened at once. */
  upload(name: string, text: string): { lab: LabView; state: LabSessionState } {
    const clean = uploadName(name);
    let l: LoadedLab;
    try {
      l = parseLab(text, clean);
    } catch (e) {
      if (e instanceof LabFileError) throw badLabFile(clean, e);
      throw e;
    }
    if (l.lab.setup.kind === 'capture')
      throw new LabsError(
        'bad-file',
        `${clean} runs on the capture file "${l.lab.setup.capture}", which a lab sent from the page cannot bring along: ` +
          'open the lab file with File → Open Lab… in the desktop app (or `tcplab lab`) so the capture is found beside it, or give it a simulation setup.',
      );
    const added = this.add(l);
    return { lab: this.view(added), state: this.state(this.session(added.lab.id)) };
  }

  /**
   * Adds a lab from outside the built-in folder. A built-in lab's id is
   * refused; an earlier loaded lab with the same id is replaced, and unless
   * the lab is the same as before, its session and saved progress start over.
   */
  private add(l: LoadedLab): LoadedLab {
    const id = l.lab.id;
    const name = basename(l.file);
    const builtin = this.builtins().find((x) => x.lab.id === id);
    if (builtin)
      throw new LabsError(
        'bad-file',
        `${name} has the id "${id}", which the built-in lab "${builtin.lab.title}" already has: ` +
          `change the \`id:\` in the file to one of its own (for example \`id: my-${id}\`) and open it again.`,
      );
    const before = this.loaded.get(id);
    if (!before && this.loaded.size >= MAX_LOADED_LABS)
      throw new LabsError(
        'unavailable',
        `TCP Lab already holds ${MAX_LOADED_LABS} labs opened from files: restart it to open more.`,
      );
    const same =
      before !== undefined &&
      JSON.stringify([before.lab, before.scenario]) === JSON.stringify([l.lab, l.scenario]);
    this.loaded.set(id, l);
    const s = this.sessions.get(id);
    if (same) {
      if (s) s.loaded = l;
    } else if (before) {
      this.sessions.delete(id);
      this.progress.reset(id);
    }
    return l;
  }

  /** The built-in labs (loaded once). */
  private builtins(): LoadedLab[] {
    if (!this.labs) {
      try {
        this.labs = loadBuiltinLabs(this.opts.dir);
      } catch (e) {
        if (e instanceof LabFileError)
          throw new LabsError('bad-file', `A built-in lab file is broken: ${e.message}`);
        throw new LabsError('unavailable', `The lab folder cannot be read: ${(e as Error).message}`);
      }
    }
    return this.labs;
  }

  list(): LabListItem[] {
    return this.all().map((l) => {
      const p = this.progress.get(l.lab.id);
      return {
        id: l.lab.id,
        title: l.lab.title,
        summary: l.lab.summary,
        objectives: l.lab.objectives,
        max: labChecks(l.lab).reduce((a, c) => a + c.points, 0),
        steps: l.lab.steps.length,
        predict: predictCount(l.lab) > 0,
        score: p ? p.best : null,
        completed: p?.completed ?? false,
      };
    });
  }

  private lab(id: string): LoadedLab {
    const l = this.all().find((x) => x.lab.id === id);
    if (!l) {
      throw new LabsError(
        'not-found',
        `There is no lab "${id}". Pick one of: ${this.all()
          .map((x) => x.lab.id)
          .join(', ')}.`,
      );
    }
    return l;
  }

  private session(id: string): Session {
    let s = this.sessions.get(id);
    if (!s) {
      const loaded = this.lab(id);
      const saved = this.progress.get(id);
      s = {
        loaded,
        attempt: saved?.attempt ?? emptyAttempt(),
        now: saved ? (saved.now < 0 ? 'end' : saved.now) : 0,
      };
      this.sessions.set(id, s);
    }
    return s;
  }

  private view(l: LoadedLab): LabView {
    const lab = l.lab;
    return {
      id: lab.id,
      title: lab.title,
      summary: lab.summary,
      objectives: lab.objectives,
      hosts: lab.hosts,
      setupKind: lab.setup.kind,
      steps: lab.steps.map((s) => ({
        title: s.title,
        text: s.text,
        actions: s.actions,
        questions: s.questions,
        hintCount: s.hints.length,
        checks: s.checks.map((c) => ({ id: c.id, text: c.text, points: c.points })),
        predict: s.predict ?? null,
      })),
    };
  }

  private change(id: string, fn: (s: Session) => void): LabSessionState {
    const s = this.session(id);
    try {
      fn(s);
    } catch (e) {
      if (e instanceof LabRunError) throw new LabsError('unavailable', e.message);
      throw e;
    }
    const st = this.state(s);
    this.progress.save(id, s.attempt, s.now === 'end' ? -1 : s.now, st.done ? st.grade : null);
    return st;
  }

  private run(s: Session): AttemptRun {
    const until = s.now === 'end' ? undefined : s.now;
    return runAttempt(s.loaded, s.attempt, { until, captureRows: captureRowsFor(s.loaded) });
  }

  private fullRun(s: Session): AttemptRun {
    return runAttempt(s.loaded, s.attempt, { captureRows: captureRowsFor(s.loaded) });
  }

  /** Advances to the next instant at which a segment is sent (processing that whole instant). */
  private stepToSegment(s: Session): void {
    const r = this.run(s);
    if (!r.run) return;
    const sim = r.run.sim;
    const end = s.loaded.scenario?.duration ?? DAY;
    const before = sim.events.filter((e) => e.type === 'segment').length;
    for (;;) {
      const t = sim.nextTime();
      if (!Number.isFinite(t) || t > end) break;
      sim.runUntil(t);
      if (sim.events.filter((e) => e.type === 'segment').length > before) break;
    }
    s.now = sim.now;
  }

  private act(
    s: Session,
    stepIndex: number,
    actionIndex: number,
    choice: { port?: number; ports?: number[]; seqMode?: 'exact' | 'in-window' | 'out-of-window' },
  ): void {
    const spec: LabActionSpec | undefined = s.loaded.lab.steps[stepIndex]?.actions[actionIndex];
    if (!spec) throw new LabsError('not-found', `Step ${stepIndex + 1} offers no action ${actionIndex + 1}.`);
    const at = s.now === 'end' ? (this.run(s).run?.now ?? 0) : s.now;
    s.now = at;
    const a: LabAttemptAction = { at, host: spec.host, do: spec.do };
    if (spec.to) a.to = spec.to;
    if (spec.do === 'connect') {
      const port = choice.port ?? spec.ports?.[0];
      if (port === undefined || !spec.ports?.includes(port))
        throw new LabsError('bad-request', `Pick one of the ports ${spec.ports?.join(', ')}.`);
      a.port = port;
    }
    if (spec.do === 'scan') {
      const ports = choice.ports ?? spec.ports ?? [];
      if (!ports.length || !ports.every((p) => spec.ports?.includes(p)))
        throw new LabsError('bad-request', `Scan some of the ports ${spec.ports?.join(', ')}.`);
      a.ports = ports;
    }
    if (spec.do === 'inject') {
      const mode = choice.seqMode ?? spec.seqModes?.[0] ?? 'exact';
      if (!(spec.seqModes ?? ['exact']).includes(mode))
        throw new LabsError('bad-request', `Pick one of ${(spec.seqModes ?? ['exact']).join(', ')}.`);
      a.flags = spec.flags;
      a.seqMode = mode;
    }
    if (spec.do === 'send') {
      if (spec.text !== undefined) a.text = spec.text;
      else a.bytes = spec.bytes;
    }
    s.attempt = { ...s.attempt, actions: [...s.attempt.actions, a] };
  }

  private hostStates(s: Session, r: AttemptRun): LabHostState[] {
    const sim = r.run?.sim;
    return s.loaded.lab.hosts.map((name) => {
      if (!sim) return { name, state: 'CLOSED' as TcpState };
      const h = sim.host(name);
      const socks = h.allSockets();
      const open = socks.filter((k) => k.state !== 'CLOSED');
      const shown = open[open.length - 1] ?? socks[socks.length - 1];
      const state: TcpState = shown ? shown.state : h.listeners.size ? 'LISTEN' : 'CLOSED';
      return { name, state };
    });
  }

  private endpoints(s: Session, r: AttemptRun): LabSessionState['endpoints'] {
    const [a, b] = s.loaded.lab.hosts;
    const sim = r.run?.sim;
    const seg = r.trace.segments.find((x) => (x.from === a && x.to === b) || (x.from === b && x.to === a));
    const pa = seg ? (seg.from === a ? seg.sport : seg.dport) : 0;
    const pb = seg ? (seg.from === a ? seg.dport : seg.sport) : 0;
    return {
      a: { ip: sim ? sim.hostAddress(a) : '10.0.0.1', port: pa },
      b: { ip: sim ? sim.hostAddress(b) : '10.0.0.2', port: pb },
    };
  }

  private rows(s: Session, r: AttemptRun, now: number): SegmentRow[] {
    if (!r.run) return [];
    const [a, b] = s.loaded.lab.hosts;
    return eventsToRows(r.run.events, { a, b }, now).rows;
  }

  state(s: Session): LabSessionState {
    const lab = s.loaded.lab;
    const n = predictCount(lab);
    let error: string | null = null;
    let r: AttemptRun;
    try {
      // Predict labs show the whole run's rows up to the segment to predict; others the run so far.
      r = n > 0 ? this.fullRun(s) : this.run(s);
    } catch (e) {
      if (!(e instanceof LabRunError) && !(e instanceof LabsError)) throw e;
      error = e.message;
      r = { run: null, trace: { events: [], segments: [] }, rejected: [], done: true };
    }
    const grade = gradeAttempt(lab, s.attempt, r.trace, r.rejected);
    let rows = this.rows(s, r, r.run ? r.run.now : 0);
    let predict: LabSessionState['predict'] = null;
    if (n > 0) {
      const truths = predictTruths(r.trace, n);
      const made = s.attempt.predictions.filter((p) => p !== null).length;
      const next = Math.min(made, truths.length);
      const revealed = truths
        .slice(0, next)
        .map((t, i) => ({ truth: t, score: grade.predictions?.perSegment[i] ?? null }));
      predict = { total: truths.length, next, revealed };
      if (next < truths.length) rows = rows.slice(0, truths[next].index);
    }
    const hints: Record<number, string[]> = {};
    for (const h of s.attempt.hints) {
      const [si, hi] = h.split(':').map(Number);
      const text = lab.steps[si]?.hints[hi];
      if (text !== undefined) (hints[si] ??= []).push(text);
    }
    return {
      labId: lab.id,
      learner: this.progress.learner,
      attempt: s.attempt,
      hints,
      now: r.run ? r.run.now : 0,
      done: r.done,
      hosts: this.hostStates(s, r),
      endpoints: this.endpoints(s, r),
      rows,
      grade,
      predict,
      error,
    };
  }

  private reportInput(s: Session): ReportInput {
    const r = this.fullRun(s);
    const grade = gradeAttempt(s.loaded.lab, s.attempt, r.trace, r.rejected);
    return {
      lab: s.loaded.lab,
      learner: this.progress.learner,
      attempt: s.attempt,
      grade,
      rows: this.rows(s, r, r.run ? r.run.now : DAY),
      endpoints: this.endpoints(s, r),
      truths: predictTruths(r.trace, predictCount(s.loaded.lab)),
    };
  }
}
