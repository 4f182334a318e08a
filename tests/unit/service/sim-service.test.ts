/**
 * The `sim.*` commands through LabService (so the contract's schemas run
 * first) and SimService: the scenario list, loading, stepping, running to a
 * time, stepping back, reset, custom scenarios, closing; injection — an exact
 * RST resets, an in-window RST and a SYN draw a challenge ACK, an
 * out-of-window RST is dropped, a typed number is used as is; ladder rows
 * (states from the TCBs, numbers relative to each ISS, the changes each
 * segment caused); incremental replies (`since`); and bad arguments answered
 * with sentences.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LabService } from '../../../src-main/service';
import { eventsToRows, SimService } from '../../../src-main/service/sim-service';
import { runScenario } from '../../../src-main/engine';
import type { CommandArgs, LabEvent, SimState } from '../../../src-shared/contract';
import type { SegmentRow } from '../../../src-shared/session';
import { TCP_FLAG, TCP_STATES } from '../../../src-shared/tcp';

let service: LabService;
afterEach(() => service?.dispose());

function lab(): LabService {
  service = new LabService({ host: 'cli' });
  return service;
}

const state = (st: SimState, host: string) => st.hosts.find((h) => h.name === host)!;
const flags = (r: SegmentRow) =>
  Object.entries(TCP_FLAG)
    .filter(([, b]) => r.flags & b)
    .map(([n]) => n)
    .sort()
    .join(',');

/** Steps one event at a time until `done` says stop (at most 1,000 events). */
async function stepUntil(s: LabService, st: SimState, done: (st: SimState) => boolean): Promise<SimState> {
  for (let i = 0; i < 1000 && !done(st); i++) {
    if (st.done) throw new Error('the simulation ended first');
    st = await s.call('sim.step', { simId: st.simId });
  }
  return st;
}

async function stepBackUntil(
  s: LabService,
  st: SimState,
  done: (st: SimState) => boolean,
): Promise<SimState> {
  for (let i = 0; i < 1000 && !done(st); i++) st = await s.call('sim.back', { simId: st.simId });
  return st;
}

/** The handshake scenario, established at 100 ms. */
async function established(s: LabService): Promise<SimState> {
  const st = await s.call('sim.load', { scenario: 'handshake' });
  return s.call('sim.runTo', { simId: st.simId, t: 100 });
}

describe('sim.* commands', () => {
  it('lists every scenario with its title and description', async () => {
    const list = await lab().call('sim.list', {});
    expect(list.length).toBeGreaterThanOrEqual(18);
    const names = list.map((s) => s.name);
    for (const n of ['handshake', 'teardown', 'refused', 'blind-rst', 'syn-scan', 'simultaneous-open'])
      expect(names).toContain(n);
    for (const s of list) {
      expect(s.title.length).toBeGreaterThan(3);
      expect(s.description.length).toBeGreaterThan(10);
    }
  });

  it('loads a scenario: an id, both hosts and their state before anything ran', async () => {
    const st = await lab().call('sim.load', { scenario: 'handshake' });
    expect(st.simId).toBeGreaterThan(0);
    expect(st.scenario).toMatchObject({ name: 'handshake', title: 'Three-way handshake' });
    expect(st.seed).toBe(1);
    expect(st).toMatchObject({ now: 0, steps: 0, done: false, rowCount: 0, rows: [], nextTime: 0 });
    expect(st.laneHosts).toEqual({ a: 'A', b: 'B' });
    expect(state(st, 'A')).toMatchObject({ ip: '10.0.0.1', state: 'CLOSED', tcb: null });
    expect(state(st, 'B')).toMatchObject({ ip: '10.0.0.2', state: 'LISTEN', port: 80, listening: [80] });
    expect(st.endpoints.b).toEqual({ ip: '10.0.0.2', port: 80 });
  });

  it('steps the handshake to three arrows and both hosts ESTABLISHED, with exact TCBs', async () => {
    const s = lab();
    let st = await s.call('sim.load', { scenario: 'handshake' });
    st = await stepUntil(s, st, (x) => x.rowCount === 3);
    expect(st.rows.map(flags)).toEqual(['SYN', 'ACK,SYN', 'ACK']);
    expect(st.rows.map((r) => r.dir)).toEqual(['ab', 'ba', 'ab']);
    expect(state(st, 'A').state).toBe('ESTABLISHED');
    expect(state(st, 'B').state).toBe('SYN-RECEIVED'); // the ACK is still on the wire
    st = await s.call('sim.step', { simId: st.simId });
    expect(state(st, 'B').state).toBe('ESTABLISHED');
    const [syn, synAck, ack] = st.rows;
    // Relative numbers from each side's ISS; the ACK's changes are B's.
    expect([syn.relSeq, synAck.relSeq, synAck.relAck, ack.relSeq, ack.relAck]).toEqual([0, 0, 1, 1, 1]);
    expect(syn.changes).toEqual([
      { side: 'a', from: 'CLOSED', to: 'SYN-SENT' },
      { side: 'b', from: 'LISTEN', to: 'SYN-RECEIVED' },
    ]);
    expect(synAck.changes).toEqual([{ side: 'a', from: 'SYN-SENT', to: 'ESTABLISHED' }]);
    expect(ack.changes).toEqual([{ side: 'b', from: 'SYN-RECEIVED', to: 'ESTABLISHED' }]);
    expect([ack.stateA, ack.stateB]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(synAck.explain?.rule).toBe('listen-syn');
    expect(synAck.explain?.rfc).toMatch(/RFC 9293/);
    expect(syn.time).toBe(0);
    expect(syn.arrive).toBeCloseTo(0.01);
    const a = state(st, 'A').tcb!;
    const b = state(st, 'B').tcb!;
    expect(a['SND.NXT']).toBe((a.ISS + 1) >>> 0);
    expect(a['RCV.NXT']).toBe((b.ISS + 1) >>> 0);
    expect(a.IRS).toBe(b.ISS);
    expect(b.IRS).toBe(a.ISS);
    expect(syn.seq).toBe(a.ISS);
    expect(a['RCV.WND']).toBeGreaterThan(0);
  });

  it('steps back one event at a time, removing the arrow that event drew', async () => {
    const s = lab();
    let st = await s.call('sim.load', { scenario: 'handshake' });
    st = await stepUntil(s, st, (x) => x.rowCount === 3);
    const steps = st.steps;
    st = await s.call('sim.back', { simId: st.simId });
    expect(st.steps).toBe(steps - 1);
    expect(st.rowCount).toBe(2);
    expect(state(st, 'A').state).toBe('SYN-SENT');
    st = await s.call('sim.back', { simId: st.simId, count: 100 });
    expect(st).toMatchObject({ steps: 0, rowCount: 0, now: 0 });
  });

  it('runs to a virtual time, refuses to run backwards, and resets', async () => {
    const s = lab();
    let st = await s.call('sim.load', { scenario: 'teardown' });
    st = await s.call('sim.runTo', { simId: st.simId, t: 25.5 });
    expect(st.now).toBe(25.5);
    expect(st.rowCount).toBe(3);
    const r = await s.handle('sim.runTo', { simId: st.simId, t: 10 });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(!r.ok && r.error.message).toMatch(/already at 25\.5 ms.*step back or reset/);
    st = await s.call('sim.runTo', { simId: st.simId, t: 86_400_000 });
    expect(st.done).toBe(true);
    expect(st.nextTime).toBeNull();
    expect(state(st, 'A').state).toBe('CLOSED'); // TIME-WAIT ended (2 × MSL of 1 s)
    st = await s.call('sim.reset', { simId: st.simId });
    expect(st).toMatchObject({ now: 0, steps: 0, rowCount: 0, done: false });
  });

  it('injects an in-window RST (challenge ACK), then an exact RST (reset)', async () => {
    const s = lab();
    let st = await established(s);
    const bTcb = state(st, 'B').tcb!;
    st = await s.call('sim.inject', { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'in-window' });
    const rst = st.rows[st.rows.length - 1];
    expect(rst).toMatchObject({ injected: true, dir: 'ab', flags: TCP_FLAG.RST });
    expect(rst.seq).not.toBe(bTcb['RCV.NXT']);
    expect((rst.seq - bTcb['RCV.NXT']) >>> 0 < bTcb['RCV.WND']).toBe(true);
    expect(rst.explain?.text).toMatch(/Injected by the learner/);
    st = await stepUntil(s, st, (x) => x.rowCount === 4);
    st = await s.call('sim.step', { simId: st.simId });
    const challenge = st.rows[4];
    expect(challenge).toMatchObject({ dir: 'ba', flags: TCP_FLAG.ACK });
    expect(challenge.explain?.rule).toBe('challenge-ack-rst');
    expect(challenge.explain?.rfc).toMatch(/RFC 5961/);
    expect(challenge.analysis).toContain('challenge-ack');
    expect(state(st, 'B').state).toBe('ESTABLISHED');

    st = await s.call('sim.runTo', { simId: st.simId, t: 200 });
    st = await s.call('sim.inject', { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'exact' });
    expect(st.rows[st.rows.length - 1].seq).toBe(state(st, 'B').tcb!['RCV.NXT']);
    st = await s.call('sim.runTo', { simId: st.simId, t: 300 });
    expect(state(st, 'B').state).toBe('CLOSED');
    expect(state(st, 'A').state).toBe('ESTABLISHED'); // A never knew
    const exact = st.rows.find((r) => r.injected && r.changes?.length);
    expect(exact?.changes).toEqual([{ side: 'b', from: 'ESTABLISHED', to: 'CLOSED' }]);
    expect(st.log.some((l) => l.host === 'B' && /ECONNRESET/.test(l.text))).toBe(true);

    // Stepping back and forward again replays the injections; stepping back past one undoes it.
    const rows = st.rows.map((r) => r.frame);
    st = await s.call('sim.back', { simId: st.simId });
    expect(state(st, 'B').state).toBe('ESTABLISHED');
    st = await s.call('sim.runTo', { simId: st.simId, t: 300 });
    expect(st.rows.map((r) => r.frame)).toEqual(rows);
    expect(state(st, 'B').state).toBe('CLOSED');
    st = await stepBackUntil(s, st, (x) => x.rows.filter((r) => r.injected).length === 1);
    st = await s.call('sim.runTo', { simId: st.simId, t: 300 });
    expect(st.rows.filter((r) => r.injected)).toHaveLength(1);
    expect(state(st, 'B').state).toBe('ESTABLISHED');
  });

  it('a SYN into an established connection draws a challenge ACK; an out-of-window RST is dropped', async () => {
    const s = lab();
    let st = await established(s);
    st = await s.call('sim.inject', { simId: st.simId, from: 'A', flag: 'SYN', seqMode: 'exact' });
    st = await s.call('sim.runTo', { simId: st.simId, t: 150 });
    expect(st.rows[st.rows.length - 1].explain?.rule).toBe('challenge-ack-syn');
    expect(state(st, 'B').state).toBe('ESTABLISHED');
    const before = st.rowCount;
    st = await s.call('sim.inject', { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'out-of-window' });
    st = await s.call('sim.runTo', { simId: st.simId, t: 200 });
    expect(st.rowCount).toBe(before + 1); // no answer
    expect(st.log.some((l) => l.kind === 'note' && /outside its receive window/.test(l.text))).toBe(true);
    expect(state(st, 'B').state).toBe('ESTABLISHED');
  });

  it('sends a typed sequence number as is, and FIN with ACK', async () => {
    const s = lab();
    let st = await established(s);
    st = await s.call('sim.inject', {
      simId: st.simId,
      from: 'B',
      flag: 'RST',
      seqMode: 'value',
      seq: 4_294_967_295,
    });
    expect(st.rows[st.rows.length - 1]).toMatchObject({ dir: 'ba', seq: 4_294_967_295, injected: true });
    st = await s.call('sim.inject', { simId: st.simId, from: 'B', flag: 'FIN', seqMode: 'exact' });
    expect(st.rows[st.rows.length - 1].flags).toBe(TCP_FLAG.FIN | TCP_FLAG.ACK);
    st = await s.call('sim.runTo', { simId: st.simId, t: 200 });
    expect(state(st, 'A').state).toBe('CLOSE-WAIT'); // A took the forged FIN for B's
  });

  it('rejects bad arguments with sentences', async () => {
    const s = lab();
    const st = await s.call('sim.load', { scenario: 'handshake' });
    const bad: Array<[string, unknown, string, RegExp]> = [
      ['sim.load', { scenario: 'Hand shake' }, 'bad-request', /scenario/],
      ['sim.load', { scenario: 'handshake', seed: -1 }, 'bad-request', /seed/],
      ['sim.load', { scenario: 'handshake', extra: 1 }, 'bad-request', /unknown key "extra"/],
      ['sim.load', { scenario: 'no-such-thing' }, 'not-found', /no scenario "no-such-thing".*handshake/],
      ['sim.step', { simId: st.simId, count: 0 }, 'bad-request', /count/],
      ['sim.step', { simId: 999 }, 'not-found', /Simulation 999 is not open/],
      ['sim.runTo', { simId: st.simId, t: -5 }, 'bad-request', /args\.t/],
      ['sim.inject', { simId: st.simId, from: 'A', flag: 'PSH', seqMode: 'exact' }, 'bad-request', /flag/],
      ['sim.inject', { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'near' }, 'bad-request', /seqMode/],
      [
        'sim.inject',
        { simId: st.simId, from: 'C', flag: 'RST', seqMode: 'exact' },
        'bad-request',
        /no host "C"/,
      ],
      [
        'sim.inject',
        { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'value' },
        'bad-request',
        /Type the sequence number/,
      ],
      [
        'sim.inject',
        { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'exact', seq: 5 },
        'bad-request',
        /seqMode "value"/,
      ],
      [
        'sim.inject',
        { simId: st.simId, from: 'A', flag: 'RST', seqMode: 'value', seq: 2 ** 32 },
        'bad-request',
        /seq/,
      ],
      ['sim.custom', { loss: 2 }, 'bad-request', /loss/],
      ['sim.custom', { addressA: '10.0.0.300' }, 'bad-request', /addressA/],
      ['sim.custom', { addressA: '10.0.0.9', addressB: '10.0.0.9' }, 'bad-request', /different addresses/],
      ['sim.custom', { client: 'close', bytes: 5 }, 'bad-request', /transfer/],
      ['sim.custom', { server: 'open' }, 'bad-request', /server/],
    ];
    for (const [name, args, code, msg] of bad) {
      const r = await s.handle(name, args);
      expect(r.ok, `${name} ${JSON.stringify(args)}`).toBe(false);
      if (r.ok) continue;
      expect(r.error.code, `${name} ${JSON.stringify(args)}`).toBe(code);
      expect(r.error.message).toMatch(msg);
      expect(r.error.message).toMatch(/[.]$/);
    }
  });

  it('injects with no connection at all: a SYN from port 40000 of A to the listening port', async () => {
    const s = lab();
    let st = await s.call('sim.custom', { client: 'none' });
    expect(st.scenario.description).toMatch(/nothing happens until you inject/);
    st = await s.call('sim.inject', { simId: st.simId, from: 'A', flag: 'SYN', seqMode: 'value', seq: 1000 });
    st = await s.call('sim.runTo', { simId: st.simId, t: 1000 });
    // B answers SYN-ACK; A has no socket, so its TCP answers RST and B returns to LISTEN.
    expect(st.rows.map(flags)).toEqual(['SYN', 'ACK,SYN', 'RST']);
    expect(st.rows[0]).toMatchObject({ seq: 1000, injected: true });
    expect(st.endpoints).toEqual({ a: { ip: '10.0.0.1', port: 40000 }, b: { ip: '10.0.0.2', port: 80 } });
    expect(state(st, 'B').state).toBe('LISTEN');
  });

  it('builds custom scenarios: open, closed and filtered ports, loss, data', async () => {
    const s = lab();
    const run = async (args: CommandArgs<'sim.custom'>) => {
      const st = await s.call('sim.custom', args);
      return s.call('sim.runTo', { simId: st.simId, t: 86_400_000 });
    };
    const open = await run({ latency: 5, client: 'close' });
    expect(open.scenario.name).toBe('custom');
    expect(open.rows[0].time).toBe(0);
    expect(open.rows[0].arrive).toBeCloseTo(0.005);
    expect(open.rows.filter((r) => r.flags & TCP_FLAG.FIN)).toHaveLength(2);
    expect(state(open, 'A').state).toBe('CLOSED');

    const closed = await run({ server: 'closed', port: 81 });
    expect(closed.rows.map(flags)).toEqual(['SYN', 'ACK,RST']);
    expect(closed.log.some((l) => l.host === 'A' && /ECONNREFUSED/.test(l.text))).toBe(true);

    const filtered = await run({ server: 'filtered', port: 22, client: 'connect' });
    expect(filtered.rows.length).toBeGreaterThan(2);
    expect(filtered.rows.every((r) => r.dropped && r.flags === TCP_FLAG.SYN)).toBe(true);
    expect(filtered.rows[1].analysis).toContain('retransmission');

    const transfer = await run({ client: 'transfer', bytes: 20_000, loss: 0.1, seed: 7 });
    const sent = transfer.rows.filter(
      (r) => r.dir === 'ab' && r.len > 0 && !r.analysis.includes('retransmission'),
    );
    expect(sent.reduce((n, r) => n + r.len, 0)).toBe(20_000);
    expect(transfer.rows.some((r) => r.dropped)).toBe(true);

    const scan = await run({ client: 'scan', port: 443 });
    expect(scan.rows.map(flags)).toEqual(['SYN', 'ACK,SYN', 'RST']);
    expect(state(scan, 'A')).toMatchObject({ state: 'CLOSED', tcb: null });
  });

  it('replies with only the rows that changed when told what the caller has (since)', async () => {
    const s = lab();
    let st = await s.call('sim.load', { scenario: 'blind-rst' });
    let rows: SegmentRow[] = [];
    let sent = 0;
    while (!st.done) {
      const since = Math.min(rows.length, st.rowsSettled);
      st = await s.call('sim.step', { simId: st.simId, since });
      expect(st.rowsOffset).toBeLessThanOrEqual(since);
      sent += st.rows.length;
      rows = rows.slice(0, st.rowsOffset).concat(st.rows);
      expect(rows).toHaveLength(st.rowCount);
    }
    const full = await s.call('sim.state', { simId: st.simId });
    expect(full.rowsOffset).toBe(0);
    expect(rows).toEqual(full.rows);
    expect(sent).toBeLessThan(full.rowCount * 3); // not every row every time
    const none = await s.call('sim.state', { simId: st.simId, since: full.rowCount });
    expect(none.rows).toEqual([]);
    expect(none.rowsOffset).toBe(full.rowCount);
  });

  it('is deterministic per seed', async () => {
    const s = lab();
    const a = await s.call('sim.load', { scenario: 'handshake', seed: 42 });
    const b = await s.call('sim.load', { scenario: 'handshake', seed: 42 });
    const c = await s.call('sim.load', { scenario: 'handshake', seed: 43 });
    const end = async (x: SimState) => (await s.call('sim.runTo', { simId: x.simId, t: 1000 })).rows;
    const [ra, rb, rc] = [await end(a), await end(b), await end(c)];
    expect(ra).toEqual(rb);
    expect(ra[0].seq).not.toBe(rc[0].seq);
  });

  it('emits sim.updated and sim.closed, and closes the least recently used beyond its limit', async () => {
    const events: LabEvent[] = [];
    const sims = new SimService({ emit: (e) => events.push(e), maxOpen: 2 });
    const h = sims.handlers();
    const one = h['sim.load']({ scenario: 'handshake' });
    const two = h['sim.load']({ scenario: 'refused' });
    h['sim.step']({ simId: one.simId });
    expect(events.at(-1)).toMatchObject({ type: 'sim.updated', simId: one.simId, steps: 1 });
    h['sim.load']({ scenario: 'abort' }); // two is the least recently used
    expect(events.at(-2)).toEqual({ type: 'sim.closed', simId: two.simId });
    expect(() => h['sim.state']({ simId: two.simId })).toThrow(/not open/);
    expect(h['sim.close']({ simId: one.simId })).toEqual({ closed: true });
    expect(h['sim.close']({ simId: one.simId })).toEqual({ closed: false });
  });

  it('plays every scenario to its end with valid rows', async () => {
    const s = lab();
    for (const { name } of await s.call('sim.list', {})) {
      let st = await s.call('sim.load', { scenario: name });
      st = await s.call('sim.runTo', { simId: st.simId, t: 86_400_000 });
      expect(st.done, name).toBe(true);
      const segs = runScenario(name).events.filter((e) => e.type === 'segment');
      expect(st.rowCount, name).toBe(segs.length);
      st.rows.forEach((r, i) => {
        expect(r.index).toBe(i);
        expect(TCP_STATES).toContain(r.stateA);
        expect(TCP_STATES).toContain(r.stateB);
        expect(r.explain?.text.length, `${name} #${i}`).toBeGreaterThan(5);
        for (const c of r.changes ?? []) expect(TCP_STATES).toContain(c.to);
      });
    }
  });
});

describe('eventsToRows', () => {
  it('pins an abort to the RST it sends and the reset to its arrival', () => {
    const { events } = runScenario('abort');
    const { rows, unsettled } = eventsToRows(events, { a: 'A', b: 'B' }, 86_400_000);
    const rst = rows[rows.length - 1];
    expect(rst.flags & TCP_FLAG.RST).toBeTruthy();
    expect(rst.changes).toEqual([
      { side: 'a', from: 'ESTABLISHED', to: 'CLOSED' },
      { side: 'b', from: 'ESTABLISHED', to: 'CLOSED' },
    ]);
    expect(unsettled).toBe(rows.length);
  });

  it('marks rows in flight as unsettled', () => {
    const { events } = runScenario('handshake');
    const upTo20 = events.filter((e) => e.t <= 20);
    const { rows, unsettled } = eventsToRows(upTo20, { a: 'A', b: 'B' }, 20);
    expect(rows).toHaveLength(3);
    expect(unsettled).toBe(2); // the ACK sent at 20 ms arrives at 30 ms
    expect(rows[2].stateB).toBe('SYN-RECEIVED');
  });
});
