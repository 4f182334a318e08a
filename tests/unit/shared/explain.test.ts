/**
 * The explanation of observed segments (src-shared/explain.ts) on real
 * captures from resources/captures: the handshake, both closes, a refused
 * port, an abort and a simultaneous close say which endpoint moved, why, and
 * where in RFC 9293 / RFC 5961; and no row of any capture gets a sentence
 * with an unknown state move or an undefined value.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../../src-main/service/analyze';
import { explainObserved } from '../../../src-shared/explain';
import type { SegmentRow } from '../../../src-shared/session';

const DIR = join(__dirname, '..', '..', '..', 'resources', 'captures');

function sessions(file: string): Array<{ outcome: string; rows: SegmentRow[] }> {
  const r = analyzeCapture(join(DIR, file), { keepSegments: true });
  return r.tracker.summaries().map((s) => ({ outcome: s.outcome, rows: r.tracker.segments(s.id) }));
}

function explained(rows: SegmentRow[]) {
  return rows.map((row, i) => explainObserved(row, i > 0 ? rows[i - 1] : null));
}

describe('explainObserved', () => {
  it('tells the handshake and the close of a complete session', () => {
    const s = sessions('lo-ipv4.pcap').find((x) => x.outcome === 'complete')!;
    const e = explained(s.rows);
    expect(e[0]).toMatchObject({ rfc: 'RFC 9293 §3.10.1' });
    expect(e[0]!.text).toMatch(/^A opens the connection \(active OPEN\).*SYN-SENT/);
    expect(e[1]!.text).toMatch(/B was listening.*SYN-RECEIVED.*A is ESTABLISHED/);
    expect(e[1]!.rfc).toBe('RFC 9293 §3.10.7.2, RFC 9293 §3.10.7.3');
    expect(e[2]!.text).toMatch(/the handshake is complete and B is ESTABLISHED/);
    const fin = s.rows.findIndex((r) => r.stateA === 'FIN-WAIT-1');
    expect(e[fin]!.text).toMatch(/A closes its side \(CLOSE\).*B acknowledges it and moves to CLOSE-WAIT/);
    expect(e[s.rows.length - 1]!.text).toMatch(/B's side of the connection is CLOSED/);
  });

  it('tells a refused port and an abort by RST, with RFC 5961', () => {
    const all = sessions('lo-ipv4.pcap');
    const refused = all.find((x) => x.outcome === 'refused')!;
    const last = explained(refused.rows).at(-1)!;
    expect(last.rule).toBe('rst-exact');
    expect(last.rfc).toContain('RFC 5961 §3.2');
    expect(last.text).toMatch(/A accepts the RST and drops the connection \(SYN-SENT → CLOSED\)/);
    const reset = all.find((x) => x.outcome === 'reset-by-a')!;
    expect(explained(reset.rows).at(-1)!.text).toMatch(/A aborts the connection \(ABORT\)/);
  });

  it('tells the crossing FINs of a simultaneous close', () => {
    const s = sessions('simultaneous-close.pcap')[0];
    const texts = explained(s.rows).map((x) => x?.text ?? '');
    expect(texts.some((t) => /FINs cross: a simultaneous close/.test(t))).toBe(true);
    expect(texts.some((t) => /A moves to CLOSING/.test(t))).toBe(true);
    expect(texts.some((t) => /It is a retransmission/.test(t))).toBe(true);
  });

  it('explains every row of every capture without an unknown move or an undefined value', () => {
    let rows = 0;
    for (const f of readdirSync(DIR).filter((n) => /\.pcap(ng)?$/.test(n))) {
      for (const s of sessions(f)) {
        explained(s.rows).forEach((e, i) => {
          rows++;
          const row = s.rows[i];
          const prev = i > 0 ? s.rows[i - 1] : null;
          const moved = prev !== null && (prev.stateA !== row.stateA || prev.stateB !== row.stateB);
          if (moved) expect(e, `${f} row ${i}`).not.toBeNull();
          if (e === null) return;
          expect(e.text, `${f} row ${i}`).not.toMatch(/undefined|NaN|null/);
          expect(e.rfc).toMatch(/^RFC \d+/);
        });
      }
    }
    expect(rows).toBeGreaterThan(500);
  });
});
