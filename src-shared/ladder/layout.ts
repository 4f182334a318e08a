/**
 * Pure ladder layout: lifelines and segment rows in, plain geometry out —
 * N lifelines (x, address:port, role), a y position per row, where each arrow
 * leaves its sender and reaches its receiver, every endpoint's state between
 * segments as bands with each change annotated (`SYN-SENT → ESTABLISHED`),
 * and for any row its arrow (shaft, head or the ✕ of a lost segment, hit
 * box), labels that teach (flags, relative or absolute seq/ack with the ISN
 * mapping on SYNs, length, window, options on SYN and SYN-ACK, analysis tags)
 * and its colour class. Following Observable Plot's data → scales → geometry
 * → draw split, nothing here touches the DOM: the renderer's D3 code and the
 * SVG string renderer (`svg.ts`) only copy these numbers, the tests pin them
 * with snapshots. What the zoom does not change (lanes, time scale, each
 * row's lanes, time-true positions at zoom 1, the state changes) is a base
 * laid out once, in typed arrays, and grown when rows are appended; a zoom
 * step only scales it (compact rows are at `padding + i × pitch`), so zooming
 * and scrolling a 100,000-row session never touch every row. Arrows are built
 * only for the rows in view. Two time modes:
 * `compact` (one row per segment, as Wireshark's flow graph) and `time-true`
 * (rows spaced by elapsed time, clamped, and arrows slanted by transit time:
 * `arrive` when known, else for captures the one-way delay from the handshake
 * RTT measured at the capture point). `zoom` scales the time axis.
 */
import type { Endpoint, SegmentAnalysis, SegmentRow } from '../session';
import type { TcpState } from '../tcp';
import { TCP_FLAG, endpointLabel, flagsLabel, optionLabel } from '../tcp';

export type LadderMode = 'compact' | 'time-true';
export type LadderNumbers = 'relative' | 'absolute';
/** Colour classes: SYN (and SYN-ACK), FIN, RST, data, pure ACK, anything else. */
export type SegmentKind = 'syn' | 'fin' | 'rst' | 'data' | 'ack' | 'other';
export const SEGMENT_KINDS: readonly SegmentKind[] = ['syn', 'fin', 'rst', 'data', 'ack', 'other'];
export type LaneRole = 'client' | 'server' | 'peer';

/**
 * A row of a ladder. Single-session ladders use plain `SegmentRow`s (lanes
 * `a` and `b`); a diagram of several sessions tags each row with its session
 * and the lane ids of the session's endpoints a and b.
 */
export interface LadderRow extends SegmentRow {
  session?: number;
  laneA?: string;
  laneB?: string;
}

/** A lifeline to draw, in display order (multi-session diagrams). */
export interface LaneSpec {
  id: string;
  /** "10.0.0.1:443", or a host "10.0.0.1". */
  label: string;
  role?: LaneRole | null;
  /** Text above the address ("scanner", "client"); defaults to the role. */
  roleLabel?: string;
}

/** Two endpoints of one session, or lanes in display order. */
export type LadderParticipants = { a: Endpoint; b: Endpoint } | readonly LaneSpec[];

export interface LadderOptions {
  mode: LadderMode;
  numbers: LadderNumbers;
  /** Width of the drawing; the layout never goes below `minWidth` (nor below what N lanes need). */
  width: number;
  minWidth: number;
  /** Row pitch in compact mode, and the least pitch in time-true mode (before zoom). */
  rowHeight: number;
  /** Space above the first row and below the last. */
  padding: number;
  /** Left column for the time and frame number. */
  timeColumn: number;
  /** Space outside the outer lifelines for the state annotations. */
  stateColumn: number;
  /** Least distance between two lifelines. */
  minLaneGap: number;
  /** How far an arrow drops from sender to receiver in compact mode. */
  slant: number;
  /** Distance from a row's top to its arrow's start (room for the label above). */
  labelSpace: number;
  headLength: number;
  headWidth: number;
  /** time-true: pixels per second (null: chosen so one round trip spans about three rows). */
  pxPerSecond: number | null;
  /** time-true: the largest gap between two rows (before zoom). */
  maxGap: number;
  /** Vertical scale: row pitch and pixels per second are multiplied by it. */
  zoom: number;
  /** Width of a state band on a lifeline. */
  bandWidth: number;
  /** Where a capture was taken ('auto': inferred from the handshake's timing). */
  captureSide: 'auto' | 'a' | 'b' | 'none';
}

export const DEFAULT_LADDER_OPTIONS: Readonly<LadderOptions> = Object.freeze({
  mode: 'compact',
  numbers: 'relative',
  width: 900,
  minWidth: 720,
  rowHeight: 54,
  padding: 14,
  timeColumn: 76,
  stateColumn: 196,
  minLaneGap: 170,
  slant: 12,
  labelSpace: 20,
  headLength: 9,
  headWidth: 4,
  pxPerSecond: null,
  maxGap: 240,
  zoom: 1,
  bandWidth: 8,
  captureSide: 'auto',
});

/** Zoom bounds for the UI and the layout. */
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 8;
/** Below this row pitch, labels are left out and only arrows are drawn. */
export const LABEL_PITCH = 40;

export interface LaneLayout {
  id: string;
  /** 'a'/'b' in a two-lane (single-session) ladder. */
  side: 'a' | 'b' | null;
  x: number;
  label: string;
  role: LaneRole | null;
  roleLabel: string;
  /** The capture was taken beside this lifeline (time-true mode, captures). */
  captured: boolean;
}

/** An endpoint's state between two changes, drawn as a band on its lifeline. */
export interface StateBand {
  lane: number;
  session: number;
  side: 'a' | 'b';
  state: TcpState;
  y1: number;
  y2: number;
}

/** A state change, annotated beside the lifeline where it happens. */
export interface StateChange {
  lane: number;
  session: number;
  side: 'a' | 'b';
  /** Position of the row that caused it. */
  pos: number;
  from: TcpState | null;
  to: TcpState;
  /** "SYN-SENT → ESTABLISHED", or the first state alone. */
  text: string;
  x: number;
  y: number;
  anchor: 'start' | 'end';
}

export interface LadderTiming {
  /** Pixels per second actually used (before zoom); 0 in compact mode. */
  pxPerSecond: number;
  /** The side the capture was taken on, when known (captures in time-true mode). */
  captureSide: 'a' | 'b' | null;
  /** The handshake round trip seen at the capture point, seconds. */
  rtt: number | null;
}

export interface LadderLayout {
  options: LadderOptions;
  width: number;
  lanes: LaneLayout[];
  rowCount: number;
  /** Row pitch after zoom; labels are drawn when it is at least LABEL_PITCH. */
  pitch: number;
  showLabels: boolean;
  /** Distance from a row's top to where a flat arrow leaves (room for the label above). */
  labelOffset: number;
  /** How far a flat arrow drops from sender to receiver. */
  arrowDrop: number;
  /**
   * Top of each row in content coordinates (0 = top of the scrolling area),
   * and where each arrow leaves its sender and reaches its receiver: typed
   * arrays made on first read (O(rows), for exports and tests). Code that
   * runs per frame reads single rows with `rowTop`, `sendAt` and `arriveAt`.
   */
  readonly rowY: Float64Array;
  readonly sendY: Float64Array;
  readonly arriveY: Float64Array;
  /** Lane indices of each row's sender and receiver. */
  fromLane: Uint16Array;
  toLane: Uint16Array;
  height: number;
  /** Time of the first row (seconds since the epoch); times are shown relative to it. */
  t0: number;
  timing: LadderTiming;
  bands: StateBand[];
  /** Sorted by y. */
  changes: StateChange[];
  /** What the zoom does not change, shared by the layouts of the same rows at every zoom. */
  base: LadderBase;
}

export interface ArrowTag {
  text: string;
  level: 'info' | 'warn' | 'bad';
}

export interface ArrowLayout {
  /** The join key: unique per row across sessions. */
  key: string;
  index: number;
  session: number;
  /** Position in the rows the layout was made from. */
  pos: number;
  frame: number;
  dir: 'ab' | 'ba';
  kind: SegmentKind;
  dropped: boolean;
  injected: boolean;
  /** Retransmissions and injected segments are dashed. */
  dashed: boolean;
  /** Start, and where the drawn arrow ends (half way for a lost segment). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  shaft: string;
  /** Closed arrow head, or "" for a lost segment. */
  head: string;
  /** The ✕ where a lost segment stops, or "". */
  cross: string;
  /** The clickable box of the row between its lifelines. */
  hit: { x: number; y: number; width: number; height: number };
  /** Label anchor (middle of the arrow, above it) and the angle of the text in degrees. */
  labelX: number;
  labelY: number;
  angle: number;
  flagsText: string;
  numbersText: string;
  /** Options on SYN and SYN-ACK ("MSS=1460 SACK_PERM WS=128"), else "". */
  optionsText: string;
  /** The ISN mapping on SYNs: "ISN 3,014,555,221 → 0" (relative) or "ISN 3,014,555,221". */
  isnText: string;
  /** The line under the arrow: ISN mapping and options. */
  noteText: string;
  noteY: number;
  /** Analysis flags, injected, lost. */
  tags: ArrowTag[];
  tagsY: number;
  /** Why the sender sent it (simulations), else "". */
  explainText: string;
  /** Relative time ("0.000123") and frame ("#4") at the left. */
  timeText: string;
  frameText: string;
  timeY: number;
  /** A one-line summary for a hover tooltip and the accessible name. */
  title: string;
  showLabels: boolean;
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

/** Colour groups of the RFC 9293 states, for the bands on the lifelines. */
export type StateGroup = 'closed' | 'listen' | 'opening' | 'established' | 'closing' | 'time-wait';

export function stateGroup(s: TcpState): StateGroup {
  switch (s) {
    case 'CLOSED':
      return 'closed';
    case 'LISTEN':
      return 'listen';
    case 'SYN-SENT':
    case 'SYN-RECEIVED':
      return 'opening';
    case 'ESTABLISHED':
      return 'established';
    case 'TIME-WAIT':
      return 'time-wait';
    default:
      return 'closing';
  }
}

/** 3014555221 → "3,014,555,221" (no locale: the same text everywhere). */
export function groupDigits(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? `-${out}` : out;
}

/** The sender's ISN as the relative numbers imply it (seq − relSeq mod 2^32). */
export function rowIsn(row: SegmentRow): number {
  return (row.seq - row.relSeq) >>> 0;
}

/** The label of a segment: "SYN, ACK", "Seq=0 Ack=1 Len=0 Win=64240", options and ISN mapping on SYNs. */
export function segmentLabel(
  row: SegmentRow,
  numbers: LadderNumbers = 'relative',
): { flags: string; numbers: string; options: string; isn: string } {
  const seqN = numbers === 'relative' ? row.relSeq : row.seq;
  const ackN = numbers === 'relative' ? row.relAck : row.ack;
  const hasAck = (row.flags & TCP_FLAG.ACK) !== 0;
  const isSyn = (row.flags & TCP_FLAG.SYN) !== 0;
  const nums = `Seq=${seqN}${hasAck ? ` Ack=${ackN}` : ''} Len=${row.len} Win=${row.win}`;
  const opts = isSyn
    ? row.options
        .filter((o) => o.kind !== 'nop' && o.kind !== 'eol')
        .map((o) => (o.kind === 'timestamps' ? 'TS' : optionLabel(o)))
        .join(' ')
    : '';
  let isn = '';
  if (isSyn) {
    const v = groupDigits(rowIsn(row));
    isn = numbers === 'relative' ? `ISN ${v} → ${row.relSeq}` : `ISN ${v}`;
  }
  return { flags: flagsLabel(row.flags), numbers: nums, options: opts, isn };
}

const ANALYSIS_TAGS: Record<SegmentAnalysis, ArrowTag> = {
  retransmission: { text: 'retransmission', level: 'warn' },
  'spurious-retransmission': { text: 'spurious retransmission', level: 'warn' },
  'out-of-order': { text: 'out of order', level: 'warn' },
  'dup-ack': { text: 'dup ACK', level: 'warn' },
  'zero-window': { text: 'zero window', level: 'warn' },
  'zero-window-probe': { text: 'zero-window probe', level: 'info' },
  'window-update': { text: 'window update', level: 'info' },
  'window-full': { text: 'window full', level: 'warn' },
  'keep-alive': { text: 'keep-alive', level: 'info' },
  'keep-alive-ack': { text: 'keep-alive ACK', level: 'info' },
  'lost-segment': { text: 'previous segment not captured', level: 'warn' },
  'acked-unseen': { text: 'ACKs a segment not captured', level: 'warn' },
  'rst-exact': { text: 'RST at RCV.NXT: accepted', level: 'bad' },
  'rst-in-window': { text: 'RST in window, not exact: challenge ACK', level: 'warn' },
  'rst-out-of-window': { text: 'RST out of window: ignored', level: 'info' },
  'challenge-ack': { text: 'challenge ACK (RFC 5961)', level: 'warn' },
  'bad-checksum': { text: 'bad checksum', level: 'bad' },
};

/** The tags shown under an arrow: analysis flags, then injected and lost. */
export function rowTags(row: SegmentRow): ArrowTag[] {
  const out = row.analysis.map((a) => ANALYSIS_TAGS[a] ?? { text: a, level: 'info' as const });
  if (row.injected) out.push({ text: 'injected', level: 'info' });
  if (row.dropped) out.push({ text: 'lost', level: 'bad' });
  return out;
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

/**
 * Where a capture was taken, from the handshake's timing: at the client the
 * SYN → SYN-ACK gap is a round trip and the final ACK follows at once; at the
 * server the SYN-ACK follows at once and SYN-ACK → ACK is the round trip.
 * A refused or unanswered handshake is taken as seen at the client.
 */
export function captureTiming(rows: readonly SegmentRow[]): { side: 'a' | 'b'; rtt: number } | null {
  const n = Math.min(rows.length, 64);
  let syn = -1;
  for (let i = 0; i < n; i++) {
    const f = rows[i].flags;
    if (syn < 0 && f & TCP_FLAG.SYN && !(f & TCP_FLAG.ACK)) {
      syn = i;
      continue;
    }
    if (syn < 0 || rows[i].dir === rows[syn].dir) continue;
    // The first answer from the other side: SYN-ACK, or RST.
    const d1 = rows[i].time - rows[syn].time;
    const synSide = rows[syn].dir === 'ab' ? 'a' : 'b';
    const otherSide = synSide === 'a' ? 'b' : 'a';
    let d2 = -1;
    if ((f & TCP_FLAG.SYN) !== 0) {
      for (let k = i + 1; k < n; k++) {
        if (rows[k].dir === rows[syn].dir) {
          d2 = rows[k].time - rows[i].time;
          break;
        }
      }
    }
    if (d2 >= 0 && d2 > d1) return d2 > 0 ? { side: otherSide, rtt: d2 } : null;
    return d1 > 0 ? { side: synSide, rtt: d1 } : null;
  }
  return null;
}

function resolveOptions(opts: Partial<LadderOptions> | undefined): LadderOptions {
  const o = { ...DEFAULT_LADDER_OPTIONS, ...opts };
  o.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, o.zoom || 1));
  return o;
}

function isPair(p: LadderParticipants): p is { a: Endpoint; b: Endpoint } {
  return !Array.isArray(p);
}

function laneLayouts(
  p: LadderParticipants,
  rows: readonly SegmentRow[],
  o: LadderOptions,
): { lanes: LaneLayout[]; width: number } {
  let specs: Array<Omit<LaneLayout, 'x' | 'captured'>>;
  if (isPair(p)) {
    const [ra, rb] = laneRoles(rows);
    specs = [
      { id: 'a', side: 'a', label: endpointLabel(p.a.ip, p.a.port), role: ra, roleLabel: ra ?? 'endpoint A' },
      { id: 'b', side: 'b', label: endpointLabel(p.b.ip, p.b.port), role: rb, roleLabel: rb ?? 'endpoint B' },
    ];
  } else {
    specs = (p as readonly LaneSpec[]).map((l) => ({
      id: l.id,
      side: null,
      label: l.label,
      role: l.role ?? null,
      roleLabel: l.roleLabel ?? l.role ?? '',
    }));
  }
  const n = Math.max(1, specs.length);
  const left = o.timeColumn + o.stateColumn;
  const need = left + (n - 1) * o.minLaneGap + o.stateColumn;
  const width = Math.max(o.minWidth, Math.floor(o.width), need);
  const right = width - o.stateColumn;
  const step = n > 1 ? (right - left) / (n - 1) : 0;
  const lanes = specs.map((s, i) => ({
    ...s,
    x: r1(n > 1 ? left + i * step : (left + right) / 2),
    captured: false,
  }));
  return { lanes, width };
}

/** Median of up to 2,001 sampled positive gaps between consecutive row times, or 0. */
function medianGap(rows: readonly SegmentRow[]): number {
  const gaps: number[] = [];
  const step = Math.max(1, Math.floor(rows.length / 2000));
  for (let i = 1; i < rows.length; i += step) {
    const d = rows[i].time - rows[i - 1].time;
    if (d > 0) gaps.push(d);
  }
  if (!gaps.length) return 0;
  gaps.sort((x, y) => x - y);
  return gaps[gaps.length >> 1];
}

/** Median round trip implied by simulated arrival times (twice the one-way transit), or 0. */
function arriveRtt(rows: readonly SegmentRow[]): number {
  const d: number[] = [];
  for (let i = 0; i < rows.length && d.length < 200; i++) {
    const a = rows[i].arrive;
    if (a !== undefined && a > rows[i].time) d.push(2 * (a - rows[i].time));
  }
  if (!d.length) return 0;
  d.sort((x, y) => x - y);
  return d[d.length >> 1];
}

function resolveTiming(
  rows: readonly SegmentRow[],
  o: LadderOptions,
  previous: LadderLayout | undefined,
): LadderTiming {
  if (o.mode !== 'time-true') return { pxPerSecond: 0, captureSide: null, rtt: null };
  // Rows appended to a laid-out session keep the scale and capture side, so earlier rows stay put.
  if (previous && previous.options.mode === 'time-true' && previous.rowCount >= 3) return previous.timing;
  const simulated = rows.length > 0 && rows.some((r, i) => i < 64 && r.arrive !== undefined);
  let cap: { side: 'a' | 'b'; rtt: number } | null = null;
  if (!simulated) {
    if (o.captureSide === 'auto') cap = captureTiming(rows);
    else if (o.captureSide !== 'none') {
      const t = captureTiming(rows);
      cap = t ? { side: o.captureSide, rtt: t.rtt } : null;
    }
  }
  const rtt = simulated ? arriveRtt(rows) : (cap?.rtt ?? 0);
  let pps = o.pxPerSecond ?? 0;
  if (!pps) {
    if (rtt > 0) pps = (3 * o.rowHeight) / rtt;
    else {
      const g = medianGap(rows);
      pps = g > 0 ? (1.5 * o.rowHeight) / g : 2000;
    }
  }
  pps = Math.min(1e9, Math.max(1e-3, pps));
  return { pxPerSecond: pps, captureSide: cap?.side ?? null, rtt: rtt > 0 ? rtt : null };
}

/** A state change to annotate: where it happens (row, side, lane, at the send or the arrival end of the arrow). */
interface StateNote {
  pos: number;
  session: number;
  side: 'a' | 'b';
  from: TcpState | null;
  to: TcpState;
  lane: number;
  /** At the arrow's sending end (the side sent the row), else at its arrival. */
  atSend: boolean;
}

/**
 * What a ladder's geometry needs that the zoom does not change: lanes, time
 * scale, each row's sender and receiver lane, in time-true mode each row's
 * top and arrow ends at zoom 1 (`unit*`: pixels at zoom 1 below the padding,
 * label space left out — a zoomed position is `padding + zoom × unit`, plus
 * the label space for arrow ends), and the state changes in row order. The
 * layouts of every zoom step share one base, so a zoom step costs
 * O(state changes), not O(rows); compact mode keeps no per-row positions at
 * all (row i is at `padding + i × pitch`). Appending rows grows the base in
 * place (buffers double): a layout made before an append reads only its first
 * `rowCount` rows, which an append leaves as they were (but for the arrow
 * ends of the last rows, whose arrival the older layout had to extrapolate).
 */
export interface LadderBase {
  options: LadderOptions;
  lanes: LaneLayout[];
  width: number;
  timing: LadderTiming;
  t0: number;
  n: number;
  laneIndex: Map<string, number>;
  fromLane: Uint16Array;
  toLane: Uint16Array;
  /** time-true only (null in compact mode). */
  unitTop: Float64Array | null;
  /** time-true: arrow ends of slanted arrows; NaN where the arrow is drawn flat (row top + label space, + slant). */
  unitSend: Float64Array | null;
  unitArrive: Float64Array | null;
  /** time-true: the greatest unit arrow end of the slanted rows that an append cannot move, and the rows it can. */
  maxSlantStable: number;
  open: number[];
  /** time-true: the last row drawn flat, or −1. */
  lastFlat: number;
  /** time-true: room above the first row for arrows sent before it was captured (units). */
  lead: number;
  notes: StateNote[];
  /** The state pass, carried over between appends. */
  st: {
    prevA: Map<number, TcpState | undefined>;
    prevB: Map<number, TcpState | undefined>;
    cur: number;
    pa: TcpState | undefined;
    pb: TcpState | undefined;
    sessions: number;
    /** Last row of each session. */
    lastRow: Map<number, number>;
  };
}

function grow<T extends Float64Array | Uint16Array>(a: T, need: number): T {
  if (a.length >= need) return a;
  const b = new (a.constructor as { new (n: number): T })(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

/** Send and arrival time of row `i`'s arrow (time-true), or null when it is drawn flat at the row. */
function arrowTimes(r: LadderRow, timing: LadderTiming): [number, number] | null {
  if (r.arrive !== undefined) return [r.time, Math.max(r.time, r.arrive)];
  const oneWay = timing.rtt !== null ? timing.rtt / 2 : 0;
  if (timing.captureSide && oneWay > 0) {
    const atCapture = (r.dir === 'ab' ? 'a' : 'b') === timing.captureSide;
    const s = atCapture ? r.time : r.time - oneWay;
    const a = atCapture ? r.time + oneWay : r.time;
    return s !== a ? [s, a] : null;
  }
  return null;
}

/** time-true: the room above the first row for arrows sent before it (units). */
function leadOf(rows: readonly LadderRow[], timing: LadderTiming, o: LadderOptions): number {
  const n = rows.length;
  if (!n) return 0;
  const t0 = rows[0].time;
  let minS = t0;
  for (let i = 0; i < Math.min(n, 64); i++)
    minS = Math.min(minS, arrowTimes(rows[i], timing)?.[0] ?? rows[i].time);
  return Math.min(o.maxGap, (t0 - minS) * timing.pxPerSecond);
}

/**
 * time-true, units: the y of time `t` on the rows' (time, top) anchors,
 * searching from row `hint` (arrows rarely reach far). Past the last row it
 * extrapolates at full scale.
 */
function unitYAt(
  rows: readonly LadderRow[],
  n: number,
  top: Float64Array,
  t: number,
  hint: number,
  pps: number,
  maxGap: number,
): number {
  let i = hint;
  if (rows[i].time > t) {
    let lo = 0;
    let hi = i;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (rows[mid].time <= t) lo = mid;
      else hi = mid - 1;
    }
    i = lo;
    // Before the first row: clamped at the top of the drawing when the layout is read.
    if (rows[i].time > t) return top[0] - Math.min(maxGap, (rows[0].time - t) * pps);
  } else {
    let step = 1;
    while (i + step < n && rows[i + step].time <= t) step *= 2;
    let lo = i + (step >> 1);
    let hi = Math.min(n - 1, i + step);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (rows[mid].time <= t) lo = mid;
      else hi = mid - 1;
    }
    i = lo;
  }
  const y = top[i];
  const u = t - rows[i].time;
  if (i === n - 1) return y + Math.min(maxGap, u * pps);
  const span = rows[i + 1].time - rows[i].time;
  if (span <= 0) return y;
  const g = top[i + 1] - top[i];
  if (span * pps <= g) return y + (u / span) * g;
  // A gap squeezed to fit: full scale for a third of it after the row and before the next, squeezed between,
  // so arrows that leave or reach a row keep their true slant.
  const a = g / 3;
  const ua = a / pps;
  if (u <= ua) return y + u * pps;
  if (span - u <= ua) return y + g - (span - u) * pps;
  return y + a + ((u - ua) / (span - 2 * ua)) * (g - 2 * a);
}

function newBase(
  participants: LadderParticipants,
  rows: readonly LadderRow[],
  o: LadderOptions,
  timing: LadderTiming,
): LadderBase {
  const { lanes, width } = laneLayouts(participants, rows, o);
  if (timing.captureSide) for (const l of lanes) l.captured = l.id === timing.captureSide;
  const laneIndex = new Map<string, number>();
  lanes.forEach((l, i) => laneIndex.set(l.id, i));
  const timed = o.mode === 'time-true';
  const cap = Math.max(64, rows.length);
  return {
    options: o,
    lanes,
    width,
    timing,
    t0: rows.length ? rows[0].time : 0,
    n: 0,
    laneIndex,
    fromLane: new Uint16Array(cap),
    toLane: new Uint16Array(cap),
    unitTop: timed ? new Float64Array(cap) : null,
    unitSend: timed ? new Float64Array(cap) : null,
    unitArrive: timed ? new Float64Array(cap) : null,
    maxSlantStable: -Infinity,
    open: [],
    lastFlat: -1,
    lead: timed ? leadOf(rows, timing, o) : 0,
    notes: [],
    st: {
      prevA: new Map(),
      prevB: new Map(),
      cur: -1,
      pa: undefined,
      pb: undefined,
      sessions: 0,
      lastRow: new Map(),
    },
  };
}

/** Lays out rows `[base.n, rows.length)` into the base (and re-lays the arrows that reached past the old last row). */
function growBase(b: LadderBase, rows: readonly LadderRow[]): void {
  const o = b.options;
  const n0 = b.n;
  const n = rows.length;
  if (n <= n0) return;
  b.fromLane = grow(b.fromLane, n);
  b.toLane = grow(b.toLane, n);
  const lanes = b.lanes;
  const dfltB = Math.min(1, lanes.length - 1);
  for (let i = n0; i < n; i++) {
    const r = rows[i];
    const la = r.laneA === undefined ? 0 : (b.laneIndex.get(r.laneA) ?? 0);
    const lb = r.laneB === undefined ? dfltB : (b.laneIndex.get(r.laneB) ?? 0);
    b.fromLane[i] = r.dir === 'ab' ? la : lb;
    b.toLane[i] = r.dir === 'ab' ? lb : la;
  }
  if (b.unitTop && b.unitSend && b.unitArrive) {
    const top = (b.unitTop = grow(b.unitTop, n));
    const send = (b.unitSend = grow(b.unitSend, n));
    const arrive = (b.unitArrive = grow(b.unitArrive, n));
    const pps = b.timing.pxPerSecond;
    const maxGap = o.maxGap;
    for (let i = n0; i < n; i++) {
      if (i === 0) top[0] = b.lead;
      else {
        const dt = Math.max(0, rows[i].time - rows[i - 1].time);
        top[i] = top[i - 1] + Math.min(maxGap, Math.max(o.rowHeight, dt * pps));
      }
    }
    const lastT = rows[n - 1].time;
    const open: number[] = [];
    const place = (i: number): void => {
      const t = arrowTimes(rows[i], b.timing);
      if (!t) {
        send[i] = NaN;
        arrive[i] = NaN;
        if (i > b.lastFlat) b.lastFlat = i;
        return;
      }
      send[i] = unitYAt(rows, n, top, t[0], i, pps, maxGap);
      arrive[i] = unitYAt(rows, n, top, t[1], i, pps, maxGap);
      if (t[0] >= lastT || t[1] >= lastT) open.push(i);
      else b.maxSlantStable = Math.max(b.maxSlantStable, send[i], arrive[i]);
    };
    for (const i of b.open) place(i);
    for (let i = n0; i < n; i++) place(i);
    b.open = open;
  }
  notesFor(b, rows, n0, n);
  b.n = n;
}

/** The state pass over rows `[from, to)`: records every change (and each side's first state) as a note. */
function notesFor(b: LadderBase, rows: readonly LadderRow[], from: number, to: number): void {
  const st = b.st;
  const { fromLane, toLane, notes } = b;
  let { cur, pa, pb } = st;
  const note = (
    pos: number,
    session: number,
    side: 'a' | 'b',
    from: TcpState | null,
    to: TcpState,
    ab: boolean,
  ): void => {
    const atSend = (side === 'a') === ab;
    notes.push({ pos, session, side, from, to, lane: atSend ? fromLane[pos] : toLane[pos], atSend });
  };
  for (let i = from; i < to; i++) {
    const r = rows[i];
    const s = r.session ?? 0;
    if (s !== cur) {
      if (cur >= 0) {
        st.prevA.set(cur, pa);
        st.prevB.set(cur, pb);
      }
      if (!st.prevA.has(s)) st.sessions++;
      cur = s;
      pa = st.prevA.get(s);
      pb = st.prevB.get(s);
    }
    st.lastRow.set(s, i);
    const ab = r.dir === 'ab';
    const changes = r.changes;
    if (changes !== undefined && changes.length) {
      for (const c of changes) note(i, s, c.side, c.from, c.to, ab);
      if (pa === undefined && !changes.some((c) => c.side === 'a')) note(i, s, 'a', null, r.stateA, ab);
      if (pb === undefined && !changes.some((c) => c.side === 'b')) note(i, s, 'b', null, r.stateB, ab);
    } else {
      if (pa !== r.stateA) note(i, s, 'a', pa ?? null, r.stateA, ab);
      if (pb !== r.stateB) note(i, s, 'b', pb ?? null, r.stateB, ab);
    }
    pa = r.stateA;
    pb = r.stateB;
  }
  st.cur = cur;
  st.pa = pa;
  st.pb = pb;
  // The open session's states are read from the locals above on the next append; keep the maps in step too.
  if (cur >= 0) {
    st.prevA.set(cur, pa);
    st.prevB.set(cur, pb);
  }
}

/** Top of row `i` (content y). */
export function rowTop(l: LadderLayout, i: number): number {
  const u = l.base.unitTop;
  return u ? l.options.padding + l.options.zoom * u[i] : l.options.padding + i * l.pitch;
}

/** Where row `i`'s arrow leaves its sender (content y). */
export function sendAt(l: LadderLayout, i: number): number {
  const u = l.base.unitSend ? l.base.unitSend[i] : NaN;
  if (u !== u) return rowTop(l, i) + l.labelOffset;
  return Math.max(0, l.options.padding + l.labelOffset + l.options.zoom * u);
}

/** Where row `i`'s arrow reaches its receiver (content y). */
export function arriveAt(l: LadderLayout, i: number): number {
  const u = l.base.unitArrive ? l.base.unitArrive[i] : NaN;
  if (u !== u) return rowTop(l, i) + l.labelOffset + l.arrowDrop;
  return Math.max(sendAt(l, i), l.options.padding + l.labelOffset + l.options.zoom * u);
}

const EMPTY = new Float64Array(0);

/** The layout of a base at a zoom (and numbering): positions are read through the base, bands re-placed. */
function layoutAt(b: LadderBase, o: LadderOptions): LadderLayout {
  const z = o.zoom;
  const n = b.n;
  const pitch = o.rowHeight * z;
  const showLabels = pitch >= LABEL_PITCH;
  const l: LadderLayout = {
    options: o,
    width: b.width,
    lanes: b.lanes,
    rowCount: n,
    pitch,
    showLabels,
    labelOffset: showLabels ? o.labelSpace : pitch * 0.25,
    arrowDrop: showLabels ? o.slant : Math.max(1, pitch * 0.3),
    rowY: EMPTY,
    sendY: EMPTY,
    arriveY: EMPTY,
    fromLane: b.fromLane.subarray(0, n),
    toLane: b.toLane.subarray(0, n),
    height: o.padding * 2,
    t0: b.t0,
    timing: b.timing,
    bands: [],
    changes: [],
    base: b,
  };
  // Typed arrays of every row's positions, for exports and tests: made on first use (O(rows)).
  let arrays: { rowY: Float64Array; sendY: Float64Array; arriveY: Float64Array } | null = null;
  const materialize = (): NonNullable<typeof arrays> => {
    if (arrays) return arrays;
    const rowY = new Float64Array(n);
    const sendY = new Float64Array(n);
    const arriveY = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      rowY[i] = rowTop(l, i);
      sendY[i] = sendAt(l, i);
      arriveY[i] = arriveAt(l, i);
    }
    return (arrays = { rowY, sendY, arriveY });
  };
  Object.defineProperties(l, {
    rowY: { get: () => materialize().rowY, enumerable: false },
    sendY: { get: () => materialize().sendY, enumerable: false },
    arriveY: { get: () => materialize().arriveY, enumerable: false },
  });
  if (n === 0) return l;
  // The lowest arrow end: the last flat row's, or the greatest slanted one's.
  let bottom: number;
  if (b.unitArrive) {
    let m = b.maxSlantStable;
    for (const i of b.open) m = Math.max(m, b.unitSend![i], b.unitArrive[i]);
    bottom = Number.isFinite(m) ? Math.max(0, o.padding + l.labelOffset + z * m) : 0;
    if (b.lastFlat >= 0) bottom = Math.max(bottom, arriveAt(l, b.lastFlat));
  } else bottom = arriveAt(l, n - 1);
  l.height = Math.max(rowTop(l, n - 1) + pitch, bottom + pitch / 2) + o.padding;
  const { bands, changes } = placeStates(l, b, l.height - o.padding);
  l.bands = bands;
  l.changes = changes;
  return l;
}

/** Bands and change annotations of a base's notes at a layout's positions. */
function placeStates(
  l: LadderLayout,
  b: LadderBase,
  endY: number,
): { bands: StateBand[]; changes: StateChange[] } {
  const o = l.options;
  const lanes = b.lanes;
  const bands: StateBand[] = [];
  const changes: StateChange[] = [];
  // Open band per (session, side).
  const open = new Map<string, StateBand>();
  const lastNoteY = new Map<number, number>();
  const lastLane = lanes.length - 1;
  for (const nt of b.notes) {
    const { pos: i, side, from, to, lane, session } = nt;
    const y = nt.atSend ? sendAt(l, i) : arriveAt(l, i);
    const k = `${session}:${side}`;
    const band = open.get(k);
    if (band) band.y2 = y;
    // CLOSED is no connection at all: the band just ends.
    if (to === 'CLOSED') open.delete(k);
    else {
      const nb: StateBand = { lane, session, side, state: to, y1: y, y2: y };
      bands.push(nb);
      open.set(k, nb);
    }
    const left = lane === 0 && lastLane > 0;
    const x = lanes[lane]?.x ?? 0;
    // Two changes at the same place on one lifeline (LISTEN, then LISTEN → SYN-RECEIVED) are stacked.
    const ly = lastNoteY.get(lane);
    const ty = ly !== undefined && Math.abs(y - ly) < 12 ? ly + 12 : y;
    lastNoteY.set(lane, ty);
    changes.push({
      lane,
      session,
      side,
      pos: i,
      from,
      to,
      text: from !== null && from !== to ? `${from} → ${to}` : to,
      x: r1(left ? x - 10 : x + 10),
      y: r1(ty + 4),
      anchor: left ? 'end' : 'start',
    });
  }
  for (const band of open.values()) {
    const last = b.st.lastRow.get(band.session);
    const lastY = last === undefined ? band.y1 : arriveAt(l, last);
    band.y2 = b.st.sessions <= 1 ? endY : Math.min(endY, lastY + o.rowHeight * o.zoom);
    if (band.y2 < band.y1) band.y2 = band.y1;
  }
  for (const band of bands) {
    band.y1 = r1(band.y1);
    band.y2 = r1(band.y2);
  }
  changes.sort((p, q) => p.y - q.y || p.pos - q.pos);
  return { bands, changes };
}

/**
 * Lays out the lifelines, every row's position and arrow ends, and the state
 * bands and changes. `previous`: the layout of a prefix of the same rows
 * (rows were appended) whose time scale is kept.
 */
export function layoutLadder(
  participants: LadderParticipants,
  rows: readonly LadderRow[],
  options?: Partial<LadderOptions>,
  previous?: LadderLayout,
): LadderLayout {
  const o = resolveOptions(options);
  const base = newBase(participants, rows, o, resolveTiming(rows, o, previous));
  growBase(base, rows);
  return layoutAt(base, o);
}

/**
 * The same rows at another zoom, or with the other numbering: shares the
 * base, so it costs O(state changes) rather than a layout of every row.
 */
export function adjustLadder(
  layout: LadderLayout,
  change: { zoom?: number; numbers?: LadderNumbers },
): LadderLayout {
  const o = resolveOptions({ ...layout.options, ...change });
  if (o.zoom === layout.options.zoom && o.numbers === layout.options.numbers) return layout;
  return layoutAt(layout.base, o);
}

/**
 * The layout after rows were appended to the same rows: earlier rows keep
 * their positions (the time scale and capture side are kept), and only the
 * appended rows are laid out. Returns the same layout when nothing was
 * appended.
 */
export function extendLadder(
  layout: LadderLayout,
  participants: LadderParticipants,
  rows: readonly LadderRow[],
): LadderLayout {
  if (rows.length === layout.rowCount) return layout;
  const o = layout.options;
  if (rows.length < layout.rowCount) return layoutLadder(participants, rows, o);
  const b = layout.base;
  const timed = o.mode === 'time-true';
  // The base may have grown past this layout (another layout of it was extended): start again from the rows.
  const reusable =
    b.n === layout.rowCount &&
    (!timed || layout.rowCount >= 3) &&
    (!timed || layout.rowCount >= 64 || leadOf(rows, b.timing, o) === b.lead);
  if (!reusable) return layoutLadder(participants, rows, o, layout);
  // Roles come from the first rows, which may just have arrived; lane order and places stay.
  const { lanes } = laneLayouts(participants, rows, o);
  if (lanes.length === b.lanes.length && lanes.every((l, i) => l.id === b.lanes[i].id)) {
    for (const l of lanes) l.captured = l.id === b.timing.captureSide;
    b.lanes = lanes;
  } else return layoutLadder(participants, rows, o, layout);
  growBase(b, rows);
  return layoutAt(b, o);
}

/** First row whose bottom is below `y` (binary search over row positions). */
export function rowAtY(layout: LadderLayout, y: number): number {
  let lo = 0;
  let hi = layout.rowCount;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rowTop(layout, mid) + layout.pitch <= y) lo = mid + 1;
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

/** Bands that intersect `[top, bottom)`. */
export function bandsInView(layout: LadderLayout, top: number, bottom: number): StateBand[] {
  return layout.bands.filter((b) => b.y2 >= top && b.y1 < bottom);
}

/** State changes whose annotation lies in `[top, bottom)` (widened a little). */
export function changesInView(layout: LadderLayout, top: number, bottom: number): StateChange[] {
  const c = layout.changes;
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[mid].y < top - 20) lo = mid + 1;
    else hi = mid;
  }
  const out: StateChange[] = [];
  for (let i = lo; i < c.length && c[i].y < bottom + 20; i++) out.push(c[i]);
  return out;
}

function fmtTime(dt: number): string {
  return dt.toFixed(6);
}

/** A row's join key, unique across the sessions of a diagram: its index, or "session:index". */
export function rowKey(row: LadderRow): string {
  return row.session === undefined ? String(row.index) : `${row.session}:${row.index}`;
}

/** The arrow of the row at position `i` of `rows` (the rows the layout was made from). */
export function arrowFor(layout: LadderLayout, rows: readonly LadderRow[], i: number): ArrowLayout {
  const o = layout.options;
  const row = rows[i];
  const from = layout.lanes[layout.fromLane[i]];
  const to = layout.lanes[layout.toLane[i]];
  const top = rowTop(layout, i);
  const fromX = from.x;
  const fullX = to.x;
  const y1 = sendAt(layout, i);
  const fullY = arriveAt(layout, i);
  const dropped = row.dropped === true;
  const toX = dropped ? (fromX + fullX) / 2 : fullX;
  const y2 = dropped ? (y1 + fullY) / 2 : fullY;
  const dx = toX - fromX;
  const dy = y2 - y1;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const hl = dropped ? 0 : Math.min(o.headLength, len / 2);
  const bx = toX - ux * hl;
  const by = y2 - uy * hl;
  const px = -uy * o.headWidth;
  const py = ux * o.headWidth;
  const shaft = `M${r1(fromX)},${r1(y1)}L${r1(bx)},${r1(by)}`;
  const head = dropped
    ? ''
    : `M${r1(toX)},${r1(y2)}L${r1(bx + px)},${r1(by + py)}L${r1(bx - px)},${r1(by - py)}Z`;
  const c = 5;
  const cross = dropped
    ? `M${r1(toX - c)},${r1(y2 - c)}L${r1(toX + c)},${r1(y2 + c)}M${r1(toX - c)},${r1(y2 + c)}L${r1(toX + c)},${r1(y2 - c)}`
    : '';
  const label = segmentLabel(row, o.numbers);
  const fdx = fullX - fromX;
  const fdy = fullY - y1;
  const angle = (Math.atan2(fdy, fdx) * 180) / Math.PI;
  // Keep text upright: for right-to-left arrows read the angle the other way round.
  const textAngle = fdx >= 0 ? angle : angle - 180;
  const midX = (fromX + fullX) / 2;
  const midY = (y1 + fullY) / 2;
  const time = fmtTime(row.time - layout.t0);
  const tags = rowTags(row);
  const note = [label.isn, label.options].filter((s) => s !== '').join('  ·  ');
  const session = row.session ?? 0;
  const sender = row.dir === 'ab' ? 'A→B' : 'B→A';
  const explain = row.explain?.text ?? '';
  const title =
    `#${row.frame} ${sender} ${label.flags} ${label.numbers}` +
    (label.options ? ` ${label.options}` : '') +
    (tags.length ? ` [${tags.map((t) => t.text).join(', ')}]` : '') +
    ` · t=${time}s`;
  const minX = Math.min(from.x, to.x);
  const noteY = midY + 15;
  return {
    key: rowKey(row),
    index: row.index,
    session,
    pos: i,
    frame: row.frame,
    dir: row.dir,
    kind: segmentKind(row.flags, row.len),
    dropped,
    injected: row.injected === true,
    dashed: row.injected === true || row.analysis.includes('retransmission'),
    x1: r1(fromX),
    y1: r1(y1),
    x2: r1(toX),
    y2: r1(y2),
    shaft,
    head,
    cross,
    hit: { x: r1(minX), y: r1(top), width: r1(Math.abs(to.x - from.x)), height: r1(layout.pitch) },
    labelX: r1(midX),
    labelY: r1(midY - 6),
    angle: r1(textAngle),
    flagsText: label.flags,
    numbersText: label.numbers,
    optionsText: label.options,
    isnText: label.isn,
    noteText: note,
    noteY: r1(noteY),
    tags,
    tagsY: r1(note ? noteY + 13 : noteY),
    explainText: explain,
    timeText: time,
    frameText: `#${row.frame}`,
    timeY: r1(top + (layout.showLabels ? o.labelSpace : layout.pitch * 0.25) + 4),
    title,
    showLabels: layout.showLabels,
  };
}

/** Arrows of the rows at positions `[start, end)`. */
export function arrowsInRange(
  layout: LadderLayout,
  rows: readonly LadderRow[],
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
  const rt = rowTop(layout, index);
  const y = Math.min(rt, sendAt(layout, index) - layout.options.labelSpace);
  const bottom = Math.max(rt + layout.pitch, arriveAt(layout, index) + 8);
  if (y < top) return Math.max(0, y - layout.options.padding);
  if (bottom > top + height) return Math.max(0, bottom - height + layout.options.padding);
  return top;
}

/** Content y at which row `index` starts (its label top), for keeping a row at the same place across relayouts. */
export function rowAnchorY(layout: LadderLayout, index: number): number {
  if (index < 0 || index >= layout.rowCount) return 0;
  return rowTop(layout, index);
}

/** The first row at or after `from` (or before, with `step` −1) whose kind is one of `kinds`, or −1. */
export function findRow(
  rows: readonly SegmentRow[],
  from: number,
  step: 1 | -1,
  kinds: ReadonlySet<SegmentKind>,
): number {
  for (let i = from; i >= 0 && i < rows.length; i += step) {
    if (kinds.has(segmentKind(rows[i].flags, rows[i].len))) return i;
  }
  return -1;
}
