/**
 * D3 drawing of a ladder into one SVG element, from the pure geometry of
 * `src-shared/ladder/layout`. The SVG is the size of the viewport: a fixed
 * header (lane labels, draggable to reorder lifelines) over a body group
 * translated by the scroll position, in which only what is in view is drawn —
 * state bands, lifelines, state-change annotations and the rows' arrows —
 * each joined by key (segment, band, change) so elements that stay in view or
 * were appended are kept, not rebuilt. Every coordinate comes from the
 * layout or the pointer; nothing is measured back from the DOM. Colours and
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
  arrowsInRange,
  bandsInView,
  changesInView,
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

type ArrowSel = Selection<SVGGElement, ArrowLayout, SVGGElement, unknown>;

function buildArrow(g: ArrowSel): void {
  g.attr('data-testid', 'ladder-arrow').attr('role', 'listitem');
  g.append('rect').attr('class', 'hit');
  g.append('path').attr('class', 'hitline');
  g.append('path').attr('class', 'shaft');
  g.append('path').attr('class', 'head');
  g.append('path').attr('class', 'cross');
  const label = g.append('text').attr('class', 'label').attr('text-anchor', 'middle');
  label.append('tspan').attr('class', 'flags');
  label.append('tspan').attr('class', 'nums').attr('dx', '0.6em');
  g.append('text').attr('class', 'note').attr('text-anchor', 'middle');
  g.append('text').attr('class', 'tags').attr('text-anchor', 'middle');
  g.append('text').attr('class', 'time').attr('x', 8);
  g.append('text').attr('class', 'frame').attr('x', 8);
}

const LEVELS = { info: 0, warn: 1, bad: 2 } as const;

function tagLevel(d: ArrowLayout): string {
  let best: 'info' | 'warn' | 'bad' = 'info';
  for (const t of d.tags) if (LEVELS[t.level] > LEVELS[best]) best = t.level;
  return best;
}

function updateArrow(g: ArrowSel, selectedPos: number | null): void {
  g.attr(
    'class',
    (d) =>
      `arrow kind-${d.kind} dir-${d.dir}${d.pos === selectedPos ? ' selected' : ''}` +
      `${d.dashed ? ' dashed' : ''}${d.dropped ? ' dropped' : ''}${d.injected ? ' injected' : ''}`,
  )
    .attr('data-index', (d) => d.index)
    .attr('data-pos', (d) => d.pos)
    .attr('data-frame', (d) => d.frame)
    .attr('data-kind', (d) => d.kind)
    .attr('aria-label', (d) => d.title)
    .attr('aria-selected', (d) => (d.pos === selectedPos ? 'true' : 'false'));
  g.select('rect.hit')
    .attr('x', (d) => d.hit.x)
    .attr('y', (d) => d.hit.y)
    .attr('width', (d) => d.hit.width)
    .attr('height', (d) => d.hit.height);
  g.select('path.hitline').attr('d', (d) => d.shaft);
  g.select('path.shaft').attr('d', (d) => d.shaft);
  g.select('path.head').attr('d', (d) => d.head || null);
  g.select('path.cross').attr('d', (d) => d.cross || null);
  g.select('text.label')
    .attr('x', (d) => d.labelX)
    .attr('y', (d) => d.labelY)
    .attr('transform', (d) => (d.angle ? `rotate(${d.angle} ${d.labelX} ${d.labelY})` : null))
    .attr('display', (d) => (d.showLabels ? null : 'none'));
  g.select('tspan.flags').text((d) => d.flagsText);
  g.select('tspan.nums').text((d) => d.numbersText);
  g.select('text.note')
    .attr('x', (d) => d.labelX)
    .attr('y', (d) => d.noteY)
    .attr('transform', (d) => (d.angle ? `rotate(${d.angle} ${d.labelX} ${d.noteY})` : null))
    .attr('display', (d) => (d.showLabels && d.noteText ? null : 'none'))
    .text((d) => d.noteText);
  g.select('text.tags')
    .attr('x', (d) => d.labelX)
    .attr('y', (d) => d.tagsY)
    .attr('transform', (d) => (d.angle ? `rotate(${d.angle} ${d.labelX} ${d.tagsY})` : null))
    .attr('class', (d) => `tags tag-${tagLevel(d)}`)
    .attr('display', (d) => (d.showLabels && d.tags.length ? null : 'none'))
    .text((d) => d.tags.map((t) => t.text).join(' · '));
  g.select('text.time')
    .attr('y', (d) => d.timeY)
    .attr('display', (d) => (d.showLabels ? null : 'none'))
    .text((d) => d.timeText);
  g.select('text.frame')
    .attr('y', (d) => d.timeY + 13)
    .attr('display', (d) => (d.showLabels ? null : 'none'))
    .text((d) => d.frameText);
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

    const { start, end } = rowsInView(layout, top, rowsHeight, 6);
    if (
      last.layout === layout &&
      last.rows === rows &&
      last.start === start &&
      last.end === end &&
      last.selected === selectedPos
    ) {
      return;
    }
    last = { layout, rows, start, end, selected: selectedPos };
    // Keyed join; rows that leave the view lend their elements to rows that enter it (scrolling
    // then costs attribute updates, not new nodes), and rows that stay keep theirs.
    const joined = rowsG
      .selectAll<SVGGElement, ArrowLayout>('g.arrow')
      .data(arrowsInRange(layout, rows, start, end), (d) => d.key);
    const spare = joined.exit<ArrowLayout>().nodes() as SVGGElement[];
    const entering = joined.enter().data();
    let k = 0;
    for (; k < entering.length && k < spare.length; k++) select(spare[k]).datum(entering[k]);
    for (; k < spare.length; k++) spare[k].remove();
    const fresh = entering.slice(Math.min(entering.length, spare.length));
    if (fresh.length) {
      const g = rowsG
        .selectAll<SVGGElement, ArrowLayout>('g.fresh')
        .data(fresh)
        .enter()
        .append('g')
        .attr('class', 'arrow');
      buildArrow(g);
    }
    rowsG
      .selectAll<SVGGElement, ArrowLayout>('g.arrow')
      .sort((a, b) => a.pos - b.pos)
      .call((g) => updateArrow(g, selectedPos));
  }

  function destroy(): void {
    rowsG.on('click', null).on('pointerover', null).on('pointerleave', null);
    window.removeEventListener('pointermove', onMove);
    window.removeEventListener('pointerup', onUp);
    svg.selectAll('*').remove();
  }

  return { draw, destroy };
}
