/**
 * Reads lab files (`resources/labs/*.yaml`, or any file an instructor
 * writes): parses the YAML keeping source positions, validates the lab with
 * `validateLab` (src-shared/labs.ts) and its simulated topology with the
 * engine's own scenario parser, and turns every problem into
 * `file:line:col: path: what to write instead`. Also finds the built-in lab
 * folder (next to the sources, beside the built app, or `TCPLAB_LABS`) and
 * lists and loads the labs in it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { validateLab, type LabIssue, type LabPath } from '../../src-shared/labs';
import { loadScenario, parseScenario, ScenarioError, type Scenario } from '../engine';
import { actionText, matchOffer, type LoadedLab } from './runner';

export interface LabFileIssue {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export class LabFileError extends Error {
  constructor(readonly issues: LabFileIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'LabFileError';
  }
}

export function formatIssue(i: LabFileIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? i.path + ': ' : ''}${i.message}`;
}

function fmtPath(path: LabPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

/** "timeline[0].host" → ['timeline', 0, 'host'] */
function parsePath(s: string): LabPath {
  const out: LabPath = [];
  for (const m of s.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

function locate(doc: Document, lc: LineCounter, path: LabPath): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      // A missing key points at its parent mapping: name the line where it starts.
      return lc.linePos(range[0]);
    }
  }
  return { line: 1, col: 1 };
}

function candidates(): string[] {
  const out: string[] = [];
  if (process.env.TCPLAB_LABS) out.push(process.env.TCPLAB_LABS);
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    out.push(resolve(here, '../../resources/labs'), resolve(here, '../resources/labs'));
  } catch {
    // not an ES module build: fall through to the working directory
  }
  out.push(resolve(process.cwd(), 'resources/labs'));
  return out;
}

/** The folder of built-in labs. */
export function labDir(): string {
  const dir = candidates().find((d) => existsSync(d));
  if (!dir)
    throw new Error(`cannot find the lab folder; looked in ${candidates().join(', ')}. Set TCPLAB_LABS.`);
  return dir;
}

/** Parses and validates lab text. Throws `LabFileError` naming file, line and fix. */
export function parseLab(text: string, file = 'lab.yaml', builtin = false): LoadedLab {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const name = basename(file);
  if (doc.errors.length) {
    throw new LabFileError(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return {
          file: name,
          line: pos.line,
          col: pos.col,
          path: '',
          message: `not valid YAML: ${e.message.split('\n')[0]}`,
        };
      }),
    );
  }
  const issues: LabIssue[] = [];
  const toFileIssues = (list: LabIssue[]): LabFileIssue[] =>
    list.map((i) => ({ file: name, ...locate(doc, lc, i.path), path: fmtPath(i.path), message: i.message }));
  // The id defaults to the file's base name: first.tcplab, first.tcplab.yaml, first.yml → first.
  const id = name.replace(/(\.tcplab)?(\.ya?ml)?$/i, '');
  const scenarioHosts = (sc: string): string[] | null => {
    try {
      return Object.keys(loadScenario(sc).hosts);
    } catch {
      return null;
    }
  };
  const data: unknown = doc.toJS();
  const { lab, issues: labIssues } = validateLab(data, id, scenarioHosts);
  issues.push(...labIssues);
  // The simulated topology, in the engine's scenario format, checked by the engine itself.
  let scenario: Scenario | null = null;
  const setup = (data as { setup?: Record<string, unknown> } | null)?.setup;
  if (setup && typeof setup === 'object') {
    if (setup.simulation && typeof setup.simulation === 'object' && !Array.isArray(setup.simulation)) {
      const sim = { timeline: [], ...(setup.simulation as Record<string, unknown>), name: id };
      try {
        scenario = parseScenario(stringify(sim), name);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        for (const i of e.issues)
          issues.push({ path: ['setup', 'simulation', ...parsePath(i.path)], message: i.message });
      }
    } else if (typeof setup.scenario === 'string') {
      try {
        scenario = loadScenario(setup.scenario);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        issues.push({ path: ['setup', 'scenario'], message: e.issues[0]?.message ?? e.message });
      }
    }
  }
  if (lab) {
    // The solution and the wrong attempts may only use actions the steps offer.
    const attempts: Array<[LabPath, typeof lab.solution.actions]> = [
      [['solution', 'actions'], lab.solution.actions],
      ...lab.wrong.map((w, i): [LabPath, typeof w.actions] => [['wrong', i, 'actions'], w.actions]),
    ];
    for (const [p, actions] of attempts)
      actions.forEach((a, i) => {
        if (!matchOffer(lab, a))
          issues.push({
            path: [...p, i],
            message: `${actionText(a)} is not an action any step offers; add it to a step's "actions" or change it`,
          });
      });
  }
  if (issues.length || !lab) {
    const out = toFileIssues(issues).sort((x, y) => x.line - y.line || x.col - y.col);
    throw new LabFileError(out);
  }
  return { lab, scenario, file, builtin };
}

export function loadLabFile(file: string, builtin = false): LoadedLab {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a lab file'
          : (e as Error).message;
    throw new LabFileError([{ file: basename(file), line: 1, col: 1, path: '', message: why }]);
  }
  return parseLab(text, file, builtin);
}

/** Every built-in lab, sorted by file name (files are numbered to give the teaching order). */
export function loadBuiltinLabs(dir = labDir()): LoadedLab[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => loadLabFile(join(dir, f), true));
}

/** One built-in lab by id. */
export function loadBuiltinLab(id: string, dir = labDir()): LoadedLab | null {
  return loadBuiltinLabs(dir).find((l) => l.lab.id === id) ?? null;
}
