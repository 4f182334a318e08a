/**
 * Pins the exported drawings: the SVG text of a handshake and teardown, a
 * reset and a simulated lost-then-retransmitted SYN (snapshots; the layout is
 * deterministic), that a view range draws only its rows, that text is
 * escaped and the dark palette is used when asked, and the Mermaid and
 * PlantUML sequence-diagram text.
 */
import { describe, expect, it } from 'vitest';
import { layoutLadder } from '../../../src-shared/ladder/layout';
import { LADDER_PALETTES, ladderSvg, xmlEscape } from '../../../src-shared/ladder/svg';
import { ladderMermaid, ladderPlantUml } from '../../../src-shared/ladder/text';
import { ENDPOINTS, HANDSHAKE_AND_TEARDOWN, RESET, longSession, simulated, synScan } from './fixtures';

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

describe('ladder SVG export', () => {
  it('renders a handshake and teardown as a standalone SVG (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, HANDSHAKE_AND_TEARDOWN, { width: 900 });
    const svg = ladderSvg(l, HANDSHAKE_AND_TEARDOWN, { title: 'Handshake and teardown' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(count(svg, /<g data-index=/g)).toBe(8);
    expect(svg).toContain('SYN-SENT → ESTABLISHED');
    expect(svg).toContain('ISN 4,294,967,280 → 0');
    expect(svg).toContain('MSS=1460 SACK_PERM WS=128');
    expect(svg).toMatchSnapshot();
  });

  it('renders a reset with its analysis tags (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, RESET, { width: 900 });
    const svg = ladderSvg(l, RESET, { theme: 'dark', legend: false });
    expect(svg).toContain(LADDER_PALETTES.dark.bg);
    expect(svg).toContain('RST at RCV.NXT: accepted');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toMatchSnapshot();
  });

  it('renders a simulated lost SYN with a cross and slanted arrows (snapshot)', () => {
    const rows = simulated();
    const l = layoutLadder(ENDPOINTS, rows, { mode: 'time-true' });
    const svg = ladderSvg(l, rows);
    expect(count(svg, /<path d="M[^"]*" fill="none" stroke="#dc2626" stroke-width="2.2"/g)).toBe(1);
    expect(svg).toContain('>injected<');
    expect(svg).toMatchSnapshot();
  });

  it('draws only the rows of a view range', () => {
    const rows = longSession(1000);
    const l = layoutLadder(ENDPOINTS, rows);
    const svg = ladderSvg(l, rows, { start: 500, end: 510 });
    expect(count(svg, /<g data-index=/g)).toBe(10);
    expect(svg).toContain('data-index="500"');
    const h = Number(/height="(\d+)"/.exec(svg)![1]);
    expect(h).toBeLessThan(12 * l.pitch + 120);
  });

  it('escapes text', () => {
    expect(xmlEscape(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    const l = layoutLadder(ENDPOINTS, RESET);
    expect(ladderSvg(l, RESET, { title: 'a < b & c' })).toContain('a &lt; b &amp; c');
  });

  it('renders a SYN scan across six lifelines', () => {
    const { lanes, rows } = synScan();
    const l = layoutLadder(lanes, rows);
    const svg = ladderSvg(l, rows);
    expect(count(svg, /<line x1="[\d.]+" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#9aa3b2"/g)).toBe(6);
    expect(svg).toContain('SCANNER');
  });
});

describe('ladder sequence-diagram text', () => {
  it('writes Mermaid (snapshot)', () => {
    const rows = simulated();
    const l = layoutLadder(ENDPOINTS, rows);
    const text = ladderMermaid(l, rows, { title: 'Lost SYN' });
    expect(text).toContain('sequenceDiagram');
    expect(text).toContain('participant L0 as 10.0.0.1:51000<br/>client');
    expect(text).toContain('L0-xL1: SYN');
    expect(text).toContain('L0-->>L1: SYN');
    expect(text).toContain('Note over L0: SYN-SENT → ESTABLISHED');
    expect(text).toMatchSnapshot();
  });

  it('writes PlantUML (snapshot)', () => {
    const l = layoutLadder(ENDPOINTS, HANDSHAKE_AND_TEARDOWN);
    const text = ladderPlantUml(l, HANDSHAKE_AND_TEARDOWN);
    expect(text.startsWith('@startuml\n')).toBe(true);
    expect(text.trim().endsWith('@enduml')).toBe(true);
    expect(text).toContain('L0 -[#15803d]> L1 : SYN Seq=0 Len=0 Win=64240');
    expect(text).toContain('hnote over L1 : LAST-ACK → CLOSED');
    expect(text).toMatchSnapshot();
  });
});
