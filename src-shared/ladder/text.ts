/**
 * The ladder as sequence-diagram text for Mermaid (`sequenceDiagram`) and
 * PlantUML (`@startuml`), so a learner can paste a session into notes or a
 * wiki. Built from the same layout as the drawing: one participant per
 * lifeline (address:port and role), one message per segment with the label
 * the ladder shows (flags, seq/ack, length, window, options and ISN on SYNs,
 * analysis tags), lost segments as Mermaid's `-x` / PlantUML's `->x`,
 * retransmissions and injections dashed, and each state change as a note
 * over its lifeline. Pure and deterministic.
 */
import type { LadderLayout, LadderRow } from './layout';
import { arrowFor } from './layout';
import { LADDER_PALETTES } from './svg';

export interface LadderTextOptions {
  start?: number;
  end?: number;
  title?: string;
}

function range(layout: LadderLayout, rows: readonly LadderRow[], o: LadderTextOptions): [number, number] {
  return [Math.max(0, o.start ?? 0), Math.min(layout.rowCount, rows.length, o.end ?? layout.rowCount)];
}

function changesByRow(layout: LadderLayout): Map<number, LadderLayout['changes']> {
  const m = new Map<number, LadderLayout['changes']>();
  for (const c of layout.changes) {
    const list = m.get(c.pos);
    if (list) list.push(c);
    else m.set(c.pos, [c]);
  }
  return m;
}

function message(layout: LadderLayout, rows: readonly LadderRow[], i: number): string {
  const a = arrowFor(layout, rows, i);
  const parts = [`${a.flagsText} ${a.numbersText}`];
  if (a.noteText) parts.push(`(${a.noteText})`);
  if (a.tags.length) parts.push(`[${a.tags.map((t) => t.text).join(', ')}]`);
  return parts.join(' ');
}

/** Mermaid text: `#` and `;` have meanings there, so they are escaped or replaced. */
function mermaidText(s: string): string {
  return s.replace(/#/g, '#35;').replace(/;/g, ',').replace(/\r?\n/g, ' ');
}

/** Mermaid `sequenceDiagram` of rows `[start, end)`. */
export function ladderMermaid(
  layout: LadderLayout,
  rows: readonly LadderRow[],
  o: LadderTextOptions = {},
): string {
  const [start, end] = range(layout, rows, o);
  const id = (lane: number): string => `L${lane}`;
  const lines: string[] = [];
  if (o.title) lines.push('---', `title: ${mermaidText(o.title)}`, '---');
  lines.push('sequenceDiagram');
  layout.lanes.forEach((l, i) => {
    const role = l.roleLabel ? `<br/>${l.roleLabel}` : '';
    lines.push(`    participant ${id(i)} as ${mermaidText(l.label)}${mermaidText(role)}`);
  });
  const changes = changesByRow(layout);
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const from = id(layout.fromLane[i]);
    const to = id(layout.toLane[i]);
    const dashed = r.injected === true || r.analysis.includes('retransmission');
    const arrow = r.dropped ? (dashed ? '--x' : '-x') : dashed ? '-->>' : '->>';
    lines.push(`    ${from}${arrow}${to}: ${mermaidText(message(layout, rows, i))}`);
    for (const c of changes.get(i) ?? []) lines.push(`    Note over ${id(c.lane)}: ${mermaidText(c.text)}`);
  }
  return lines.join('\n') + '\n';
}

/** PlantUML arrows take the drawing's light colours for each kind of segment. */
const PLANT_COLOURS = LADDER_PALETTES.light.kinds;

function plantText(s: string): string {
  return s.replace(/\r?\n/g, ' ');
}

/** PlantUML sequence diagram of rows `[start, end)`, arrows coloured by kind. */
export function ladderPlantUml(
  layout: LadderLayout,
  rows: readonly LadderRow[],
  o: LadderTextOptions = {},
): string {
  const [start, end] = range(layout, rows, o);
  const id = (lane: number): string => `L${lane}`;
  const lines: string[] = ['@startuml'];
  if (o.title) lines.push(`title ${plantText(o.title)}`);
  lines.push('skinparam sequenceMessageAlign center', 'hide footbox');
  layout.lanes.forEach((l, i) => {
    const role = l.roleLabel ? `\\n${l.roleLabel}` : '';
    lines.push(`participant "${plantText(l.label).replace(/"/g, "'")}${role}" as ${id(i)}`);
  });
  const changes = changesByRow(layout);
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const a = arrowFor(layout, rows, i);
    const dashed = a.dashed;
    const colour = PLANT_COLOURS[a.kind];
    const arrow = `-[${colour}]${dashed ? '-' : ''}>${r.dropped ? 'x' : ''}`;
    lines.push(
      `${id(layout.fromLane[i])} ${arrow} ${id(layout.toLane[i])} : ${plantText(message(layout, rows, i))}`,
    );
    for (const c of changes.get(i) ?? []) lines.push(`hnote over ${id(c.lane)} : ${plantText(c.text)}`);
  }
  lines.push('@enduml');
  return lines.join('\n') + '\n';
}
