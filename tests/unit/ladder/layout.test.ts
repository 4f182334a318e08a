/**
 * Pins the pure ladder layout: lifelines and roles, row positions in both
 * modes, arrow geometry and labels for a textbook handshake and teardown and
 * for a refused connection (snapshots), the rows in view of a long session,
 * and that appending rows leaves earlier rows where they were.
 */
import { describe, expect, it } from 'vitest';
import {
  arrowFor,
  arrowsInRange,
  extendLadder,
  laneRoles,
  layoutLadder,
  rowsInView,
  scrollToRow,
  segmentKind,
  segmentLabel,
} from '../../../src-shared/ladder/layout';
import { flagBits } from '../../../src-shared/tcp';
import { ENDPOINTS, HANDSHAKE_AND_TEARDOWN, REFUSED, longSession, script } from './fixtures';

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

  it('labels segments as Wireshark does, Ack only when ACK is set', () => {
    const [syn, synAck, ack, data] = HANDSHAKE_AND_TEARDOWN;
    expect(segmentLabel(syn)).toEqual({
      flags: 'SYN',
      numbers: 'Seq=0 Len=0',
      options: 'MSS=1460 SACK_PERM WS=128',
    });
    expect(segmentLabel(synAck)).toEqual({
      flags: 'SYN, ACK',
      numbers: 'Seq=0 Ack=1 Len=0',
      options: 'MSS=1400',
    });
    expect(segmentLabel(ack).numbers).toBe('Seq=1 Ack=1 Len=0');
    expect(segmentLabel(data)).toEqual({ flags: 'PSH, ACK', numbers: 'Seq=1 Ack=1 Len=100', options: '' });
    // Absolute numbers cross the 2^32 wrap: ISN 0xfffffff0 + 1.
    expect(segmentLabel(ack, 'absolute').numbers).toBe('Seq=4294967281 Ack=1001 Len=0');
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
    expect(arrows.map((a) => [a.stateA.text, a.stateB.text])).toEqual([
      ['SYN-SENT', 'SYN-RECEIVED'],
      ['SYN-SENT → ESTABLISHED', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'SYN-RECEIVED → ESTABLISHED'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['ESTABLISHED → FIN-WAIT-1', 'ESTABLISHED → CLOSE-WAIT'],
      ['FIN-WAIT-1 → TIME-WAIT', 'CLOSE-WAIT → LAST-ACK'],
      ['TIME-WAIT', 'LAST-ACK → CLOSED'],
    ]);
    expect(arrows).toMatchSnapshot();
  });

  it('draws a refused connection (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, REFUSED, { width: 800 });
    const arrows = arrowsInRange(l, REFUSED, 0, 2);
    expect(arrows[1]).toMatchObject({ kind: 'rst', flagsText: 'RST, ACK', numbersText: 'Seq=0 Ack=1 Len=0' });
    expect({ width: l.width, height: l.height, rowY: Array.from(l.rowY), arrows }).toMatchSnapshot();
  });

  it('spaces rows by elapsed time in time-true mode, within bounds', () => {
    const rows = script(
      [
        ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-RECEIVED'],
        ['ba', 'SYN,ACK', 0, 1, 0, 'ESTABLISHED', 'SYN-RECEIVED'],
        ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
      ],
      0,
      0.05,
    );
    rows[2].time = rows[1].time + 10; // a long pause is clamped
    const compact = layoutLadder(ENDPOINTS, rows);
    const timed = layoutLadder(ENDPOINTS, rows, { mode: 'time-true' });
    expect(Array.from(compact.rowY)).toEqual([12, 58, 104]);
    expect(Array.from(timed.rowY)).toEqual([12, 112, 352]);
  });

  it('finds only the rows in view of a 100,000-row session', () => {
    const rows = longSession(100_000);
    const t = performance.now();
    const l = layoutLadder(ENDPOINTS, rows);
    const { start, end } = rowsInView(l, 12 + 46 * 50_000, 600, 4);
    const arrows = arrowsInRange(l, rows, start, end);
    const ms = performance.now() - t;
    expect(start).toBe(50_000 - 4);
    expect(end - start).toBeLessThan(30);
    expect(arrows[4].index).toBe(50_000);
    expect(l.height).toBe(12 + 46 * 100_000 + 12);
    expect(ms).toBeLessThan(1000); // generous: the layout of all rows is one typed-array fill
  });

  it('keeps earlier rows in place when rows are appended', () => {
    const rows = longSession(200);
    const first = layoutLadder(ENDPOINTS, rows.slice(0, 100));
    const before = arrowFor(first, rows, 99);
    const grown = extendLadder(first, ENDPOINTS, rows);
    expect(grown.rowCount).toBe(200);
    expect(arrowFor(grown, rows, 99)).toEqual(before);
    expect(Array.from(grown.rowY.subarray(0, 200))).toEqual(Array.from(layoutLadder(ENDPOINTS, rows).rowY));
    expect(extendLadder(grown, ENDPOINTS, rows)).toBe(grown);
  });

  it('scrolls just enough to show a row', () => {
    const l = layoutLadder(ENDPOINTS, longSession(100));
    expect(scrollToRow(l, 0, 0, 400)).toBe(0);
    expect(scrollToRow(l, 50, 0, 400)).toBe(12 + 46 * 51 - 400 + 12);
    expect(scrollToRow(l, 10, 2000, 400)).toBe(12 + 460 - 12);
  });
});
