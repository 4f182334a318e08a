/**
 * Pure ladder layout: a session's endpoints and segment rows in, plain
 * geometry out — two lifelines (x, address:port, role), a y position per row,
 * and for any row its arrow (shaft, head, hit box), label text (flags,
 * relative or absolute seq/ack, length, options on SYN and SYN-ACK), kind for
 * colouring and each endpoint's state after the segment beside its lifeline.
 * Following Observable Plot's data → scales → geometry → draw split, nothing
 * here touches the DOM: the renderer's D3 code only copies these numbers into
 * SVG attributes, the tests pin them with snapshots, and a headless exporter
 * can reuse them. Row positions are computed for every row once (a
 * Float64Array, cheap at 100,000 rows); arrows and labels are computed only
 * for the rows in view (`rowsInView` + `arrowFor`), which is what keeps a huge
 * session smooth. `compact` mode is one row per segment, as Wireshark's flow
 * graph; `time-true` spaces rows by elapsed time (clamped) — slanting arrows by
 * measured transit time is left for the ladder issue.
 */
import type { Endpoint, SegmentRow } from '../session';
import type { TcpState } from '../tcp';
import { TCP_FLAG, endpointLabel, flagsLabel, optionLabel } from '../tcp';

export type LadderMode = 'compact' | 'time-true';
export type LadderNumbers = 'relative' | 'absolute';
/** Colour classes: SYN (and SYN-ACK), FIN, RST, data, pure ACK, anything else. */
export type SegmentKind = 'syn' | 'fin' | 'rst' | 'data' | 'ack' | 'other';
export type LaneRole = 'client' | 'server' | 'peer';

export interface LadderOptions {
  mode: LadderMode;
  numbers: LadderNumbers;
  /** Width of the drawing; the layout never goes below `minWidth`. */
  width: number;
  minWidth: number;
  /** Row pitch in compact mode, and the least pitch in time-true mode. */
  rowHeight: number;
  /** Space above the first row and below the last. */
  padding: number;
  /** Left column for the time and frame number. */
  timeColumn: number;
  /** Space beside each lifeline, outside the pair, for the state text. */
  stateColumn: number;
  /** How far an arrow drops from sender to receiver (time passes in transit). */
  slant: number;
  /** Distance from a row's top to its arrow's start (room for the label above). */
  labelSpace: number;
  /** Arrow head length and half width. */
  headLength: number;
  headWidth: number;
  /** time-true: pixels per second of elapsed time, and the largest gap between two rows. */
  pxPerSecond: number;
  maxGap: number;
}

export const DEFAULT_LADDER_OPTIONS: Readonly<LadderOptions> = Object.freeze({
  mode: 'compact',
  numbers: 'relative',
  width: 900,
  minWidth: 720,
  rowHeight: 46,
  padding: 12,
  timeColumn: 76,
  stateColumn: 196,
  slant: 12,
  labelSpace: 18,
  headLength: 9,
  headWidth: 4,
  pxPerSecond: 2000,
  maxGap: 240,
});

export interface LaneLayout {
  side: 'a' | 'b';
  x: number;
  /** "10.0.0.1:443" or "[::1]:443". */
  label: string;
  role: LaneRole | null;
  /** "client", "server", "peer" or "endpoint A/B" when the capture missed the handshake. */
  roleLabel: string;
}

export interface LadderLayout {
  options: LadderOptions;
  width: number;
  lanes: [LaneLayout, LaneLayout];
  rowCount: number;
  /** Top of each row in content coordinates (0 = top of the scrolling area). */
  rowY: Float64Array;
  /** Height of the whole content. */
  height: number;
  /** Time of the first row (seconds since the epoch); times are shown relative to it. */
  t0: number;
}

export interface StateLabel {
  x: number;
  y: number;
  anchor: 'start' | 'end';
  state: TcpState;
  /** "SYN-SENT → ESTABLISHED" on a change, else the state alone. */
  text: string;
  changed: boolean;
}

export interface ArrowLayout {
  /** The join key: the segment's index in the session. */
  key: number;
  index: number;
  /** Position in the rows the layout was made from (equals `index` for a whole session). */
  pos: number;
  frame: number;
  dir: 'ab' | 'ba';
  kind: SegmentKind;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** SVG path of the shaft (stops at the head's base) and of the head (closed). */
  shaft: string;
  head: string;
  /** The clickable box of the whole row between the lifelines. */
  hit: { x: number; y: number; width: number; height: number };
  /** Label anchor (middle of the arrow, above it) and the arrow's angle in degrees. */
  labelX: number;
  labelY: number;
  optionsY: number;
  angle: number;
  flagsText: string;
  numbersText: string;
  /** Options on SYN and SYN-ACK ("MSS=1460 SACK_PERM WS=128"), else "". */
  optionsText: string;
  /** Relative time ("0.000123") and frame ("#4") at the left. */
  timeText: string;
  frameText: string;
  timeY: number;
  stateA: StateLabel;
  stateB: StateLabel;
  /** A one-line summary for a hover tooltip. */
  title: string;
}

const r1 = (n: number): number => Math.round(n * 10) / 10;

/** The colour class of a segment: RST, then SYN, then FIN, then data, then pure ACK. */
export function segmentKind(flags: number, len: number): SegmentKind {
  if (flags & TCP_FLAG.RST) return 'rst';
  if (flags & TCP_FLAG.SYN) return 'syn';
  if (flags & TCP_FLAG.FIN) return 'fin';
  if (len > 0) return 'data';
  if (flags & TCP_FLAG.ACK) return 'ack';
  return 'other';
}

/** The label of a segment: "SYN, ACK", "Seq=0 Ack=1 Len=0" and options on SYNs. */
export function segmentLabel(
  row: SegmentRow,
  numbers: LadderNumbers = 'relative',
): { flags: string; numbers: string; options: string } {
  const seqN = numbers === 'relative' ? row.relSeq : row.seq;
  const ackN = numbers === 'relative' ? row.relAck : row.ack;
  const hasAck = (row.flags & TCP_FLAG.ACK) !== 0;
  const nums = `Seq=${seqN}${hasAck ? ` Ack=${ackN}` : ''} Len=${row.len}`;
  const opts =
    row.flags & TCP_FLAG.SYN
      ? row.options
          .filter((o) => o.kind !== 'nop' && o.kind !== 'eol')
          .map(optionLabel)
          .join(' ')
      : '';
  return { flags: flagsLabel(row.flags), numbers: nums, options: opts };
}

/**
 * Roles from the opening segments: `a` sent the first SYN (the session model
 * guarantees it), so a pure SYN from `a` makes it the client; a pure SYN from
 * `b` as well before any SYN-ACK is a simultaneous open (both peers). No SYN
 * at all (capture started mid-stream): roles unknown.
 */
export function laneRoles(rows: readonly SegmentRow[]): [LaneRole | null, LaneRole | null] {
  let synA = false;
  let synB = false;
  const n = Math.min(rows.length, 32);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!(r.flags & TCP_FLAG.SYN)) continue;
    if (r.flags & TCP_FLAG.ACK) break;
    if (r.dir === 'ab') synA = true;
    else synB = true;
  }
  if (synA && synB) return ['peer', 'peer'];
  if (synA) return ['client', 'server'];
  if (synB) return ['server', 'client'];
  return [null, null];
}

function resolveOptions(opts: Partial<LadderOptions> | undefined): LadderOptions {
  return { ...DEFAULT_LADDER_OPTIONS, ...opts };
}

function fillRowY(rowY: Float64Array, rows: readonly SegmentRow[], from: number, o: LadderOptions): void {
  for (let i = from; i < rows.length; i++) {
    if (i === 0) {
      rowY[0] = o.padding;
      continue;
    }
    let gap = o.rowHeight;
    if (o.mode === 'time-true') {
      const dt = Math.max(0, rows[i].time - rows[i - 1].time);
      gap = Math.min(o.maxGap, Math.max(o.rowHeight, dt * o.pxPerSecond));
    }
    rowY[i] = rowY[i - 1] + gap;
  }
}

function contentHeight(rowY: Float64Array, count: number, o: LadderOptions): number {
  return count === 0 ? o.padding * 2 : rowY[count - 1] + o.rowHeight + o.padding;
}

/** Lays out the lifelines and every row's position. */
export function layoutLadder(
  endpoints: { a: Endpoint; b: Endpoint },
  rows: readonly SegmentRow[],
  options?: Partial<LadderOptions>,
): LadderLayout {
  const o = resolveOptions(options);
  const width = Math.max(o.minWidth, Math.floor(o.width));
  const [roleA, roleB] = laneRoles(rows);
  const lanes: [LaneLayout, LaneLayout] = [
    {
      side: 'a',
      x: o.timeColumn + o.stateColumn,
      label: endpointLabel(endpoints.a.ip, endpoints.a.port),
      role: roleA,
      roleLabel: roleA ?? 'endpoint A',
    },
    {
      side: 'b',
      x: width - o.stateColumn,
      label: endpointLabel(endpoints.b.ip, endpoints.b.port),
      role: roleB,
      roleLabel: roleB ?? 'endpoint B',
    },
  ];
  const rowY = new Float64Array(rows.length);
  fillRowY(rowY, rows, 0, o);
  return {
    options: o,
    width,
    lanes,
    rowCount: rows.length,
    rowY,
    height: contentHeight(rowY, rows.length, o),
    t0: rows.length ? rows[0].time : 0,
  };
}

/**
 * The layout after rows were appended to the same session: earlier rows keep
 * their positions (so their drawn elements stay put); only the new rows are
 * placed. Falls back to a full layout when roles may still change.
 */
export function extendLadder(
  layout: LadderLayout,
  endpoints: { a: Endpoint; b: Endpoint },
  rows: readonly SegmentRow[],
): LadderLayout {
  if (rows.length < layout.rowCount || layout.rowCount < 32) {
    return layoutLadder(endpoints, rows, layout.options);
  }
  if (rows.length === layout.rowCount) return layout;
  const o = layout.options;
  let rowY = layout.rowY;
  if (rowY.length < rows.length) {
    rowY = new Float64Array(Math.max(rows.length, Math.ceil(layout.rowY.length * 1.5)));
    rowY.set(layout.rowY.subarray(0, layout.rowCount));
  }
  fillRowY(rowY, rows, layout.rowCount, o);
  return { ...layout, rowY, rowCount: rows.length, height: contentHeight(rowY, rows.length, o) };
}

/** First row whose top is at or below `y` (binary search over row positions). */
export function rowAtY(layout: LadderLayout, y: number): number {
  let lo = 0;
  let hi = layout.rowCount;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (layout.rowY[mid] + layout.options.rowHeight <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The half-open range of rows that intersect `[top, top + height)`, widened by `overscan` rows each way. */
export function rowsInView(
  layout: LadderLayout,
  top: number,
  height: number,
  overscan = 4,
): { start: number; end: number } {
  if (layout.rowCount === 0) return { start: 0, end: 0 };
  const start = Math.max(0, rowAtY(layout, top) - overscan);
  const last = rowAtY(layout, top + height);
  const end = Math.min(layout.rowCount, last + 1 + overscan);
  return { start, end };
}

function stateLabel(
  x: number,
  y: number,
  anchor: 'start' | 'end',
  state: TcpState,
  prev: TcpState | undefined,
): StateLabel {
  const changed = prev === undefined || prev !== state;
  const text = prev !== undefined && prev !== state ? `${prev} → ${state}` : state;
  return { x, y, anchor, state, text, changed };
}

function fmtTime(dt: number): string {
  return dt.toFixed(6);
}

/**
 * The arrow of the row at position `i` of `rows` (the rows the layout was made
 * from); the row before it gives the state changes.
 */
export function arrowFor(layout: LadderLayout, rows: readonly SegmentRow[], i: number): ArrowLayout {
  const o = layout.options;
  const [la, lb] = layout.lanes;
  const row = rows[i];
  const prev = i > 0 ? rows[i - 1] : undefined;
  const top = layout.rowY[i];
  const fromX = row.dir === 'ab' ? la.x : lb.x;
  const toX = row.dir === 'ab' ? lb.x : la.x;
  const y1 = top + o.labelSpace;
  const y2 = y1 + o.slant;
  const dx = toX - fromX;
  const dy = y2 - y1;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const bx = toX - ux * o.headLength;
  const by = y2 - uy * o.headLength;
  const px = -uy * o.headWidth;
  const py = ux * o.headWidth;
  const shaft = `M${r1(fromX)},${r1(y1)}L${r1(bx)},${r1(by)}`;
  const head = `M${r1(toX)},${r1(y2)}L${r1(bx + px)},${r1(by + py)}L${r1(bx - px)},${r1(by - py)}Z`;
  const label = segmentLabel(row, o.numbers);
  const angle = (Math.atan2(dy, dx) * 180) / Math.PI;
  // Keep text upright: for right-to-left arrows read the angle the other way round.
  const textAngle = dx >= 0 ? angle : angle - 180;
  const midX = (fromX + toX) / 2;
  const midY = (y1 + y2) / 2;
  // The sender's state changes when it sends (at the arrow's start), the receiver's when it receives (at its end).
  const yA = (row.dir === 'ab' ? y1 : y2) + 4;
  const yB = (row.dir === 'ab' ? y2 : y1) + 4;
  const time = fmtTime(row.time - layout.t0);
  const sender = row.dir === 'ab' ? 'A→B' : 'B→A';
  const title =
    `#${row.frame} ${sender} ${label.flags} ${label.numbers} Win=${row.win}` +
    (label.options ? ` ${label.options}` : '') +
    (row.analysis.length ? ` [${row.analysis.join(', ')}]` : '') +
    ` · t=${time}s`;
  return {
    key: row.index,
    index: row.index,
    pos: i,
    frame: row.frame,
    dir: row.dir,
    kind: segmentKind(row.flags, row.len),
    x1: r1(fromX),
    y1: r1(y1),
    x2: r1(toX),
    y2: r1(y2),
    shaft,
    head,
    hit: { x: r1(la.x), y: r1(top), width: r1(lb.x - la.x), height: r1(o.rowHeight) },
    labelX: r1(midX),
    labelY: r1(midY - 5),
    optionsY: r1(midY + 14),
    angle: r1(textAngle),
    flagsText: label.flags,
    numbersText: label.numbers,
    optionsText: label.options,
    timeText: time,
    frameText: `#${row.frame}`,
    timeY: r1(y1 + 4),
    stateA: stateLabel(r1(la.x - 8), r1(yA), 'end', row.stateA, prev?.stateA),
    stateB: stateLabel(r1(lb.x + 8), r1(yB), 'start', row.stateB, prev?.stateB),
    title,
  };
}

/** Arrows of the rows at positions `[start, end)`. */
export function arrowsInRange(
  layout: LadderLayout,
  rows: readonly SegmentRow[],
  start: number,
  end: number,
): ArrowLayout[] {
  const out: ArrowLayout[] = [];
  const stop = Math.min(end, layout.rowCount, rows.length);
  for (let i = Math.max(0, start); i < stop; i++) out.push(arrowFor(layout, rows, i));
  return out;
}

/** The scroll position that brings row `index` into a viewport of `height` at `top`, or `top` if it is already in view. */
export function scrollToRow(layout: LadderLayout, index: number, top: number, height: number): number {
  if (index < 0 || index >= layout.rowCount) return top;
  const y = layout.rowY[index];
  const bottom = y + layout.options.rowHeight;
  if (y < top) return Math.max(0, y - layout.options.padding);
  if (bottom > top + height) return Math.max(0, bottom - height + layout.options.padding);
  return top;
}
