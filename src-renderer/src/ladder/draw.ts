/**
 * D3 drawing of a ladder into one SVG element, from the pure geometry of
 * `src-shared/ladder/layout`. The SVG is the size of the viewport: a fixed
 * header (lane labels) over a body group translated by the scroll position, in
 * which only the rows in view are drawn, joined by segment index so elements
 * of rows that stay in view (or were appended) are kept, not rebuilt. Every
 * coordinate comes from the layout; nothing is measured back from the DOM.
 * Colours and fonts come from CSS classes (`kind-syn`, `selected`, …) so the
 * light and dark themes live in the stylesheet.
 */
import { select, type Selection } from 'd3';
import type { ArrowLayout, LadderLayout } from '../../../src-shared/ladder/layout';
import { arrowsInRange, rowsInView } from '../../../src-shared/ladder/layout';
import type { SegmentRow } from '../../../src-shared/session';

/** Height of the lane header at the top of the drawing. */
export const HEADER_HEIGHT = 46;

export interface LadderViewport {
  /** Scroll position: content y at the top of the rows area. */
  top: number;
  /** Height of the whole SVG (header included). */
  height: number;
}

export interface LadderDrawing {
  draw(
    layout: LadderLayout,
    rows: readonly SegmentRow[],
    view: LadderViewport,
    selectedPos: number | null,
  ): void;
  destroy(): void;
}

type ArrowSel = Selection<SVGGElement, ArrowLayout, SVGGElement, unknown>;

function buildArrow(g: ArrowSel): void {
  g.attr('data-testid', 'ladder-arrow');
  g.append('title');
  g.append('rect').attr('class', 'hit');
  g.append('path').attr('class', 'shaft');
  g.append('path').attr('class', 'head');
  const label = g.append('text').attr('class', 'label').attr('text-anchor', 'middle');
  label.append('tspan').attr('class', 'flags');
  label.append('tspan').attr('class', 'nums').attr('dx', '0.6em');
  g.append('text').attr('class', 'opts').attr('text-anchor', 'middle');
  g.append('text').attr('class', 'state state-a').attr('text-anchor', 'end');
  g.append('text').attr('class', 'state state-b').attr('text-anchor', 'start');
  g.append('text').attr('class', 'time').attr('x', 8);
  g.append('text').attr('class', 'frame').attr('x', 8);
}

function updateArrow(g: ArrowSel, selectedPos: number | null): void {
  g.attr('class', (d) => `arrow kind-${d.kind} dir-${d.dir}${d.pos === selectedPos ? ' selected' : ''}`)
    .attr('data-index', (d) => d.index)
    .attr('data-frame', (d) => d.frame)
    .attr('aria-label', (d) => d.title)
    .attr('aria-selected', (d) => (d.pos === selectedPos ? 'true' : 'false'));
  g.select('title').text((d) => d.title);
  g.select('rect.hit')
    .attr('x', (d) => d.hit.x)
    .attr('y', (d) => d.hit.y)
    .attr('width', (d) => d.hit.width)
    .attr('height', (d) => d.hit.height);
  g.select('path.shaft').attr('d', (d) => d.shaft);
  g.select('path.head').attr('d', (d) => d.head);
  g.select('text.label')
    .attr('x', (d) => d.labelX)
    .attr('y', (d) => d.labelY)
    .attr('transform', (d) => `rotate(${d.angle} ${d.labelX} ${d.labelY})`);
  g.select('tspan.flags').text((d) => d.flagsText);
  g.select('tspan.nums').text((d) => d.numbersText);
  g.select('text.opts')
    .attr('x', (d) => d.labelX)
    .attr('y', (d) => d.optionsY)
    .attr('transform', (d) => `rotate(${d.angle} ${d.labelX} ${d.optionsY})`)
    .text((d) => d.optionsText);
  g.select('text.state-a')
    .attr('x', (d) => d.stateA.x)
    .attr('y', (d) => d.stateA.y)
    .classed('changed', (d) => d.stateA.changed)
    .text((d) => d.stateA.text);
  g.select('text.state-b')
    .attr('x', (d) => d.stateB.x)
    .attr('y', (d) => d.stateB.y)
    .classed('changed', (d) => d.stateB.changed)
    .text((d) => d.stateB.text);
  g.select('text.time')
    .attr('y', (d) => d.timeY)
    .text((d) => d.timeText);
  g.select('text.frame')
    .attr('y', (d) => d.timeY + 13)
    .text((d) => d.frameText);
}

/** Sets up the SVG's groups and returns the drawing; `onSelect` gets a clicked row's position. */
export function createLadderDrawing(svgEl: SVGSVGElement, onSelect: (pos: number) => void): LadderDrawing {
  const svg = select(svgEl);
  svg.selectAll('*').remove();
  const body = svg.append('g').attr('class', 'body');
  const lifelines = body.append('g').attr('class', 'lifelines');
  const rowsG = body.append('g').attr('class', 'rows');
  const header = svg.append('g').attr('class', 'header');
  header.append('rect').attr('class', 'header-bg').attr('x', 0).attr('y', 0).attr('height', HEADER_HEIGHT);
  header.append('text').attr('class', 'time-head').attr('x', 8).attr('y', 28).text('time (s)');

  rowsG.on('click', (ev: MouseEvent) => {
    const target = ev.target as Element | null;
    const g = target?.closest?.('g.arrow');
    if (!g) return;
    const d = select<Element, ArrowLayout>(g).datum();
    if (d) onSelect(d.pos);
  });

  let last: {
    layout: LadderLayout | null;
    rows: readonly SegmentRow[] | null;
    start: number;
    end: number;
    selected: number | null;
    width: number;
  } = { layout: null, rows: null, start: -1, end: -1, selected: null, width: -1 };

  function drawHeader(layout: LadderLayout): void {
    header.select('rect.header-bg').attr('width', layout.width);
    header
      .selectAll<SVGGElement, LadderLayout['lanes'][number]>('g.lane')
      .data(layout.lanes, (d) => d.side)
      .join((enter) => {
        const g = enter.append('g').attr('class', (d) => `lane lane-${d.side}`);
        g.append('text').attr('class', 'role').attr('text-anchor', 'middle').attr('y', 17);
        g.append('text').attr('class', 'addr').attr('text-anchor', 'middle').attr('y', 35);
        return g;
      })
      .attr('transform', (d) => `translate(${d.x},0)`)
      .call((g) => g.select('text.role').text((d) => d.roleLabel))
      .call((g) => g.select('text.addr').text((d) => d.label));
  }

  function draw(
    layout: LadderLayout,
    rows: readonly SegmentRow[],
    view: LadderViewport,
    selectedPos: number | null,
  ): void {
    const rowsHeight = Math.max(0, view.height - HEADER_HEIGHT);
    svg.attr('width', layout.width).attr('height', view.height);
    body.attr('transform', `translate(0,${HEADER_HEIGHT - view.top})`);
    if (last.layout !== layout || last.width !== layout.width) drawHeader(layout);

    lifelines
      .selectAll<SVGLineElement, LadderLayout['lanes'][number]>('line')
      .data(layout.lanes, (d) => d.side)
      .join('line')
      .attr('class', (d) => `lifeline lifeline-${d.side}`)
      .attr('x1', (d) => d.x)
      .attr('x2', (d) => d.x)
      .attr('y1', view.top)
      .attr('y2', view.top + rowsHeight);

    const { start, end } = rowsInView(layout, view.top, rowsHeight, 6);
    const same =
      last.layout === layout &&
      last.rows === rows &&
      last.start === start &&
      last.end === end &&
      last.selected === selectedPos;
    if (same) return;
    last = { layout, rows, start, end, selected: selectedPos, width: layout.width };

    const arrows = arrowsInRange(layout, rows, start, end);
    rowsG
      .selectAll<SVGGElement, ArrowLayout>('g.arrow')
      .data(arrows, (d) => d.key)
      .join(
        (enter) => {
          const g = enter.append('g');
          buildArrow(g);
          return g;
        },
        (update) => update,
        (exit) => exit.remove(),
      )
      .call((g) => updateArrow(g, selectedPos))
      .order();
  }

  function destroy(): void {
    rowsG.on('click', null);
    svg.selectAll('*').remove();
  }

  return { draw, destroy };
}
