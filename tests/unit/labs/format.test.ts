/**
 * The lab file format and the checker's pieces: validation errors carry
 * file:line:col and say what to write (unknown keys with a suggestion,
 * unknown hosts, unknown questions, a broken simulation reported by the
 * engine's parser at the lab file's line, invalid YAML); answers are
 * compared the way people type them; predictions score relative or absolute
 * numbers; the Markdown subset escapes everything else.
 */
import { describe, expect, it } from 'vitest';
import {
  markdownToHtml,
  parseFlags,
  parseNumber,
  scorePrediction,
  validateAttempt,
} from '../../../src-shared/labs';
import { LabFileError, parseLab } from '../../../src-main/labs';

const GOOD = `title: A tiny lab
objectives: [Connect]
setup:
  simulation:
    hosts:
      A: { address: 10.0.0.1 }
      B: { address: 10.0.0.2, listen: [80] }
    link: { latency: 10 }
steps:
  - title: Connect
    text: Make A connect.
    actions:
      - { host: A, do: connect, to: B, ports: [80] }
    questions:
      - { id: isn-b, kind: number, text: "B's ISN?" }
    checks:
      - id: syn
        text: A sends a SYN
        segment: { from: A, flags: [SYN] }
      - id: isn-b
        text: B's ISN
        answer: isn-b
        equals: { isn: B }
solution:
  actions:
    - { at: 0, host: A, do: connect, to: B, port: 80 }
  answers:
    isn-b: { isn: B }
wrong:
  - why: nothing
    actions: []
    answers: { isn-b: 1 }
    fails: [syn]
`;

function issuesOf(text: string): string[] {
  try {
    parseLab(text, 'my-lab.yaml');
  } catch (e) {
    if (e instanceof LabFileError) return e.message.split('\n');
    throw e;
  }
  return [];
}

describe('lab file validation', () => {
  it('accepts a good lab', () => {
    const l = parseLab(GOOD, 'tiny.yaml');
    expect(l.lab.id).toBe('tiny');
    expect(l.lab.hosts).toEqual(['A', 'B']);
    expect(l.scenario?.hosts.B.listen).toEqual([80]);
  });

  it('names the line of an unknown key and suggests the right one', () => {
    const bad = GOOD.replace('    text: Make A connect.', '    txt: Make A connect.');
    const issues = issuesOf(bad);
    expect(issues).toContainEqual(
      expect.stringMatching(
        /^my-lab\.yaml:11:\d+: steps\[0\]\.txt: unknown step key "txt"; did you mean "text"\?/,
      ),
    );
    expect(issues).toContainEqual(
      expect.stringMatching(/^my-lab\.yaml:\d+:\d+: steps\[0\]\.text: expected instructions/),
    );
  });

  it('refuses an unknown host with the hosts it knows', () => {
    const issues = issuesOf(
      GOOD.replace('segment: { from: A, flags: [SYN] }', 'segment: { from: C, flags: [SYN] }'),
    );
    expect(issues).toEqual([
      expect.stringMatching(
        /^my-lab\.yaml:19:\d+: steps\[0\]\.checks\[0\]\.segment\.from: no host "C"; the hosts are A, B$/,
      ),
    ]);
  });

  it('refuses an answer check about a question that does not exist', () => {
    const issues = issuesOf(GOOD.replace('answer: isn-b', 'answer: isn-c'));
    expect(issues.join('\n')).toMatch(
      /my-lab\.yaml:22:\d+: steps\[0\]\.checks\[1\]\.answer: no question "isn-c"; questions are isn-b/,
    );
  });

  it("reports the engine's scenario errors at the lab file's line", () => {
    const issues = issuesOf(GOOD.replace('link: { latency: 10 }', 'link: { latency: 10, los: 0.5 }'));
    expect(issues.join('\n')).toMatch(
      /my-lab\.yaml:8:\d+: setup\.simulation\.link\.los: unknown link key "los"; did you mean "loss"\?/,
    );
  });

  it('refuses a solution action that no step offers', () => {
    const issues = issuesOf(
      GOOD.replace(
        '{ at: 0, host: A, do: connect, to: B, port: 80 }',
        '{ at: 0, host: A, do: connect, to: B, port: 81 }',
      ),
    );
    expect(issues.join('\n')).toMatch(
      /my-lab\.yaml:26:\d+: solution\.actions\[0\]: A: connect to B:81 at 0 ms is not an action any step offers/,
    );
  });

  it('names the line of a YAML syntax error', () => {
    const issues = issuesOf('title: x\nsteps: [\n  - a\n');
    expect(issues[0]).toMatch(/^my-lab\.yaml:\d+:\d+: not valid YAML/);
  });

  it('needs the solution to answer every question and a check to test one thing', () => {
    const issues = issuesOf(
      GOOD.replace('    isn-b: { isn: B }\nwrong', '    {}\nwrong').replace(
        '        segment: { from: A, flags: [SYN] }',
        '        segment: { from: A, flags: [SYN] }\n        state: { host: B, to: LISTEN }',
      ),
    );
    expect(issues.join('\n')).toMatch(/a check tests one thing; found segment and state/);
  });

  it('validates attempts read from reports (untrusted)', () => {
    expect(validateAttempt({ actions: [{ at: 0, host: 'A', do: 'rm -rf' }] }, ['A', 'B']).attempt).toBeNull();
    expect(
      validateAttempt({ actions: [], answers: { x: '1' }, predictions: [], hints: ['0:0'] }, ['A']).attempt,
    ).toEqual({
      actions: [],
      answers: { x: '1' },
      predictions: [],
      hints: ['0:0'],
    });
  });
});

describe('answers and predictions', () => {
  it('parses flags and numbers as people type them', () => {
    expect(parseFlags('syn+ack')).toEqual(['SYN', 'ACK']);
    expect(parseFlags('ACK, FIN')).toEqual(['FIN', 'ACK']);
    expect(parseFlags('SA')).toBeNull();
    expect(parseNumber('1 460')).toBe(1460);
    expect(parseNumber('0x10')).toBe(16);
    expect(parseNumber('abc')).toBeNull();
  });

  it('scores a prediction field by field, relative or absolute', () => {
    const truth = {
      index: 1,
      from: 'B',
      to: 'A',
      flags: ['SYN', 'ACK'] as const,
      seq: 4000000000,
      ack: 4294967295,
      relSeq: 0,
      relAck: 1,
      state: 'SYN-RECEIVED' as const,
      explain: { rule: 'listen-syn', rfc: '', text: '' },
    };
    const t = { ...truth, flags: [...truth.flags] };
    expect(scorePrediction({ flags: 'ack syn', seq: '0', ack: '1', state: 'syn_received' }, t)).toEqual({
      flags: true,
      seq: true,
      ack: true,
      state: true,
    });
    expect(
      scorePrediction({ flags: 'SYN', seq: '4000000000', ack: '4294967295', state: 'LISTEN' }, t),
    ).toEqual({ flags: false, seq: true, ack: true, state: false });
    expect(
      scorePrediction(
        { flags: 'SYN', seq: '0', ack: '', state: 'SYN-SENT' },
        { ...t, flags: ['SYN'], state: 'SYN-SENT' },
      ),
    ).toEqual({ flags: true, seq: true, ack: true, state: true });
  });

  it('renders the Markdown subset and escapes the rest', () => {
    expect(markdownToHtml('Make **A** connect to `B:80`.\n\n- one\n- two')).toBe(
      '<p>Make <strong>A</strong> connect to <code>B:80</code>.</p><ul><li>one</li><li>two</li></ul>',
    );
    expect(markdownToHtml('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });
});
