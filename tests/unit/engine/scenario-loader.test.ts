/**
 * The scenario loader's validation (errors name the file, the line and the
 * fix), and stepping through a scenario forward and back, which must land on
 * exactly the trace a straight run produced, injections included.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, ScenarioRun } from '../../../src-main/engine/scenario';
import { loadScenario, runScenario } from '../../../src-main/engine/scenarios';

function issues(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.message.split('\n');
    throw e;
  }
  return [];
}

describe('scenario validation', () => {
  it('names file, line, path and the fix', () => {
    const msgs = issues(
      [
        'title: Broken',
        'hosts:',
        '  A: { address: 10.0.0.1 }',
        '  B: { listen: [80] }',
        'link: { latency: -5, los: 0.1 }',
        'timeline:',
        '  - { at: 0, host: A, do: conect, to: B, port: 80 }',
        '  - { at: 10, host: C, do: close }',
        '  - { host: A, do: connect, to: B }',
      ].join('\n'),
    );
    expect(msgs).toContain('bad.yaml:5:18: link.latency: must be at least 0, got -5');
    expect(msgs).toContain('bad.yaml:5:27: link.los: unknown link key "los"; did you mean "loss"?');
    expect(
      msgs.some(
        (m) => m.startsWith('bad.yaml:7:') && m.includes('unknown action "conect"; use one of connect'),
      ),
    ).toBe(true);
    expect(msgs.some((m) => m.startsWith('bad.yaml:8:') && m.includes('no host "C"; hosts are A, B'))).toBe(
      true,
    );
    expect(msgs.some((m) => m.startsWith('bad.yaml:9:') && m.includes('say when'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('bad.yaml:9:') && m.includes('"connect" needs "port"'))).toBe(true);
  });

  it('reports YAML syntax errors with their line', () => {
    const msgs = issues('hosts:\n  A: {\n');
    expect(msgs[0]).toMatch(/^bad\.yaml:\d+:\d+: not valid YAML/);
  });

  it('an unknown scenario lists the known ones', () => {
    expect(() => loadScenario('nope')).toThrow(/no scenario "nope"; known: abort, blind-rst/);
  });
});

describe('ScenarioRun', () => {
  it('stepping to the end gives the same trace as a run', () => {
    const run = new ScenarioRun(loadScenario('teardown'));
    while (run.step());
    expect(JSON.stringify(run.events)).toBe(JSON.stringify(runScenario('teardown').events));
  });

  it('steps back by replaying from the seed, injections included', () => {
    const run = new ScenarioRun(loadScenario('handshake'));
    run.runUntil(50);
    run.inject({ from: 'A', to: 'B', flags: ['RST'], seqMode: 'in-window' });
    while (run.step());
    const full = JSON.stringify(run.events);
    expect(run.events.some((e) => e.type === 'segment' && e.explain.rule === 'challenge-ack-rst')).toBe(true);
    const atInjection = run.events.findIndex((e) => e.type === 'segment' && e.injected);
    const stepOfInjection = new ScenarioRun(loadScenario('handshake'));
    stepOfInjection.runUntil(50);
    const k = stepOfInjection.steps;
    run.seek(k);
    expect(run.steps).toBe(k);
    expect(run.events.length).toBe(atInjection + 1); // the injected RST is there, B's reaction not yet
    while (run.step());
    expect(JSON.stringify(run.events)).toBe(full);
    run.back(1);
    expect(run.events.length).toBeLessThanOrEqual(JSON.parse(full).length);
    run.seek(0);
    expect(run.events.filter((e) => e.type === 'segment')).toEqual([]);
  });
});
