/**
 * `tcplab simulate` run in-process through the CLI's `main(argv, io)`: the
 * scenario list, the `--json` contract for every scenario (segment events with
 * time, hosts, flags, absolute seq/ack, len, win, options and dropped; state
 * events with host, from and to), the same trace for the same `--seed` and a
 * different one for another, the readable trace, and the usage errors (an
 * unknown scenario exits 64 and lists the names).
 */
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../../src-main/app/cli-main';
import { TCP_STATES } from '../../../src-shared/tcp';
import { run } from './run-cli';

interface Json {
  scenario: string;
  seed: number;
  events: Array<Record<string, unknown>>;
}

const FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR', 'AE'];
const u32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

async function scenarioNames(): Promise<string[]> {
  const r = await run('simulate', '--list');
  return r.out
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0]);
}

describe('tcplab simulate', () => {
  it('--list names every scenario with its title', async () => {
    const r = await run('simulate', '--list');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toMatch(/^SCENARIO\s+TITLE$/);
    const names = await scenarioNames();
    for (const n of [
      'handshake',
      'teardown',
      'teardown-piggybacked',
      'simultaneous-open',
      'simultaneous-close',
      'half-close',
      'refused',
      'filtered',
      'abort',
      'syn-lost',
      'synack-lost',
      'final-ack-lost',
      'syn-scan',
      'blind-rst',
      'syn-established',
      'time-wait-reuse',
      'data-loss',
      'mss-mismatch',
    ])
      expect(names).toContain(n);
    expect(r.out).toMatch(/handshake\s+Three-way handshake/);
    const json = await run('simulate', '--list', '--json');
    const list = JSON.parse(json.out) as Array<{ name: string; title: string; description: string }>;
    expect(list.map((s) => s.name)).toEqual(names);
    expect(list.every((s) => s.title && s.description)).toBe(true);
  });

  it('prints the --json contract for every scenario', async () => {
    for (const name of await scenarioNames()) {
      const r = await run('simulate', name, '--json');
      expect(r.code, name).toBe(0);
      expect(r.err, name).toBe('');
      expect(r.out.endsWith('\n')).toBe(true);
      const doc = JSON.parse(r.out) as Json;
      expect(Object.keys(doc)).toEqual(['scenario', 'seed', 'events']);
      expect(doc.scenario).toBe(name);
      expect(Number.isInteger(doc.seed)).toBe(true);
      const segs = doc.events.filter((e) => e.type === 'segment');
      const states = doc.events.filter((e) => e.type === 'state');
      expect(segs.length, name).toBeGreaterThan(0);
      expect(states.length, name).toBeGreaterThan(0);
      let last = 0;
      for (const e of doc.events) {
        expect(typeof e.t).toBe('number');
        expect(e.t as number).toBeGreaterThanOrEqual(last);
        last = e.t as number;
      }
      for (const e of segs) {
        expect(e.from).toMatch(/^[A-Za-z]\w*$/);
        expect(e.to).toMatch(/^[A-Za-z]\w*$/);
        expect(Array.isArray(e.flags)).toBe(true);
        for (const f of e.flags as string[]) expect(FLAGS).toContain(f);
        expect(u32(e.seq) && u32(e.ack)).toBe(true);
        expect(Number.isInteger(e.len) && (e.len as number) >= 0).toBe(true);
        expect(Number.isInteger(e.win) && (e.win as number) >= 0 && (e.win as number) <= 65535).toBe(true);
        expect(typeof e.options).toBe('object');
        expect(typeof e.dropped).toBe('boolean');
        expect((e.explain as { text: string }).text.length).toBeGreaterThan(5);
      }
      for (const e of states) {
        expect(e.host).toMatch(/^[A-Za-z]\w*$/);
        expect(TCP_STATES).toContain(e.from);
        expect(TCP_STATES).toContain(e.to);
      }
      // The client is host A and the server host B.
      expect(new Set(segs.flatMap((e) => [e.from, e.to]))).toEqual(new Set(['A', 'B']));
    }
  });

  it('gives the same trace for the same seed and another for another seed', async () => {
    const a = await run('simulate', 'handshake', '--json', '--seed', '7');
    const b = await run('simulate', 'handshake', '--seed=7', '--json');
    const c = await run('simulate', 'handshake', '--json', '--seed', '8');
    expect(a.out).toBe(b.out);
    const [ja, jc] = [JSON.parse(a.out) as Json, JSON.parse(c.out) as Json];
    expect(ja.seed).toBe(7);
    expect(jc.seed).toBe(8);
    const firstSeq = (j: Json) => j.events.find((e) => e.type === 'segment')!.seq;
    expect(firstSeq(ja)).not.toBe(firstSeq(jc));
    const plain = await run('simulate', 'handshake');
    expect((JSON.parse((await run('simulate', 'handshake', '--json')).out) as Json).seed).toBe(1);
    expect(plain.out).toBe((await run('simulate', 'handshake')).out);
  });

  it('prints a readable trace: arrows, relative numbers, state changes and why', async () => {
    const r = await run('simulate', 'blind-rst');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Blind in-window RST against an exact RST \(blind-rst\), seed 1\n/);
    expect(r.out).toMatch(/0\.000 ms {2}A → B {2}SYN\s+seq=0 len=0 win=64240 {2}MSS=1460/);
    expect(r.out).toMatch(/10\.000 ms {2}B → A {2}SYN,ACK\s+seq=0 ack=1 /);
    expect(r.out).toMatch(/B: LISTEN → SYN-RECEIVED/);
    expect(r.out).toMatch(/RST\s+seq=\d+ len=0 win=0 {2}\[injected\]/);
    expect(r.out).toMatch(/why: .*challenge ACK.*\[RFC 5961 §3\.2\]/);
    expect(r.out).toMatch(/B: ESTABLISHED → CLOSED/);
    expect(r.out).toMatch(/A: the application sees ECONNRESET/);
    const lost = await run('simulate', 'syn-lost');
    expect(lost.out).toMatch(/✗ lost/);
  });

  it('rejects an unknown scenario with the list of names, and bad usage', async () => {
    const r = await run('simulate', 'no-such-scenario');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /no scenario "no-such-scenario"; the scenarios are: .*handshake.*blind-rst|blind-rst.*handshake/,
    );
    expect(r.err.trim().split('\n')).toHaveLength(1);
    for (const argv of [
      ['simulate'],
      ['simulate', 'handshake', '--list'],
      ['simulate', 'handshake', '--seed', '-1'],
      ['simulate', 'handshake', '--seed', 'x'],
      ['simulate', 'handshake', 'teardown'],
      ['simulate', 'handshake', '--bogus'],
    ]) {
      const u = await run(...argv);
      expect(u.code, argv.join(' ')).toBe(EXIT_USAGE);
      expect(u.err, argv.join(' ')).toMatch(/^tcplab simulate: .*\n\nUsage: tcplab simulate/);
    }
    const help = await run('simulate', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: tcplab simulate \[SCENARIO\] \[--list\] \[--seed N\] \[--json\]/);
    const top = await run('--help');
    expect(top.out).toMatch(/simulate .*Play a TCP scenario/);
  });
});
