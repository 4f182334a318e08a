/**
 * D3 drawing of a ladder into one SVG element, from the pure geometry of
 * `src-shared/ladder/layout`. The SVG is the size of the viewport: a fixed
 * header (lane labels, draggable to reorder lifelines) over a body group
 * translated by the scroll position, in which only what is in view is drawn —
 * state bands, lifelines, state-change annotations and the rows' arrows —
 * each joined by key (segment, band, change) so elements that stay in view or
 * were appended are kept, not rebuilt. A scroll that keeps the layout builds
 * and writes only the arrows of rows entering the view (reusing the elements
 * of rows that left it); attributes and text are written only when their
 * value changed, so unchanged elements are not restyled. Every coordinate
 * comes from the layout or the pointer; nothing is measured back from the
 * DOM. Colours and
 * fonts come from CSS classes (`kind-syn`, `band-established`, `selected`, …)
 * so the light and dark themes live in the stylesheet.
 */
import { select, type Selection } from 'd3';
import type {
  ArrowLayout,
  LadderLayout,
  LadderRow,
  LaneLayout,
  StateBand,
  StateChange,
} from '../../../src-shared/ladder/layout';
import {
  arrowFor,
  bandsInView,
  changesInView,
  rowKey,
  rowsInView,
  stateGroup,
} from '../../../src-shared/ladder/layout';

/** Height of the lane header at the top of the drawing. */
export const HEADER_HEIGHT = 50;

export interface LadderViewport {
  /** Content y at the top of the rows area. */
  top: number;
  /** Height of the whole SVG (header included). */
  height: number;
}

export interface LadderDrawingEvents {
  select(pos: number): void;
  hover(arrow: ArrowLayout | null): void;
  /** A lane's header was dragged to a new place among the lanes. */
  moveLane(id: string, toIndex: number): void;
}

export interface LadderDrawing {
  draw(
    layout: LadderLayout,
    rows: readonly LadderRow[],
    view: LadderViewport,
    selectedPos: number | null,
  ): void;
  destroy(): void;
}

type ArrowSel = Selection<SVGGElement, unknown, null, undefined>;

/** An arrow's child elements, and the last value written to each attribute (by slot), so unchanged ones are skipped. */
interface ArrowParts {
  g: SVGGElement;
  hit: SVGRectElement;
  hitline: SVGPathElement;
  shaft: SVGPathElement;
  head: SVGPathElement;
  cross: SVGPathElement;
  label: SVGTextElement;
  flags: SVGTSpanElement;
  nums: SVGTSpanElement;
  note: SVGTextElement;
  tags: SVGTextElement;
  time: SVGTextElement;
  frame: SVGTextElement;
  vals: Array<string | null | undefined>;
}

const parts = new WeakMap<SVGGElement, ArrowParts>();

function buildArrow(g: ArrowSel): ArrowParts {
  g.attr('data-testid', 'ladder-arrow').attr('role', 'listitem');
  const hit = g.append('rect').attr('class', 'hit');
  const hitline = g.append('path').attr('class', 'hitline');
  const shaft = g.append('path').attr('class', 'shaft');
  const head = g.append('path').attr('class', 'head');
  const cross = g.append('path').attr('class', 'cross');
  const label = g.append('text').attr('class', 'label').attr('text-anchor', 'middle');
  const flags = label.append('tspan').attr('class', 'flags');
  const nums = label.append('tspan').attr('class', 'nums').attr('dx', '0.6em');
  const note = g.append('text').attr('class', 'note').attr('text-anchor', 'middle');
  const tags = g.append('text').attr('class', 'tags').attr('text-anchor', 'middle');
  const time = g.append('text').attr('class', 'time').attr('x', 8);
  const frame = g.append('text').attr('class', 'frame').attr('x', 8);
  const p: ArrowParts = {
    g: g.node()!,
    hit: hit.node()!,
    hitline: hitline.node()!,
    shaft: shaft.node()!,
    head: head.node()!,
    cross: cross.node()!,
    label: label.node()!,
    flags: flags.node()!,
    nums: nums.node()!,
    note: note.node()!,
    tags: tags.node()!,
    time: time.node()!,
    frame: frame.node()!,
    vals: [],
  };
  parts.set(p.g, p);
  return p;
}

const LEVELS = { info: 0, warn: 1, bad: 2 } as const;

function tagLevel(d: ArrowLayout): string {
  let best: 'info' | 'warn' | 'bad' = 'info';
  for (const t of d.tags) if (LEVELS[t.level] > LEVELS[best]) best = t.level;
  return best;
}

function arrowClass(d: ArrowLayout, selectedPos: number | null): string {
  return (
    `arrow kind-${d.kind} dir-${d.dir}${d.pos === selectedPos ? ' selected' : ''}` +
    `${d.dashed ? ' dashed' : ''}${d.dropped ? ' dropped' : ''}${d.injected ? ' injected' : ''}`
  );
}

/** Writes attribute `name` of `el` unless slot `slot` already holds that value (null removes it). */
function put(p: ArrowParts, slot: number, el: Element, name: string, v: string | number | null): void {
  const s = v === null ? null : String(v);
  if (p.vals[slot] === s) return;
  p.vals[slot] = s;
  if (s === null) el.removeAttribute(name);
  else el.setAttribute(name, s);
}

function putText(p: ArrowParts, slot: number, el: Element, v: string): void {
  if (p.vals[slot] === v) return;
  p.vals[slot] = v;
  el.textContent = v;
}

function rotate(d: ArrowLayout, y: number): string | null {
  return d.angle ? `rotate(${d.angle} ${d.labelX} ${y})` : null;
}

/** Binds an arrow to its element and writes what changed. Hidden labels keep their old text until shown. */
function updateArrow(p: ArrowParts, d: ArrowLayout, selectedPos: number | null): void {
  (p.g as SVGGElement & { __data__?: ArrowLayout }).__data__ = d;
  const sel = d.pos === selectedPos;
  put(p, 0, p.g, 'class', arrowClass(d, selectedPos));
  put(p, 1, p.g, 'data-index', d.index);
  put(p, 2, p.g, 'data-pos', d.pos);
  put(p, 3, p.g, 'data-frame', d.frame);
  put(p, 4, p.g, 'data-kind', d.kind);
  put(p, 5, p.g, 'aria-label', d.title);
  put(p, 6, p.g, 'aria-selected', sel ? 'true' : 'false');
  put(p, 7, p.hit, 'x', d.hit.x);
  put(p, 8, p.hit, 'y', d.hit.y);
  put(p, 9, p.hit, 'width', d.hit.width);
  put(p, 10, p.hit, 'height', d.hit.height);
  put(p, 11, p.hitline, 'd', d.shaft);
  put(p, 12, p.shaft, 'd', d.shaft);
  put(p, 13, p.head, 'd', d.head || null);
  put(p, 14, p.cross, 'd', d.cross || null);
  const show = d.showLabels;
  put(p, 15, p.label, 'display', show ? null : 'none');
  put(p, 16, p.note, 'display', show && d.noteText ? null : 'none');
  put(p, 17, p.tags, 'display', show && d.tags.length ? null : 'none');
  put(p, 18, p.time, 'display', show ? null : 'none');
  put(p, 19, p.frame, 'display', show ? null : 'none');
  if (!show) return;
  put(p, 20, p.label, 'x', d.labelX);
  put(p, 21, p.label, 'y', d.labelY);
  put(p, 22, p.label, 'transform', rotate(d, d.labelY));
  putText(p, 23, p.flags, d.flagsText);
  putText(p, 24, p.nums, d.numbersText);
  if (d.noteText) {
    put(p, 25, p.note, 'x', d.labelX);
    put(p, 26, p.note, 'y', d.noteY);
    put(p, 27, p.note, 'transform', rotate(d, d.noteY));
    putText(p, 28, p.note, d.noteText);
  }
  if (d.tags.length) {
    put(p, 29, p.tags, 'x', d.labelX);
    put(p, 30, p.tags, 'y', d.tagsY);
    put(p, 31, p.tags, 'transform', rotate(d, d.tagsY));
    put(p, 32, p.tags, 'class', `tags tag-${tagLevel(d)}`);
    putText(p, 33, p.tags, d.tags.map((t) => t.text).join(' · '));
  }
  put(p, 34, p.time, 'y', d.timeY);
  putText(p, 35, p.time, d.timeText);
  put(p, 36, p.frame, 'y', d.timeY + 13);
  putText(p, 37, p.frame, d.frameText);
}

const bandKey = (b: StateBand): string => `${b.session}:${b.side}:${b.y1}`;
const changeKey = (c: StateChange): string => `${c.session}:${c.side}:${c.pos}`;

/** Sets up the SVG's groups and returns the drawing. */
export function createLadderDrawing(svgEl: SVGSVGElement, events: LadderDrawingEvents): LadderDrawing {
  const svg = select(svgEl);
  svg.selectAll('*').remove();
  const body = svg.append('g').attr('class', 'body');
  const bandsG = body.append('g').attr('class', 'bands');
  const lifelines = body.append('g').attr('class', 'lifelines');
  const changesG = body.append('g').attr('class', 'changes');
  const rowsG = body.append('g').attr('class', 'rows').attr('role', 'list');
  const header = svg.append('g').attr('class', 'header');
  header.append('rect').attr('class', 'header-bg').attr('x', 0).attr('y', 0).attr('height', HEADER_HEIGHT);
  header.append('text').attr('class', 'time-head').attr('x', 8).attr('y', 34).text('time (s)');
  const stickyG = svg.append('g').attr('class', 'sticky');

  const arrowOf = (ev: Event): ArrowLayout | null => {
    const g = (ev.target as Element | null)?.closest?.('g.arrow');
    return g ? select<Element, ArrowLayout>(g).datum() : null;
  };
  rowsG.on('click', (ev: MouseEvent) => {
    const d = arrowOf(ev);
    if (d) events.select(d.pos);
  });
  let hovered: ArrowLayout | null = null;
  rowsG.on('pointerover', (ev: PointerEvent) => {
    const d = arrowOf(ev);
    if (d !== hovered) {
      hovered = d;
      events.hover(d);
    }
  });
  rowsG.on('pointerleave', () => {
    hovered = null;
    events.hover(null);
  });

  // Dragging a lane's header reorders the lifelines; positions come from the layout and the pointer.
  let lanesNow: LaneLayout[] = [];
  let drag: { id: string; x0: number; px: number; el: SVGGElement } | null = null;
  const onMove = (ev: PointerEvent): void => {
    if (!drag) return;
    select(drag.el).attr('transform', `translate(${drag.x0 + ev.clientX - drag.px},0)`);
  };
  const onUp = (ev: PointerEvent): void => {
    if (!drag) return;
    const d = drag;
    drag = null;
    window.removeEventListener('pointermove', onMove);
    window.removeEventListener('pointerup', onUp);
    d.el.classList.remove('dragging');
    const x = d.x0 + ev.clientX - d.px;
    const others = lanesNow.filter((l) => l.id !== d.id);
    const to = others.filter((l) => l.x < x).length;
    const from = lanesNow.findIndex((l) => l.id === d.id);
    select(d.el).attr('transform', `translate(${d.x0},0)`);
    if (from !== to) events.moveLane(d.id, to);
  };

  let last: {
    layout: LadderLayout | null;
    rows: readonly LadderRow[] | null;
    start: number;
    end: number;
    selected: number | null;
  } = { layout: null, rows: null, start: -1, end: -1, selected: null };
  /** The arrows on screen by row key, for rows `[last.start, last.end)`. */
  let shown = new Map<string, ArrowParts>();

  function drawHeader(layout: LadderLayout): void {
    lanesNow = layout.lanes;
    header.select('rect.header-bg').attr('width', layout.width);
    header
      .selectAll<SVGGElement, LaneLayout>('g.lane')
      .data(layout.lanes, (d) => d.id)
      .join((enter) => {
        const g = enter
          .append('g')
          .attr('data-testid', 'ladder-lane')
          .on('pointerdown', function (this: SVGGElement, ev: PointerEvent, d: LaneLayout) {
            if (ev.button !== 0) return;
            ev.preventDefault();
            drag = { id: d.id, x0: d.x, px: ev.clientX, el: this };
            this.classList.add('dragging');
            window.addEventListener('pointermove', onMove);
            window.addEventListener('pointerup', onUp);
          });
        g.append('title').text('Drag to reorder the lifelines');
        g.append('rect')
          .attr('class', 'lane-hit')
          .attr('x', -80)
          .attr('y', 2)
          .attr('width', 160)
          .attr('height', 44);
        g.append('text').attr('class', 'role').attr('text-anchor', 'middle').attr('y', 17);
        g.append('text').attr('class', 'addr').attr('text-anchor', 'middle').attr('y', 36);
        return g;
      })
      .attr('class', (d) => `lane${d.captured ? ' captured' : ''}`)
      .attr('data-lane', (d) => d.id)
      .attr('transform', (d) => `translate(${d.x},0)`)
      .call((g) => g.select('text.role').text((d) => d.roleLabel + (d.captured ? ' · capture point' : '')))
      .call((g) => g.select('text.addr').text((d) => d.label));
  }

  function draw(
    layout: LadderLayout,
    rows: readonly LadderRow[],
    view: LadderViewport,
    selectedPos: number | null,
  ): void {
    const rowsHeight = Math.max(0, view.height - HEADER_HEIGHT);
    const top = view.top;
    const bottom = top + rowsHeight;
    svg.attr('width', layout.width).attr('height', view.height);
    body.attr('transform', `translate(0,${HEADER_HEIGHT - top})`);
    if (last.layout !== layout && !drag) drawHeader(layout);

    lifelines
      .selectAll<SVGLineElement, LaneLayout>('line')
      .data(layout.lanes, (d) => d.id)
      .join('line')
      .attr('class', 'lifeline')
      .attr('x1', (d) => d.x)
      .attr('x2', (d) => d.x)
      .attr('y1', top)
      .attr('y2', Math.min(bottom, layout.height));

    const bw = layout.options.bandWidth;
    const bands = bandsInView(layout, top, bottom);
    bandsG
      .selectAll<SVGRectElement, StateBand>('rect')
      .data(bands, bandKey)
      .join('rect')
      .attr('class', (d) => `band band-${stateGroup(d.state)}`)
      .attr('data-state', (d) => d.state)
      .attr('x', (d) => (layout.lanes[d.lane]?.x ?? 0) - bw / 2)
      .attr('y', (d) => Math.max(top - 2, d.y1))
      .attr('width', bw)
      .attr('height', (d) => Math.max(0, Math.min(bottom + 2, d.y2) - Math.max(top - 2, d.y1)));

    changesG
      .selectAll<SVGTextElement, StateChange>('text')
      .data(changesInView(layout, top, bottom), changeKey)
      .join('text')
      .attr('data-testid', 'ladder-state-change')
      .attr('class', (d) => `state-change${d.from !== null ? ' changed' : ''}`)
      .attr('x', (d) => d.x)
      .attr('y', (d) => d.y)
      .attr('text-anchor', (d) => d.anchor)
      .text((d) => d.text);

    // Bands that began above the view name their state at the top, so a long band is never anonymous.
    const sticky = bands.filter((b) => b.y1 < top + 4 && b.y2 > top + 40);
    stickyG
      .selectAll<SVGTextElement, StateBand>('text')
      .data(sticky, bandKey)
      .join('text')
      .attr('class', 'band-label')
      .attr('x', (d) => {
        const x = layout.lanes[d.lane]?.x ?? 0;
        return d.lane === 0 && layout.lanes.length > 1 ? x - 10 : x + 10;
      })
      .attr('y', HEADER_HEIGHT + 14)
      .attr('text-anchor', (d) => (d.lane === 0 && layout.lanes.length > 1 ? 'end' : 'start'))
      .text((d) => d.state);

    drawRows(layout, rows, rowsInView(layout, top, rowsHeight, 6), selectedPos);
  }

  /**
   * The arrows of rows `[start, end)`, joined by row key. Same layout and rows
   * (a scroll): rows that stay keep their element untouched, rows entering
   * take the elements of rows that left (or new ones), and only those are
   * built and written, plus the selection's class. Another layout (zoom,
   * numbering, appended rows, mode): rows that stay keep their element and
   * every arrow is rewritten (only the attributes that changed reach the DOM).
   */
  function drawRows(
    layout: LadderLayout,
    rows: readonly LadderRow[],
    range: { start: number; end: number },
    selectedPos: number | null,
  ): void {
    const { start } = range;
    const end = Math.min(range.end, rows.length);
    const full = last.layout !== layout || last.rows !== rows;
    if (!full && last.start === start && last.end === end && last.selected === selectedPos) return;
    const prevSelected = last.selected;
    last = { layout, rows, start, end, selected: selectedPos };
    const order: Array<ArrowParts | null> = [];
    for (let i = start; i < end; i++) {
      const k = rowKey(rows[i]);
      const p = shown.get(k);
      if (p) {
        shown.delete(k);
        order.push(p);
        const d = (p.g as SVGGElement & { __data__?: ArrowLayout }).__data__;
        if (full || !d || d.pos !== i) updateArrow(p, arrowFor(layout, rows, i), selectedPos);
        else if (d.pos === selectedPos || d.pos === prevSelected) updateArrow(p, d, selectedPos);
      } else order.push(null);
    }
    // Rows that left the view lend their elements to rows entering it; the rest are removed.
    // Spare elements are taken in document order, so a view that changed all its rows moves none.
    const spare = [...shown.values()];
    let si = 0;
    for (let j = 0; j < order.length; j++) {
      if (order[j] !== null) continue;
      const i = start + j;
      const p = si < spare.length ? spare[si++] : buildArrow(rowsG.append('g'));
      updateArrow(p, arrowFor(layout, rows, i), selectedPos);
      order[j] = p;
    }
    for (; si < spare.length; si++) {
      parts.delete(spare[si].g);
      spare[si].g.remove();
    }
    // Document order (and `shown`'s) follows row order, the list's reading order; only misplaced elements move.
    const next = new Map<string, ArrowParts>();
    const parent = rowsG.node()!;
    let prev: Element | null = null;
    for (let j = 0; j < order.length; j++) {
      const p = order[j]!;
      next.set(rowKey(rows[start + j]), p);
      const want: Element | null = prev ? prev.nextElementSibling : parent.firstElementChild;
      if (want !== p.g) parent.insertBefore(p.g, want);
      prev = p.g;
    }
    shown = next;
  }

  function destroy(): void {
    rowsG.on('click', null).on('pointerover', null).on('pointerleave', null);
    window.removeEventListener('pointermove', onMove);
    window.removeEventListener('pointerup', onUp);
    svg.selectAll('*').remove();
  }

  return { draw, destroy };
}
