/**
 * Pins the pure ladder layout: lifelines and roles, row positions in both
 * time modes (slanting by `arrive` and by the capture-side RTT), arrow
 * geometry and labels for a textbook handshake and teardown, a reset and a
 * refused connection (snapshots), state bands and change annotations, lost
 * and injected segments, N lanes for a SYN scan, the rows in view of a long
 * session, that appending rows leaves earlier rows where they were, and that
 * a zoom step (which only re-scales) and appends page by page (which lay out
 * only the new rows) give the same drawing as laying out everything again.
 */
import { describe, expect, it } from 'vitest';
import {
  adjustLadder,
  arrowFor,
  arrowsInRange,
  captureTiming,
  changesInView,
  extendLadder,
  findRow,
  groupDigits,
  laneRoles,
  layoutLadder,
  rowTop,
  rowsInView,
  scrollToRow,
  segmentKind,
  segmentLabel,
  type LadderLayout,
  type LadderParticipants,
  type LadderRow,
  type SegmentKind,
} from '../../../src-shared/ladder/layout';
import { flagBits } from '../../../src-shared/tcp';
import type { SegmentRow } from '../../../src-shared/session';
import {
  ENDPOINTS,
  HANDSHAKE_AND_TEARDOWN,
  REFUSED,
  RESET,
  longSession,
  script,
  simulated,
  synScan,
} from './fixtures';

/** Everything a drawing reads from a layout, for comparing two layouts of the same rows. */
function drawn(l: LadderLayout, rows: readonly LadderRow[]) {
  return {
    height: l.height,
    pitch: l.pitch,
    lanes: l.lanes,
    rowY: Array.from(l.rowY),
    sendY: Array.from(l.sendY),
    arriveY: Array.from(l.arriveY),
    bands: l.bands,
    changes: l.changes,
    arrows: arrowsInRange(l, rows, 0, rows.length),
  };
}

/** Copies of the simulated session one after another: arrivals reach past the next rows and past page ends. */
function repeatedSimulation(times: number): SegmentRow[] {
  const out: SegmentRow[] = [];
  for (let k = 0; k < times; k++) {
    for (const r of simulated()) {
      out.push({
        ...r,
        index: out.length,
        frame: out.length + 1,
        time: r.time + 2 * k,
        arrive: r.arrive! + 2 * k,
      });
    }
  }
  return out;
}

describe('ladder layout', () => {
  it('places two lifelines with address:port and role', () => {
    const l = layoutLadder(ENDPOINTS, HANDSHAKE_AND_TEARDOWN, { width: 900 });
    expect(l.lanes).toMatchSnapshot();
    expect(l.lanes[0].x).toBeLessThan(l.lanes[1].x);
    expect(l.lanes.map((x) => x.roleLabel)).toEqual(['client', 'server']);
  });

  it('never goes narrower than the minimum width', () => {
    const l = layoutLadder(ENDPOINTS, REFUSED, { width: 100 });
    expect(l.width).toBe(l.options.minWidth);
  });

  it('infers roles from the opening SYNs', () => {
    expect(laneRoles(REFUSED)).toEqual(['client', 'server']);
    expect(laneRoles(script([['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED']]))).toEqual([null, null]);
    const simultaneous = script([
      ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-SENT'],
      ['ba', 'SYN', 0, 0, 0, 'SYN-RECEIVED', 'SYN-RECEIVED'],
    ]);
    expect(laneRoles(simultaneous)).toEqual(['peer', 'peer']);
  });

  it('labels segments as Wireshark does, with window, options and the ISN mapping on SYNs', () => {
    const [syn, synAck, ack, data] = HANDSHAKE_AND_TEARDOWN;
    expect(segmentLabel(syn)).toEqual({
      flags: 'SYN',
      numbers: 'Seq=0 Len=0 Win=64240',
      options: 'MSS=1460 SACK_PERM WS=128',
      isn: 'ISN 4,294,967,280 → 0',
    });
    expect(segmentLabel(synAck)).toMatchObject({ flags: 'SYN, ACK', numbers: 'Seq=0 Ack=1 Len=0 Win=64240' });
    expect(segmentLabel(synAck).isn).toBe('ISN 1,000 → 0');
    expect(segmentLabel(synAck, 'absolute').isn).toBe('ISN 1,000');
    expect(segmentLabel(ack).numbers).toBe('Seq=1 Ack=1 Len=0 Win=64240');
    expect(segmentLabel(data)).toMatchObject({ flags: 'PSH, ACK', options: '', isn: '' });
    // Absolute numbers cross the 2^32 wrap: ISN 0xfffffff0 + 1.
    expect(segmentLabel(ack, 'absolute').numbers).toBe('Seq=4294967281 Ack=1001 Len=0 Win=64240');
    expect(groupDigits(3014555221)).toBe('3,014,555,221');
    expect(groupDigits(12)).toBe('12');
  });

  it('colours by kind: RST, SYN, FIN, data, pure ACK', () => {
    expect(segmentKind(flagBits(['RST', 'ACK']), 0)).toBe('rst');
    expect(segmentKind(flagBits(['SYN', 'ACK']), 0)).toBe('syn');
    expect(segmentKind(flagBits(['FIN', 'ACK']), 10)).toBe('fin');
    expect(segmentKind(flagBits(['PSH', 'ACK']), 10)).toBe('data');
    expect(segmentKind(flagBits(['ACK']), 0)).toBe('ack');
    expect(segmentKind(0, 0)).toBe('other');
  });

  it('draws a handshake and teardown like the textbook (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, HANDSHAKE_AND_TEARDOWN, { width: 900 });
    const arrows = arrowsInRange(l, HANDSHAKE_AND_TEARDOWN, 0, l.rowCount);
    expect(arrows.map((a) => a.kind)).toEqual(['syn', 'syn', 'ack', 'data', 'ack', 'fin', 'fin', 'ack']);
    // a→b arrows run left to right, b→a right to left, and every arrow goes down the page.
    for (const a of arrows) {
      expect(a.dir === 'ab' ? a.x1 < a.x2 : a.x1 > a.x2).toBe(true);
      expect(a.y2).toBeGreaterThan(a.y1);
    }
    expect(l.changes.map((c) => `${c.side}@${c.pos}: ${c.text}`)).toEqual([
      'a@0: SYN-SENT',
      'b@0: SYN-RECEIVED',
      'a@1: SYN-SENT → ESTABLISHED',
      'b@2: SYN-RECEIVED → ESTABLISHED',
      'a@5: ESTABLISHED → FIN-WAIT-1',
      'b@5: ESTABLISHED → CLOSE-WAIT',
      'b@6: CLOSE-WAIT → LAST-ACK',
      'a@6: FIN-WAIT-1 → TIME-WAIT',
      'b@7: LAST-ACK → CLOSED',
    ]);
    // The sender changes state when it sends (arrow start), the receiver when it receives (arrow end).
    const synAck = arrows[1];
    const aEstab = l.changes.find((c) => c.text === 'SYN-SENT → ESTABLISHED')!;
    expect(aEstab.y).toBe(Math.round((synAck.y2 + 4) * 10) / 10);
    expect(l.bands.map((b) => `${b.side}:${b.state}`)).toEqual([
      'a:SYN-SENT',
      'b:SYN-RECEIVED',
      'a:ESTABLISHED',
      'b:ESTABLISHED',
      'a:FIN-WAIT-1',
      'b:CLOSE-WAIT',
      'a:TIME-WAIT',
      'b:LAST-ACK',
    ]);
    // TIME-WAIT lasts past the last segment: its band runs to the bottom.
    expect(l.bands.find((b) => b.state === 'TIME-WAIT')!.y2).toBe(l.height - l.options.padding);
    expect(arrows).toMatchSnapshot();
    expect(l.bands).toMatchSnapshot();
  });

  it('marks a reset: retransmission dashed, exact RST tagged (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, RESET, { width: 900 });
    const arrows = arrowsInRange(l, RESET, 0, l.rowCount);
    expect(arrows[4]).toMatchObject({ dashed: true, tags: [{ text: 'retransmission', level: 'warn' }] });
    expect(arrows[5]).toMatchObject({
      kind: 'rst',
      tags: [{ text: 'RST at RCV.NXT: accepted', level: 'bad' }],
    });
    expect(l.changes.at(-1)!.text).toBe('ESTABLISHED → CLOSED');
    expect(arrows).toMatchSnapshot();
  });

  it('draws a refused connection (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, REFUSED, { width: 800 });
    const arrows = arrowsInRange(l, REFUSED, 0, 2);
    expect(arrows[1]).toMatchObject({
      kind: 'rst',
      flagsText: 'RST, ACK',
      numbersText: 'Seq=0 Ack=1 Len=0 Win=64240',
    });
    expect({ width: l.width, height: l.height, rowY: Array.from(l.rowY), arrows }).toMatchSnapshot();
  });

  it('spaces rows by elapsed time in time-true mode, within bounds', () => {
    const rows = script(
      [
        ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
        ['ba', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
        ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
      ],
      0,
      0.05,
    );
    rows[2].time = rows[1].time + 10; // a long pause is clamped
    const compact = layoutLadder(ENDPOINTS, rows);
    const timed = layoutLadder(ENDPOINTS, rows, { mode: 'time-true', pxPerSecond: 2000 });
    expect(Array.from(compact.rowY)).toEqual([14, 68, 122]);
    expect(Array.from(timed.rowY)).toEqual([14, 114, 354]);
    // Zoom scales the time axis.
    const zoomed = layoutLadder(ENDPOINTS, rows, { mode: 'time-true', pxPerSecond: 2000, zoom: 2 });
    expect(Array.from(zoomed.rowY)).toEqual([14, 214, 694]);
    expect(layoutLadder(ENDPOINTS, rows, { zoom: 0.5 }).showLabels).toBe(false);
  });

  it('slants arrows by simulated arrival times and stops lost segments half way', () => {
    const rows = simulated();
    const l = layoutLadder(ENDPOINTS, rows, { mode: 'time-true' });
    // One round trip (40 ms) spans three rows of 54 px: each one-way transit drops 81 px.
    expect(l.timing.pxPerSecond).toBeCloseTo((3 * 54) / 0.04, 6);
    for (let i = 1; i < rows.length; i++) expect(Math.abs(l.arriveY[i] - l.sendY[i] - 81)).toBeLessThan(2);
    const lost = arrowFor(l, rows, 0);
    expect(lost.dropped).toBe(true);
    expect(lost.head).toBe('');
    expect(lost.cross).not.toBe('');
    expect(lost.x2).toBeCloseTo((l.lanes[0].x + l.lanes[1].x) / 2, 0);
    const rst = arrowFor(l, rows, 4);
    expect(rst).toMatchObject({ injected: true, dashed: true });
    expect(rst.tags.map((t) => t.text)).toEqual(['RST at RCV.NXT: accepted', 'injected']);
    expect(arrowFor(l, rows, 1).explainText).toMatch(/retransmission timer/);
    // Given `changes` win over state comparison, and name the state before.
    expect(l.changes.map((c) => c.text)).toContain('CLOSED → SYN-SENT');
    expect({
      sendY: Array.from(l.sendY),
      arriveY: Array.from(l.arriveY),
      changes: l.changes,
    }).toMatchSnapshot();
  });

  it('finds where a capture was taken from the handshake timing, and slants by the RTT there', () => {
    // Client side: SYN → SYN-ACK takes the round trip, the ACK follows at once.
    const rows = script(
      [
        ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-RECEIVED'],
        ['ba', 'SYN,ACK', 0, 1, 0, 'ESTABLISHED', 'SYN-RECEIVED'],
        ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
      ],
      100,
      0,
    );
    rows[1].time = 100.03;
    rows[2].time = 100.0301;
    expect(captureTiming(rows)).toEqual({ side: 'a', rtt: expect.closeTo(0.03, 9) });
    const l = layoutLadder(ENDPOINTS, rows, { mode: 'time-true' });
    expect(l.lanes.map((x) => x.captured)).toEqual([true, false]);
    // The SYN-ACK came from the far side: it left B one-way-delay before it was captured at A.
    expect(l.arriveY[1] - l.sendY[1]).toBeCloseTo(81, 0);
    expect(l.sendY[1]).toBeLessThan(l.rowY[1] + l.options.labelSpace);
    // Server side: the SYN-ACK follows the SYN at once.
    rows[1].time = 100.0001;
    rows[2].time = 100.0301;
    expect(captureTiming(rows)).toMatchObject({ side: 'b' });
    const s = layoutLadder(ENDPOINTS, rows, { mode: 'time-true' });
    expect(s.lanes.map((x) => x.captured)).toEqual([false, true]);
    // The first SYN came from the far side: room is left above it.
    expect(s.sendY[0]).toBeGreaterThanOrEqual(s.options.padding);
    expect(s.arriveY[0] - s.sendY[0]).toBeCloseTo(81, 0);
  });

  it('lays out N lanes for a SYN scan, one scanner and many ports (snapshot)', () => {
    const { lanes, rows } = synScan();
    const l = layoutLadder(lanes, rows, { width: 900 });
    expect(l.lanes.length).toBe(6);
    expect(l.width).toBeGreaterThanOrEqual(900);
    const xs = l.lanes.map((x) => x.x);
    expect([...xs].sort((p, q) => p - q)).toEqual(xs);
    for (let i = 0; i < rows.length; i++) {
      const scanner = rows[i].dir === 'ab' ? l.fromLane[i] : l.toLane[i];
      expect(scanner).toBe(0);
    }
    const keys = arrowsInRange(l, rows, 0, rows.length).map((a) => a.key);
    expect(new Set(keys).size).toBe(rows.length);
    // Bands end with each session, not at the bottom of the diagram.
    expect(l.bands.every((b) => b.y2 < l.height - l.options.padding || b.state === 'CLOSED')).toBe(true);
    // Reordering lanes moves lifelines, not rows.
    const swapped = layoutLadder([lanes[0], lanes[3], lanes[1], lanes[2], lanes[4], lanes[5]], rows, {
      width: 900,
    });
    expect(Array.from(swapped.rowY)).toEqual(Array.from(l.rowY));
    expect(swapped.lanes[1].id).toBe('t:443');
    expect({
      lanes: l.lanes,
      arrows: arrowsInRange(l, rows, 0, 4),
      changes: l.changes.slice(0, 6),
    }).toMatchSnapshot();
  });

  it('finds only the rows in view of a 100,000-row session', () => {
    const rows = longSession(100_000);
    const t = performance.now();
    const l = layoutLadder(ENDPOINTS, rows);
    const { start, end } = rowsInView(l, 14 + 54 * 50_000, 600, 4);
    const arrows = arrowsInRange(l, rows, start, end);
    const ms = performance.now() - t;
    expect(start).toBe(50_000 - 4);
    expect(end - start).toBeLessThan(30);
    expect(arrows[4].index).toBe(50_000);
    expect(l.height).toBe(14 + 54 * 99_999 + 20 + 12 + 27 + 14);
    expect(changesInView(l, 14 + 54 * 50_000, 14 + 54 * 50_000 + 600)).toEqual([]);
    expect(ms).toBeLessThan(1000); // generous: the layout of all rows is a few typed-array fills
  });

  it('keeps earlier rows in place when rows are appended', () => {
    const rows = longSession(200);
    const first = layoutLadder(ENDPOINTS, rows.slice(0, 100));
    const before = arrowFor(first, rows, 99);
    const grown = extendLadder(first, ENDPOINTS, rows);
    expect(grown.rowCount).toBe(200);
    expect(arrowFor(grown, rows, 99)).toEqual(before);
    expect(Array.from(grown.rowY)).toEqual(Array.from(layoutLadder(ENDPOINTS, rows).rowY));
    expect(extendLadder(grown, ENDPOINTS, rows)).toBe(grown);
    // time-true keeps its scale across appends.
    const sim = simulated();
    const t1 = layoutLadder(ENDPOINTS, sim.slice(0, 4), { mode: 'time-true' });
    const t2 = extendLadder(t1, ENDPOINTS, sim);
    expect(t2.timing).toBe(t1.timing);
    expect(Array.from(t2.rowY.subarray(0, 4))).toEqual(Array.from(t1.rowY));
  });

  it('zooms by re-scaling the laid-out rows, drawing what a layout at that zoom draws', () => {
    const cases: Array<[string, LadderParticipants, LadderRow[]]> = [
      ['handshake', ENDPOINTS, HANDSHAKE_AND_TEARDOWN],
      ['reset', ENDPOINTS, RESET],
      ['simulated', ENDPOINTS, repeatedSimulation(4)],
      ['scan', synScan().lanes, synScan().rows],
    ];
    for (const [, p, rows] of cases) {
      for (const mode of ['compact', 'time-true'] as const) {
        const at1 = layoutLadder(p, rows, { mode });
        for (const zoom of [0.05, 0.5, 1.25, 3, 8]) {
          const zoomed = adjustLadder(at1, { zoom });
          expect(zoomed.base).toBe(at1.base);
          expect(drawn(zoomed, rows)).toEqual(drawn(layoutLadder(p, rows, { mode, zoom }), rows));
        }
        expect(adjustLadder(at1, { zoom: 1 })).toBe(at1);
        const absolute = adjustLadder(at1, { numbers: 'absolute' });
        expect(arrowFor(absolute, rows, 1).numbersText).toBe(
          arrowFor(layoutLadder(p, rows, { mode, numbers: 'absolute' }), rows, 1).numbersText,
        );
      }
    }
    // Compact rows need no per-row positions: row i is at padding + i × pitch at any zoom.
    const long = adjustLadder(layoutLadder(ENDPOINTS, longSession(100_000)), { zoom: 0.3 });
    expect(long.base.unitTop).toBeNull();
    expect(rowTop(long, 99_999)).toBeCloseTo(14 + 99_999 * 54 * 0.3, 6);
  });

  it('lays out appended pages only, drawing what a layout of all rows draws', () => {
    for (const mode of ['compact', 'time-true'] as const) {
      const rows = repeatedSimulation(6);
      for (const page of [1, 3, 7]) {
        let l = layoutLadder(ENDPOINTS, rows.slice(0, page), { mode, zoom: 1.25 });
        const base = l.base;
        for (let n = page; n < rows.length; n += page) {
          l = extendLadder(l, ENDPOINTS, rows.slice(0, n + page));
        }
        // The first pages of a time-true layout may still move the first row (room above it): then it starts again.
        if (mode === 'compact' || page >= 3) expect(l.base).toBe(base);
        expect(drawn(l, rows)).toEqual(drawn(layoutLadder(ENDPOINTS, rows, { mode, zoom: 1.25 }), rows));
      }
    }
  });

  it('scrolls just enough to show a row', () => {
    const l = layoutLadder(ENDPOINTS, longSession(100));
    expect(scrollToRow(l, 0, 0, 400)).toBe(0);
    expect(scrollToRow(l, 50, 0, 400)).toBe(14 + 54 * 51 - 400 + 14);
    expect(scrollToRow(l, 10, 2000, 400)).toBe(14 + 540 - 14);
  });

  it('finds the next and previous segment of a kind', () => {
    const kinds = (k: SegmentKind[]) => new Set(k);
    expect(findRow(HANDSHAKE_AND_TEARDOWN, 1, 1, kinds(['fin']))).toBe(5);
    expect(findRow(HANDSHAKE_AND_TEARDOWN, 7, -1, kinds(['syn']))).toBe(1);
    expect(findRow(HANDSHAKE_AND_TEARDOWN, 0, 1, kinds(['rst']))).toBe(-1);
    expect(findRow(RESET, 0, 1, kinds(['rst']))).toBe(5);
  });
});
