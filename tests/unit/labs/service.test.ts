/**
 * The `labs.*` commands through LabService, as the Labs view drives them:
 * open a lab, act at the current virtual time, step and run, answer, reveal
 * hints, predict segment by segment; progress survives a new service on the
 * same data folder (a restart); the exported HTML report embeds JSON that
 * grades back to the same score, and the PDF is a well-formed file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateAttempt } from '../../../src-shared/labs';
import {
  extractReport,
  gradeRun,
  loadBuiltinLab,
  perfectPredictions,
  runAttempt,
} from '../../../src-main/labs';
import { LabService } from '../../../src-main/service/lab-service';
import { emptyAttempt } from '../../../src-shared/labs';

const dir = mkdtempSync(join(tmpdir(), 'tcplab-labs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function service(): LabService {
  return new LabService({ host: 'cli', dataDir: dir, settingsFile: null });
}

describe('labs service', () => {
  it('lists the labs with progress', async () => {
    const s = service();
    const list = await s.call('labs.list', {});
    expect(list.length).toBeGreaterThanOrEqual(12);
    expect(list[0]).toMatchObject({ id: 'handshake', score: null, completed: false });
    s.dispose();
  });

  it('plays the refused lab to full marks, resumes after a restart, and exports a report that grades back', async () => {
    const s = service();
    const { lab, state } = await s.call('labs.open', { labId: 'refused' });
    expect(lab.steps[0].actions[0]).toMatchObject({ do: 'connect', ports: [80, 81, 8080] });
    expect(state.grade.score).toBe(0);
    let st = await s.call('labs.act', { labId: 'refused', step: 0, action: 0, port: 81 });
    expect(st.rows).toHaveLength(1); // the SYN leaves at once (0 ms)
    st = await s.call('labs.step', { labId: 'refused' });
    expect(st.rows).toHaveLength(2);
    expect(st.now).toBe(10);
    st = await s.call('labs.run', { labId: 'refused' });
    expect(st.done).toBe(true);
    expect(st.rows.map((r) => r.flags)).toEqual([0x002, 0x014]);
    await s.call('labs.answer', { labId: 'refused', question: 'rst-seq', value: '0' });
    await s.call('labs.answer', { labId: 'refused', question: 'rst-ack', value: '1' });
    st = await s.call('labs.hint', { labId: 'refused', step: 1 });
    expect(st.hints[1]).toHaveLength(1);
    st = await s.call('labs.answer', { labId: 'refused', question: 'a-state', value: 'closed' });
    expect(st.grade.score).toBe(st.grade.max);
    s.dispose();

    // A restart: a new service on the same data folder resumes the attempt.
    const s2 = service();
    await s2.call('labs.learner', { name: 'Ada Lovelace' });
    const again = await s2.call('labs.state', { labId: 'refused' });
    expect(again.attempt.answers['a-state']).toBe('closed');
    expect(again.grade.score).toBe(again.grade.max);
    expect((await s2.call('labs.list', {})).find((l) => l.id === 'refused')).toMatchObject({
      completed: true,
    });
    const rep = await s2.call('labs.export', { labId: 'refused', format: 'html' });
    expect(rep.name).toBe('tcplab-refused-ada-lovelace.html');
    const html = Buffer.from(rep.data, 'base64').toString('utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script(?![^>]*application\/json)/);
    const data = extractReport(html) as { learner: string; attempt: unknown; grade: { score: number } };
    expect(data.learner).toBe('Ada Lovelace');
    const loaded = loadBuiltinLab('refused')!;
    const attempt = validateAttempt(data.attempt, loaded.lab.hosts).attempt!;
    expect(gradeRun(loaded, attempt).grade.score).toBe(data.grade.score);
    const pdf = Buffer.from(
      (await s2.call('labs.export', { labId: 'refused', format: 'pdf' })).data,
      'base64',
    );
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(pdf.toString('latin1')).toMatch(/startxref\n\d+\n%%EOF\n$/);
    s2.dispose();
  });

  it('runs predict mode: stops before each segment, scores it and reveals the explanation', async () => {
    const s = service();
    const id = 'predict-connection';
    let st = (await s.call('labs.open', { labId: id })).state;
    expect(st.predict).toMatchObject({ total: 6, next: 0, revealed: [] });
    expect(st.rows).toEqual([]);
    const truth = perfectPredictions(runAttempt(loadBuiltinLab(id)!, emptyAttempt()).trace, 6);
    st = await s.call('labs.predict', { labId: id, ...truth[0] });
    expect(st.predict?.next).toBe(1);
    expect(st.rows).toHaveLength(1);
    expect(st.predict?.revealed[0].score).toEqual({ flags: true, seq: true, ack: true, state: true });
    expect(st.predict?.revealed[0].truth.explain.text).toMatch(/./);
    st = await s.call('labs.predict', { labId: id, flags: 'ACK', seq: '5', ack: '5', state: 'LISTEN' });
    expect(st.predict?.revealed[1].score).toEqual({ flags: false, seq: false, ack: false, state: false });
    for (const p of truth.slice(2)) st = await s.call('labs.predict', { labId: id, ...p });
    expect(st.predict?.next).toBe(6);
    expect(st.grade.checks.map((c) => c.passed)).toEqual([true, false]);
    expect((await s.handle('labs.predict', { labId: id, ...truth[0] })).ok).toBe(false);
    s.dispose();
  });

  it('answers mistakes with sentences', async () => {
    const s = service();
    const r = await s.handle('labs.open', { labId: 'no-such-lab' });
    expect(r).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const r2 = await s.handle('labs.act', { labId: 'refused', step: 0, action: 0, port: 22 });
    expect(r2).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'Pick one of the ports 80, 81, 8080.' },
    });
    s.dispose();
  });
});
