/**
 * Every built-in lab, played three ways: its reference solution earns full
 * marks; an empty attempt (a learner who does nothing) fails every single
 * check; and each plausible wrong attempt the lab declares fails exactly the
 * checks it names and scores below the maximum. Also pins the lab list's
 * coverage of the topics issue 8 asks for.
 */
import { describe, expect, it } from 'vitest';
import { emptyAttempt, labChecks } from '../../../src-shared/labs';
import { gradeRun, loadBuiltinLabs, solutionAttempt, wrongAttempts } from '../../../src-main/labs';

const labs = loadBuiltinLabs();

describe('built-in labs', () => {
  it('has at least twelve labs covering connection management', () => {
    expect(labs.length).toBeGreaterThanOrEqual(12);
    const ids = labs.map((l) => l.lab.id);
    for (const topic of [
      'handshake',
      'mss',
      'teardown-four',
      'teardown-three',
      'half-close',
      'time-wait',
      'refused',
      'abort',
      'syn-scan',
      'simultaneous-open',
      'simultaneous-close',
      'lost-syn',
      'lost-synack',
      'blind-rst',
      'predict-connection',
    ])
      expect(ids).toContain(topic);
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe.each(labs.map((l) => [l.lab.id, l] as const))('%s', (_id, loaded) => {
    it('passes with its reference solution', () => {
      const { grade } = gradeRun(loaded, solutionAttempt(loaded));
      expect(grade.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
      expect(grade.score).toBe(grade.max);
      expect(grade.max).toBeGreaterThan(0);
      expect(grade.rejected).toEqual([]);
    });

    it('fails every check with an empty attempt', () => {
      const { grade } = gradeRun(loaded, emptyAttempt());
      expect(grade.checks.filter((c) => c.passed).map((c) => c.id)).toEqual([]);
      expect(grade.score).toBe(0);
      expect(grade.checks).toHaveLength(labChecks(loaded.lab).length);
    });

    it('fails the named checks with each plausible wrong attempt', () => {
      const wrong = wrongAttempts(loaded);
      expect(wrong.length).toBeGreaterThan(0);
      for (const w of wrong) {
        const { grade } = gradeRun(loaded, w.attempt);
        const failed = grade.checks.filter((c) => !c.passed).map((c) => c.id);
        expect(failed, w.why).toEqual(expect.arrayContaining(w.fails));
        expect(grade.score, w.why).toBeLessThan(grade.max);
        for (const id of w.fails) expect(grade.checks.find((c) => c.id === id)?.detail, id).toBeTruthy();
      }
    });
  });

  it('every check fails for some wrong attempt (empty or declared)', () => {
    for (const l of labs) {
      const empty = gradeRun(l, emptyAttempt()).grade;
      for (const c of labChecks(l.lab))
        expect(empty.checks.find((x) => x.id === c.id)?.passed, `${l.lab.id}/${c.id}`).toBe(false);
    }
  });
});
