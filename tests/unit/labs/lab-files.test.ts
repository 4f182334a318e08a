/**
 * Labs from outside the built-in folder, through LabService: a lab file the
 * page uploads (`labs.upload`) opens at once, is listed after the built-in
 * labs and plays, checks and exports like one of them; a broken file is
 * refused as 'bad-file' with the loader's file:line:col sentences; a file
 * may not take a built-in lab's id (the sentence says to change `id:`); a
 * second file with an uploaded lab's id replaces it and starts its session
 * over; the main process loads a file by path (`loadFile`), and a lab in the
 * recent files is loaded and handed to the page as `open-builtin-lab` with
 * its id.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LAB_TEXT, type LabEvent } from '../../../src-shared/contract';
import { LabService } from '../../../src-main/service/lab-service';

/** A small lab of one's own: connect to a closed port, read the RST. */
const MY_LAB = `# A lab written by a teacher
id: my-first-lab
title: My first lab
objectives: [Read the RST a closed port answers with]
setup:
  simulation:
    hosts:
      A: { address: 10.0.0.1 }
      B: { address: 10.0.0.2, listen: [80] }
    link: { latency: 10 }
steps:
  - title: Knock on a closed port
    text: Make A connect to a port of B where **nothing listens**.
    actions:
      - { host: A, do: connect, to: B, ports: [80, 81] }
    questions:
      - { id: a-state, kind: state, text: 'Which state is A in after the RST?' }
    checks:
      - id: rst
        text: B answers the SYN with RST,ACK
        segment: { from: B, flags: [RST, ACK] }
      - id: a-state
        text: A is closed
        answer: a-state
        equals: CLOSED
solution:
  actions:
    - { at: 0, host: A, do: connect, to: B, port: 81 }
  answers:
    a-state: CLOSED
`;

let dir: string;
let s: LabService;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcplab-lab-files-'));
  s = new LabService({ host: 'web', dataDir: dir, settingsFile: join(dir, 'settings.json') });
});
afterEach(() => {
  s.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('labs.upload', () => {
  it('opens an uploaded lab, lists it after the built-in labs, and plays and checks it like one', async () => {
    const builtins = await s.call('labs.list', {});
    const { lab, state } = await s.call('labs.upload', { name: 'my-first-lab.yaml', text: MY_LAB });
    expect(lab).toMatchObject({ id: 'my-first-lab', title: 'My first lab', hosts: ['A', 'B'] });
    expect(state).toMatchObject({ labId: 'my-first-lab', now: 0, error: null });
    expect(state.grade).toMatchObject({ score: 0, max: 2 });

    const list = await s.call('labs.list', {});
    expect(list.map((l) => l.id)).toEqual([...builtins.map((l) => l.id), 'my-first-lab']);
    expect(list.at(-1)).toMatchObject({ title: 'My first lab', max: 2, steps: 1, score: null });

    await s.call('labs.act', { labId: 'my-first-lab', step: 0, action: 0, port: 81 });
    let st = await s.call('labs.run', { labId: 'my-first-lab' });
    expect(st.done).toBe(true);
    expect(st.rows.map((r) => r.flags)).toEqual([0x002, 0x014]);
    st = await s.call('labs.answer', { labId: 'my-first-lab', question: 'a-state', value: 'CLOSED' });
    expect(st.grade.score).toBe(2);
    expect(st.grade.checks.every((c) => c.passed)).toBe(true);
    expect((await s.call('labs.list', {})).at(-1)).toMatchObject({ score: 2, completed: true });
    const rep = await s.call('labs.export', { labId: 'my-first-lab', format: 'html' });
    expect(Buffer.from(rep.data, 'base64').toString('utf8')).toContain('My first lab');
  });

  it('takes the id from the file name when the file has none', async () => {
    const { lab } = await s.call('labs.upload', {
      name: 'C:\\labs\\knock.tcplab',
      text: MY_LAB.replace('id: my-first-lab\n', ''),
    });
    expect(lab.id).toBe('knock');
  });

  it('refuses broken YAML as bad-file with the file, line and column', async () => {
    const r = await s.handle('labs.upload', {
      name: 'broken.yaml',
      text: MY_LAB.replace('objectives: [Read', 'objectives: [Read: {'),
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-file' } });
    const message = (r as { error: { message: string } }).error.message;
    expect(message).toMatch(/^broken\.yaml is not a lab TCP Lab can open; fix these lines/);
    expect(message).toMatch(/\nbroken\.yaml:\d+:\d+: not valid YAML/);
    expect((await s.call('labs.list', {})).some((l) => l.id === 'my-first-lab')).toBe(false);
  });

  it('refuses a lab that is not valid with the line to fix', async () => {
    const r = await s.handle('labs.upload', {
      name: 'mine.yaml',
      text: MY_LAB.replace('    text: Make A', '    txt: Make A'),
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-file' } });
    expect((r as { error: { message: string } }).error.message).toMatch(
      /\nmine\.yaml:13:\d+: steps\[0\]\.txt: unknown step key "txt"; did you mean "text"\?/,
    );
  });

  it("refuses a built-in lab's id, saying to change the id: in the file", async () => {
    const r = await s.handle('labs.upload', {
      name: 'mine.yaml',
      text: MY_LAB.replace('id: my-first-lab', 'id: refused'),
    });
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'bad-file',
        message:
          'mine.yaml has the id "refused", which the built-in lab "Refused ports" already has: ' +
          'change the `id:` in the file to one of its own (for example `id: my-refused`) and open it again.',
      },
    });
    const list = await s.call('labs.list', {});
    expect(list.filter((l) => l.id === 'refused')).toHaveLength(1);
    expect((await s.call('labs.open', { labId: 'refused' })).lab.title).toBe('Refused ports');
  });

  it('replaces an uploaded lab with the same id and starts its session over; the same file again keeps it', async () => {
    await s.call('labs.upload', { name: 'a.yaml', text: MY_LAB });
    await s.call('labs.act', { labId: 'my-first-lab', step: 0, action: 0, port: 81 });
    let again = await s.call('labs.upload', { name: 'a.yaml', text: MY_LAB });
    expect(again.state.attempt.actions).toHaveLength(1);

    const edited = MY_LAB.replace('title: My first lab', 'title: My first lab, edited');
    again = await s.call('labs.upload', { name: 'b.yaml', text: edited });
    expect(again.lab.title).toBe('My first lab, edited');
    expect(again.state.attempt.actions).toEqual([]);
    const mine = (await s.call('labs.list', {})).filter((l) => l.id === 'my-first-lab');
    expect(mine).toEqual([expect.objectContaining({ title: 'My first lab, edited', score: null })]);
  });

  it('refuses a capture lab sent from the page, whose capture it cannot see', async () => {
    const text = MY_LAB.replace(/setup:\n(?: {4}.*\n| {2}simulation:\n)+/, 'setup:\n  capture: x.pcap\n');
    const r = await s.handle('labs.upload', { name: 'cap.yaml', text });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-file' } });
    expect((r as { error: { message: string } }).error.message).toMatch(/capture file "x\.pcap"/);
  });

  it('checks the arguments against the contract', async () => {
    expect(await s.handle('labs.upload', { name: 'a.yaml', text: MY_LAB, id: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect(await s.handle('labs.upload', { name: '', text: MY_LAB })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect(
      await s.handle('labs.upload', { name: 'a.yaml', text: 'x'.repeat(MAX_LAB_TEXT + 1) }),
    ).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('lab files opened by path', () => {
  it('loads a file by path and returns its id; a missing file is a sentence', async () => {
    const file = join(dir, 'knock.tcplab');
    writeFileSync(file, MY_LAB.replace('id: my-first-lab\n', ''));
    expect(s.labs.loadFile(file)).toBe('knock');
    expect((await s.call('labs.open', { labId: 'knock' })).lab.title).toBe('My first lab');
    expect(() => s.labs.loadFile(join(dir, 'gone.tcplab'))).toThrow(
      /^gone\.tcplab is not a lab TCP Lab can open; fix these lines and open it again:\ngone\.tcplab:1:1: no such file$/,
    );
  });

  it('opens a lab in the recent files: loaded here, opened by the page by its id', async () => {
    const events: LabEvent[] = [];
    s.subscribe((b) => events.push(...b));
    const file = join(dir, 'knock.tcplab');
    writeFileSync(file, MY_LAB);
    s.settings.store.addRecent(join(dir, 'other.pcap'));
    s.settings.store.addRecent(file);
    expect(await s.handle('app.menuAction', { action: 'open-recent', index: 0 })).toEqual({
      ok: true,
      result: { done: true },
    });
    s.events.flush();
    expect(events).toContainEqual({ type: 'app.action', action: 'open-builtin-lab', name: 'my-first-lab' });
    expect(events.some((e) => e.type === 'app.action' && e.action === 'open-lab')).toBe(false);
    expect((await s.call('labs.list', {})).at(-1)?.id).toBe('my-first-lab');

    // A file that went bad since: the loader's sentence comes back, and nothing is opened.
    writeFileSync(file, MY_LAB.replace('id: my-first-lab', 'id: refused'));
    events.length = 0;
    const r = await s.handle('app.menuAction', { action: 'open-recent', index: 0 });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-file' } });
    expect((r as { error: { message: string } }).error.message).toMatch(/change the `id:` in the file/);
    s.events.flush();
    expect(events.some((e) => e.type === 'app.action')).toBe(false);
  });

  it('names the built-in labs in the menu by their id, which labs.open takes', async () => {
    const menu = s.settings.labs();
    expect(menu[0]).toEqual({ name: 'handshake', title: 'The three-way handshake' });
    for (const l of menu) expect((await s.handle('labs.open', { labId: l.name })).ok).toBe(true);
  });
});
