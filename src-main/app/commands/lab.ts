/**
 * `tcplab lab …`: the labs from the command line, for learners and for
 * instructors. `list [--json]` shows the built-in labs; `run LAB --solution
 * [--json]` plays a lab's reference solution (or `--attempt FILE`, a JSON
 * attempt or an exported report) and prints the grade, exit 1 unless it
 * earns full marks; `check FILE` validates a lab file (errors as
 * file:line:col with what to fix, exit 2) and runs its self-test (solution
 * full marks, empty attempt fails every check, each declared wrong attempt
 * fails its checks; exit 1 when that fails); `grade DIR [--csv]` reads every
 * report (.html) in a folder, re-grades the embedded attempt and prints one
 * row per report: learner, lab, score, max, per-check results.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LabAttempt, LabGrade } from '../../../src-shared/labs';
import { defineCommand, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './args';

function gradeText(g: LabGrade): string {
  const lines = [`${g.lab}: ${g.score} / ${g.max}`];
  for (const c of g.checks)
    lines.push(
      `  ${c.passed ? 'PASS' : 'FAIL'}  ${c.id} (${c.earned}/${c.points})  ${c.text}${c.passed ? '' : ` — ${c.detail}`}`,
    );
  if (g.predictions)
    lines.push(`  predictions: ${g.predictions.correct} of ${g.predictions.total} fields right`);
  for (const r of g.rejected) lines.push(`  ignored: ${r}`);
  return lines.join('\n') + '\n';
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export default defineCommand({
  name: 'lab',
  summary: 'List, run, check and grade classroom labs',
  description:
    'Subcommands:\n' +
    '  lab list [--json]                      the built-in labs\n' +
    '  lab run LAB --solution [--json]        play the reference solution and print the grade\n' +
    '  lab run LAB --attempt FILE [--json]    grade an attempt (JSON) or an exported report (.html)\n' +
    '  lab check FILE                         validate a lab file and run its self-test\n' +
    '  lab grade DIR [--csv]                  re-grade every report (.html) in a folder\n' +
    'Use --labs DIR to grade or run labs that are not built in.',
  spec: {
    flags: {
      json: { type: 'boolean', help: 'Print JSON' },
      csv: { type: 'boolean', help: 'grade: print CSV (learner, lab, score, max, checks, file)' },
      solution: { type: 'boolean', help: "run: play the lab's reference solution" },
      attempt: { type: 'string', value: 'FILE', help: 'run: an attempt as JSON, or an exported report' },
      labs: {
        type: 'string',
        value: 'DIR',
        help: 'A folder of lab files to use instead of the built-in ones',
      },
    },
    positionals: [
      { name: 'SUBCOMMAND', help: 'list, run, check or grade' },
      { name: 'ARG', help: 'run: a lab id; check: a lab file; grade: a folder of reports', optional: true },
    ],
  },
  async run(args, io: CliIo) {
    const [sub, arg] = args.positionals;
    const labs = await import('../../labs');
    const { validateAttempt } = await import('../../../src-shared/labs');
    const { captureRowsFor } = await import('../../service/labs-service');
    const loadAll = () => labs.loadBuiltinLabs(args.flags.labs);
    const need = (what: string): string => {
      if (!arg) throw new UsageError(`lab ${sub} needs ${what}`);
      return arg;
    };
    try {
      if (sub === 'list') {
        if (arg) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
        const all = loadAll().map((l) => ({
          id: l.lab.id,
          title: l.lab.title,
          summary: l.lab.summary,
          objectives: l.lab.objectives,
          setup: l.lab.setup.kind,
          steps: l.lab.steps.length,
          checks: l.lab.steps.reduce((a, s) => a + s.checks.length, 0),
          max: l.lab.steps.flatMap((s) => s.checks).reduce((a, c) => a + c.points, 0),
          predict: l.lab.steps.some((s) => s.predict),
        }));
        if (args.flags.json) io.stdout(JSON.stringify(all) + '\n');
        else {
          const w = Math.max(...all.map((l) => l.id.length));
          for (const l of all) io.stdout(`${l.id.padEnd(w)}  ${l.title} (${l.max} points)\n`);
        }
        return EXIT_OK;
      }
      if (sub === 'run') {
        const id = need('a lab id (see tcplab lab list)');
        if (!args.flags.solution && !args.flags.attempt)
          throw new UsageError('lab run needs --solution or --attempt FILE');
        if (args.flags.solution && args.flags.attempt)
          throw new UsageError('use --solution or --attempt, not both');
        const all = loadAll();
        const loaded = all.find((l) => l.lab.id === id);
        if (!loaded) {
          io.stderr(`tcplab lab: no lab "${id}"; labs are ${all.map((l) => l.lab.id).join(', ')}\n`);
          return EXIT_FAILURE;
        }
        const opts = { captureRows: captureRowsFor(loaded) };
        let attempt: LabAttempt;
        if (args.flags.solution) attempt = labs.solutionAttempt(loaded, opts);
        else {
          const text = readFileSync(args.flags.attempt as string, 'utf8');
          const raw: unknown = /^\s*</.test(text)
            ? (labs.extractReport(text) as { attempt?: unknown } | null)?.attempt
            : JSON.parse(text);
          const v = validateAttempt(raw, loaded.lab.hosts);
          if (!v.attempt) {
            io.stderr(
              `tcplab lab: ${args.flags.attempt}: not an attempt: ${v.issues[0]?.message ?? 'no attempt found'}\n`,
            );
            return EXIT_BAD_INPUT;
          }
          attempt = v.attempt;
        }
        const { grade } = labs.gradeRun(loaded, attempt, opts);
        io.stdout(args.flags.json ? JSON.stringify({ ...grade, attempt }) + '\n' : gradeText(grade));
        return grade.score === grade.max ? EXIT_OK : EXIT_FAILURE;
      }
      if (sub === 'check') {
        const file = need('a lab file');
        let loaded;
        try {
          loaded = labs.loadLabFile(file);
        } catch (e) {
          if (!(e instanceof labs.LabFileError)) throw e;
          io.stderr(e.issues.map((i) => labs.formatIssue({ ...i, file })).join('\n') + '\n');
          return EXIT_BAD_INPUT;
        }
        const v = labs.verifyLab(loaded, { captureRows: captureRowsFor(loaded) });
        if (args.flags.json)
          io.stdout(
            JSON.stringify({
              lab: v.lab,
              ok: v.problems.length === 0,
              problems: v.problems,
              solution: v.solution.score,
              max: v.solution.max,
            }) + '\n',
          );
        else {
          io.stdout(
            `${file}: lab "${v.lab}" is valid; solution ${v.solution.score}/${v.solution.max}, empty attempt ${v.empty.score}/${v.empty.max}, ${v.wrong.length} wrong attempt(s)\n`,
          );
          for (const p of v.problems) io.stdout(`  problem: ${p}\n`);
        }
        return v.problems.length ? EXIT_FAILURE : EXIT_OK;
      }
      if (sub === 'grade') {
        const dir = need('a folder of reports');
        let files: string[];
        try {
          files = statSync(dir).isDirectory()
            ? readdirSync(dir)
                .filter((f) => /\.html?$/i.test(f))
                .sort()
                .map((f) => join(dir, f))
            : [dir];
        } catch {
          io.stderr(`tcplab lab grade: ${dir}: no such folder\n`);
          return EXIT_BAD_INPUT;
        }
        const all = loadAll();
        const rows: Array<{
          learner: string;
          lab: string;
          score: number | string;
          max: number | string;
          checks: string;
          file: string;
          note: string;
        }> = [];
        let bad = 0;
        for (const f of files) {
          const name = f.slice(dir.length).replace(/^[\\/]/, '') || f;
          const fail = (note: string) => {
            bad++;
            rows.push({ learner: '', lab: '', score: '', max: '', checks: '', file: name, note });
          };
          const data = labs.extractReport(readFileSync(f, 'utf8')) as {
            format?: string;
            lab?: { id?: string };
            learner?: string;
            attempt?: unknown;
            grade?: { score?: number };
          } | null;
          if (!data || data.format !== 'tcplab-report') {
            fail('not a TCP Lab report (no embedded tcplab-report JSON)');
            continue;
          }
          const loaded = all.find((l) => l.lab.id === data.lab?.id);
          if (!loaded) {
            fail(`unknown lab "${String(data.lab?.id)}" (use --labs DIR for labs that are not built in)`);
            continue;
          }
          const v = validateAttempt(data.attempt, loaded.lab.hosts);
          if (!v.attempt) {
            fail(`damaged attempt: ${v.issues[0]?.message}`);
            continue;
          }
          const { grade } = labs.gradeRun(loaded, v.attempt, { captureRows: captureRowsFor(loaded) });
          const reported = data.grade?.score;
          rows.push({
            learner: typeof data.learner === 'string' ? data.learner : '',
            lab: loaded.lab.id,
            score: grade.score,
            max: grade.max,
            checks: grade.checks.map((c) => `${c.id}=${c.passed ? 'pass' : 'fail'}`).join(' '),
            file: name,
            note: reported !== grade.score ? `report said ${String(reported)}, re-graded ${grade.score}` : '',
          });
        }
        if (args.flags.csv) {
          io.stdout('learner,lab,score,max,checks,file,note\n');
          for (const r of rows)
            io.stdout(
              [r.learner, r.lab, r.score, r.max, r.checks, r.file, r.note].map(csvCell).join(',') + '\n',
            );
        } else if (args.flags.json) io.stdout(JSON.stringify(rows) + '\n');
        else {
          if (rows.length === 0) io.stdout('No reports (.html) in that folder.\n');
          for (const r of rows)
            io.stdout(
              r.lab
                ? `${r.file}: ${r.learner || '(no name)'} ${r.lab} ${r.score}/${r.max}${r.note ? ` (${r.note})` : ''}\n`
                : `${r.file}: ${r.note}\n`,
            );
        }
        if (bad) io.stderr(`tcplab lab grade: ${bad} file(s) could not be graded\n`);
        return bad ? EXIT_BAD_INPUT : EXIT_OK;
      }
      throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}; use list, run, check or grade`);
    } catch (e) {
      if (e instanceof labs.LabFileError) {
        io.stderr(`tcplab lab: a lab file is broken:\n${e.message}\n`);
        return EXIT_BAD_INPUT;
      }
      if (e instanceof labs.LabRunError) {
        io.stderr(`tcplab lab: ${e.message}\n`);
        return EXIT_FAILURE;
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        io.stderr(`tcplab lab: ${(e as NodeJS.ErrnoException).path ?? ''}: no such file\n`);
        return EXIT_BAD_INPUT;
      }
      if (e instanceof SyntaxError) {
        io.stderr(`tcplab lab: not valid JSON: ${e.message}\n`);
        return EXIT_BAD_INPUT;
      }
      throw e;
    }
  },
});
