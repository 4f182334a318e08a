/**
 * A lab's self-test, what `tcplab lab check FILE` runs after validation and
 * what the unit tests assert for every built-in lab: the reference solution
 * earns full marks; an empty attempt fails every check (so no point is given
 * for doing nothing); each declared wrong attempt fails the checks it names
 * and scores below the maximum. Problems come back as sentences an author
 * can act on.
 */
import { emptyAttempt, type LabGrade } from '../../src-shared/labs';
import { gradeRun, solutionAttempt, wrongAttempts, type LoadedLab, type RunOptions } from './runner';

export interface LabVerification {
  lab: string;
  solution: LabGrade;
  empty: LabGrade;
  wrong: Array<{ why: string; grade: LabGrade; fails: string[] }>;
  /** Sentences naming what is wrong with the lab; empty when the lab is sound. */
  problems: string[];
}

export function verifyLab(loaded: LoadedLab, opts: RunOptions = {}): LabVerification {
  const problems: string[] = [];
  const solution = gradeRun(loaded, solutionAttempt(loaded, opts), opts).grade;
  if (solution.score !== solution.max) {
    for (const c of solution.checks.filter((x) => !x.passed))
      problems.push(`the reference solution fails check "${c.id}": ${c.detail}`);
  }
  if (solution.rejected.length) problems.push(...solution.rejected.map((r) => `solution: ${r}`));
  const empty = gradeRun(loaded, emptyAttempt(), opts).grade;
  for (const c of empty.checks.filter((x) => x.passed))
    problems.push(
      `check "${c.id}" passes for an empty attempt (a learner who does nothing): make it depend on an action or an answer`,
    );
  const wrong = wrongAttempts(loaded, opts).map((w) => {
    const grade = gradeRun(loaded, w.attempt, opts).grade;
    for (const id of w.fails) {
      const c = grade.checks.find((x) => x.id === id);
      if (c?.passed) problems.push(`wrong attempt "${w.why}" should fail check "${id}" but passes it`);
    }
    if (grade.score >= grade.max) problems.push(`wrong attempt "${w.why}" earns full marks`);
    return { why: w.why, grade, fails: w.fails };
  });
  if (loaded.lab.wrong.length === 0)
    problems.push('the lab declares no wrong attempt ("wrong:"): add at least one plausible mistake');
  return { lab: loaded.lab.id, solution, empty, wrong, problems };
}
