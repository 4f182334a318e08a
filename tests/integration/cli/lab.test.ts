/**
 * `tcplab lab` in-process through `main(argv, io)`: `list --json`; `run LAB
 * --solution` for every built-in lab (full marks, exit 0) and `--attempt` with
 * a wrong attempt (exit 1); `check` on a good file, on a broken one (file:line
 * and what to fix, exit 2) and on one whose check passes for doing nothing
 * (exit 1); `grade DIR --csv` over reports exported by the service, including
 * a tampered score and a file that is not a report.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../../../src-main/app/cli-main';
import { LabService } from '../../../src-main/service/lab-service';
import { run } from './run-cli';

const tmp = mkdtempSync(join(tmpdir(), 'tcplab-lab-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const LABS = join(__dirname, '..', '..', '..', 'resources', 'labs');

describe('tcplab lab', () => {
  it('lists the labs as JSON', async () => {
    const r = await run('lab', 'list', '--json');
    expect(r.code).toBe(EXIT_OK);
    const labs = JSON.parse(r.out) as Array<{ id: string; max: number; title: string }>;
    expect(labs.length).toBeGreaterThanOrEqual(12);
    expect(labs.every((l) => l.max > 0 && l.title)).toBe(true);
  });

  it('runs every reference solution to full marks', async () => {
    const labs = JSON.parse((await run('lab', 'list', '--json')).out) as Array<{ id: string }>;
    for (const { id } of labs) {
      const r = await run('lab', 'run', id, '--solution', '--json');
      expect(r.code, `${id}: ${r.err}`).toBe(EXIT_OK);
      const g = JSON.parse(r.out) as { score: number; max: number; lab: string };
      expect(g.lab).toBe(id);
      expect(g.score).toBe(g.max);
    }
    const text = await run('lab', 'run', 'handshake', '--solution');
    expect(text.out).toMatch(/^handshake: 7 \/ 7\n {2}PASS {2}handshake-done/);
  });

  it('grades an attempt file and exits 1 below full marks', async () => {
    const f = join(tmp, 'attempt.json');
    writeFileSync(
      f,
      JSON.stringify({ actions: [{ at: 50, host: 'A', do: 'abort' }], answers: { 'tw-host': 'A' } }),
    );
    const r = await run('lab', 'run', 'teardown-four', '--attempt', f);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.out).toMatch(/FAIL {2}a-fin/);
    expect(r.out).toMatch(/PASS {2}tw-host/);
  });

  it('checks a lab file: valid, broken (file:line), or passing for doing nothing', async () => {
    const good = await run('lab', 'check', join(LABS, '07-refused.yaml'));
    expect(good.code).toBe(EXIT_OK);
    expect(good.out).toMatch(/lab "refused" is valid; solution 6\/6, empty attempt 0\/6/);
    const text = readFileSync(join(LABS, '07-refused.yaml'), 'utf8');
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(
      broken,
      text.replace(
        'socket: { host: A, what: error, code: ECONNREFUSED }',
        'socket: { hots: A, what: error }',
      ),
    );
    const b = await run('lab', 'check', broken);
    expect(b.code).toBe(EXIT_BAD_INPUT);
    expect(b.err).toMatch(
      new RegExp(
        `^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: steps\\[0\\]\\.checks\\[1\\]\\.socket\\.hots: unknown socket pattern key "hots"; did you mean "host"\\?`,
        'm',
      ),
    );
    const lazy = join(tmp, 'lazy.yaml');
    writeFileSync(
      lazy,
      text.replace(
        "text: A's connect() fails with ECONNREFUSED\n        socket: { host: A, what: error, code: ECONNREFUSED }",
        'text: B listens\n        state: { host: B, to: LISTEN }',
      ),
    );
    const l = await run('lab', 'check', lazy);
    expect(l.code).toBe(EXIT_FAILURE);
    expect(l.out).toMatch(/check "refused" passes for an empty attempt/);
    expect((await run('lab', 'check', join(tmp, 'nope.yaml'))).code).toBe(EXIT_BAD_INPUT);
  });

  it('grades a folder of reports as CSV', async () => {
    const dir = mkdtempSync(join(tmp, 'reports-'));
    const svc = new LabService({ host: 'cli', dataDir: join(tmp, 'data'), settingsFile: null });
    await svc.call('labs.learner', { name: 'Grace, Hopper' });
    await svc.call('labs.act', { labId: 'refused', step: 0, action: 0, port: 81 });
    await svc.call('labs.run', { labId: 'refused' });
    await svc.call('labs.answer', { labId: 'refused', question: 'rst-seq', value: '0' });
    const rep = await svc.call('labs.export', { labId: 'refused', format: 'html' });
    writeFileSync(join(dir, rep.name), Buffer.from(rep.data, 'base64'));
    const tampered = Buffer.from(rep.data, 'base64')
      .toString('utf8')
      .replace(/"score":\d+/, '"score":6');
    writeFileSync(join(dir, 'tampered.html'), tampered);
    writeFileSync(join(dir, 'notes.html'), '<html><body>hello</body></html>');
    svc.dispose();
    const r = await run('lab', 'grade', dir, '--csv');
    expect(r.code).toBe(EXIT_BAD_INPUT);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('learner,lab,score,max,checks,file,note');
    expect(lines).toContain(
      '"Grace, Hopper",refused,4,6,rst-ack=pass refused=pass rst-seq=pass rst-relack=fail a-state=fail,tcplab-refused-grace-hopper.html,',
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^"Grace, Hopper",refused,4,6,.*,tampered\.html,"report said 6, re-graded 4"$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^,,,,,notes\.html,not a TCP Lab report/));
    expect(r.err).toMatch(/1 file\(s\) could not be graded/);
  });
});
