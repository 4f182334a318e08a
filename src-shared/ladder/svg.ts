/**
 * The ladder as SVG text, from the pure layout: a pure string renderer (no
 * DOM) so one drawing serves the app's "Export SVG/PNG" and the CLI's
 * `tcplab ladder --svg/--png`. It draws the lane header, the lifelines with
 * their state bands and change annotations, and for each row in the range its
 * arrow (dashed for retransmissions and injections, stopping half way at a ✕
 * when lost), label, ISN/options line, analysis tags, time and frame — the
 * same geometry the live D3 drawing uses. Every colour and font is an inline
 * presentation attribute (no CSS), so browsers, resvg and Inkscape agree; the
 * light and dark palettes match the app's themes. Output is deterministic,
 * which the snapshot tests rely on.
 */
import type { LadderLayout, LadderRow, SegmentKind, StateGroup } from './layout';
import { arriveAt, arrowsInRange, bandsInView, changesInView, rowTop, sendAt, stateGroup } from './layout';

export type LadderTheme = 'light' | 'dark';

export interface LadderPalette {
  bg: string;
  fg: string;
  muted: string;
  lifeline: string;
  kinds: Record<SegmentKind, string>;
  bands: Record<StateGroup, string>;
  bandOpacity: number;
  tags: { info: string; warn: string; bad: string };
}

export const LADDER_PALETTES: Readonly<Record<LadderTheme, LadderPalette>> = {
  light: {
    bg: '#ffffff',
    fg: '#1d2330',
    muted: '#5d6778',
    lifeline: '#9aa3b2',
    kinds: {
      syn: '#15803d',
      fin: '#7c3aed',
      rst: '#dc2626',
      data: '#1d4ed8',
      ack: '#6b7280',
      other: '#5d6778',
    },
    bands: {
      closed: '#9ca3af',
      listen: '#0ea5e9',
      opening: '#f59e0b',
      established: '#16a34a',
      closing: '#8b5cf6',
      'time-wait': '#64748b',
    },
    bandOpacity: 0.35,
    tags: { info: '#0369a1', warn: '#b45309', bad: '#b91c1c' },
  },
  dark: {
    bg: '#15181e',
    fg: '#e6e9ef',
    muted: '#9aa3b2',
    lifeline: '#566074',
    kinds: {
      syn: '#4ade80',
      fin: '#c4b5fd',
      rst: '#f87171',
      data: '#7fb0ff',
      ack: '#a3aab8',
      other: '#9aa3b2',
    },
    bands: {
      closed: '#6b7280',
      listen: '#38bdf8',
      opening: '#fbbf24',
      established: '#4ade80',
      closing: '#a78bfa',
      'time-wait': '#94a3b8',
    },
    bandOpacity: 0.45,
    tags: { info: '#7dd3fc', warn: '#fbbf24', bad: '#f87171' },
  },
};

export const SVG_FONT = "'DejaVu Sans', 'Noto Sans', Arial, Helvetica, sans-serif";
export const SVG_MONO = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";
/** Height of the lane header in exported drawings. */
export const SVG_HEADER = 50;

export interface LadderSvgOptions {
  /** Rows `[start, end)` to draw; the whole layout by default. */
  start?: number;
  end?: number;
  theme?: LadderTheme;
  /** A title line above the header. */
  title?: string;
  /** A legend of the colours at the bottom (default true). */
  legend?: boolean;
}

/** Escapes text for SVG content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

const f1 = (n: number): string => String(Math.round(n * 10) / 10);

/** The content range `[top, bottom)` that rows `[start, end)` occupy, labels and bands included. */
export function rowsExtent(
  layout: LadderLayout,
  start: number,
  end: number,
): { top: number; bottom: number } {
  if (start <= 0 && end >= layout.rowCount) return { top: 0, bottom: layout.height };
  if (end <= start) return { top: 0, bottom: 0 };
  const o = layout.options;
  let top = Infinity;
  let bottom = -Infinity;
  for (let i = start; i < end; i++) {
    const rt = rowTop(layout, i);
    top = Math.min(top, rt, sendAt(layout, i) - o.labelSpace);
    bottom = Math.max(bottom, rt + layout.pitch, arriveAt(layout, i) + 30);
  }
  return { top: Math.max(0, top - 6), bottom: Math.min(layout.height, bottom) };
}

/** Renders rows `[start, end)` of a laid-out ladder as a standalone SVG document. */
export function ladderSvg(
  layout: LadderLayout,
  rows: readonly LadderRow[],
  opts: LadderSvgOptions = {},
): string {
  const p = LADDER_PALETTES[opts.theme ?? 'light'];
  const start = Math.max(0, opts.start ?? 0);
  const end = Math.min(layout.rowCount, rows.length, opts.end ?? layout.rowCount);
  const { top, bottom } = rowsExtent(layout, start, end);
  const titleH = opts.title ? 28 : 0;
  const legendH = opts.legend === false ? 0 : 30;
  const headerH = SVG_HEADER + titleH;
  const w = layout.width;
  const h = Math.ceil(headerH + (bottom - top) + legendH);
  const out: string[] = [];
  const push = (s: string): void => {
    out.push(s);
  };
  push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
      `font-family="${xmlEscape(SVG_FONT)}" font-size="12">`,
  );
  push(`<rect x="0" y="0" width="${w}" height="${h}" fill="${p.bg}"/>`);
  if (opts.title) {
    push(
      `<text x="12" y="20" font-size="14" font-weight="700" fill="${p.fg}">${xmlEscape(opts.title)}</text>`,
    );
  }
  // Header: role over address, per lane; the time column's heading.
  push(`<g transform="translate(0,${titleH})">`);
  push(`<text x="8" y="34" font-size="11" fill="${p.muted}">time (s)</text>`);
  for (const l of layout.lanes) {
    const role = (l.roleLabel + (l.captured ? ' · capture point' : '')).toUpperCase();
    if (role) {
      push(
        `<text x="${l.x}" y="17" text-anchor="middle" font-size="11" font-weight="700" letter-spacing="0.06em" ` +
          `fill="${p.muted}">${xmlEscape(role)}</text>`,
      );
    }
    push(
      `<text x="${l.x}" y="36" text-anchor="middle" font-family="${xmlEscape(SVG_MONO)}" font-weight="700" ` +
        `fill="${p.fg}">${xmlEscape(l.label)}</text>`,
    );
  }
  push(`</g>`);
  push(`<g transform="translate(0,${f1(headerH - top)})">`);
  // State bands beside (behind) the lifelines, then the lifelines.
  const bw = layout.options.bandWidth;
  for (const b of bandsInView(layout, top, bottom)) {
    const lane = layout.lanes[b.lane];
    if (!lane) continue;
    const y1 = Math.max(top, b.y1);
    const y2 = Math.min(bottom, b.y2);
    if (y2 <= y1) continue;
    push(
      `<rect x="${f1(lane.x - bw / 2)}" y="${f1(y1)}" width="${bw}" height="${f1(y2 - y1)}" ` +
        `fill="${p.bands[stateGroup(b.state)]}" fill-opacity="${p.bandOpacity}"><title>${xmlEscape(b.state)}</title></rect>`,
    );
  }
  for (const l of layout.lanes) {
    push(
      `<line x1="${l.x}" y1="${f1(top)}" x2="${l.x}" y2="${f1(bottom)}" stroke="${p.lifeline}" stroke-width="2"/>`,
    );
  }
  for (const c of changesInView(layout, top, bottom)) {
    if (c.pos < start || c.pos >= end) continue;
    push(
      `<text x="${c.x}" y="${c.y}" text-anchor="${c.anchor}" font-size="10.5" font-weight="${c.from !== null ? 700 : 400}" ` +
        `fill="${c.from !== null ? p.fg : p.muted}">${xmlEscape(c.text)}</text>`,
    );
  }
  for (const a of arrowsInRange(layout, rows, start, end)) {
    const colour = p.kinds[a.kind];
    push(`<g data-index="${a.index}">`);
    push(
      `<path d="${a.shaft}" fill="none" stroke="${colour}" stroke-width="1.6"` +
        (a.dashed ? ' stroke-dasharray="6 4"' : '') +
        '/>',
    );
    if (a.head) push(`<path d="${a.head}" fill="${colour}"/>`);
    if (a.cross) push(`<path d="${a.cross}" fill="none" stroke="${p.kinds.rst}" stroke-width="2.2"/>`);
    if (a.showLabels) {
      const rot = (y: number): string => (a.angle ? ` transform="rotate(${a.angle} ${a.labelX} ${y})"` : '');
      push(
        `<text x="${a.labelX}" y="${a.labelY}" text-anchor="middle"${rot(a.labelY)}>` +
          `<tspan font-weight="700" fill="${colour}">${xmlEscape(a.flagsText)}</tspan>` +
          `<tspan dx="0.6em" font-family="${xmlEscape(SVG_MONO)}" font-size="11" fill="${p.fg}">${xmlEscape(a.numbersText)}</tspan>` +
          `</text>`,
      );
      if (a.noteText) {
        push(
          `<text x="${a.labelX}" y="${a.noteY}" text-anchor="middle" font-family="${xmlEscape(SVG_MONO)}" ` +
            `font-size="10.5" fill="${p.muted}"${rot(a.noteY)}>${xmlEscape(a.noteText)}</text>`,
        );
      }
      if (a.tags.length) {
        const spans = a.tags
          .map(
            (t, k) =>
              `${k ? `<tspan fill="${p.muted}"> · </tspan>` : ''}<tspan fill="${p.tags[t.level]}">${xmlEscape(t.text)}</tspan>`,
          )
          .join('');
        push(
          `<text x="${a.labelX}" y="${a.tagsY}" text-anchor="middle" font-size="10.5" font-weight="700"${rot(a.tagsY)}>${spans}</text>`,
        );
      }
      push(
        `<text x="8" y="${a.timeY}" font-family="${xmlEscape(SVG_MONO)}" font-size="10.5" fill="${p.muted}">${a.timeText}</text>`,
      );
      push(
        `<text x="8" y="${f1(a.timeY + 13)}" font-family="${xmlEscape(SVG_MONO)}" font-size="10.5" fill="${p.muted}">${a.frameText}</text>`,
      );
    }
    push(`</g>`);
  }
  push(`</g>`);
  if (legendH) {
    const y = h - 11;
    let x = 12;
    const keys: Array<[SegmentKind, string]> = [
      ['syn', 'SYN'],
      ['fin', 'FIN'],
      ['rst', 'RST'],
      ['data', 'data'],
      ['ack', 'ACK'],
    ];
    for (const [k, text] of keys) {
      push(
        `<line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${p.kinds[k]}" stroke-width="3"/>`,
      );
      push(
        `<text x="${x + 22}" y="${y}" font-size="11" font-weight="700" fill="${p.kinds[k]}">${text}</text>`,
      );
      x += 30 + text.length * 8;
    }
    const groups: Array<[StateGroup, string]> = [
      ['opening', 'opening'],
      ['established', 'established'],
      ['closing', 'closing'],
      ['time-wait', 'TIME-WAIT'],
    ];
    x += 12;
    for (const [g, text] of groups) {
      push(
        `<rect x="${x}" y="${y - 10}" width="8" height="12" fill="${p.bands[g]}" fill-opacity="${p.bandOpacity}"/>`,
      );
      push(`<text x="${x + 12}" y="${y}" font-size="11" fill="${p.muted}">${text}</text>`);
      x += 22 + text.length * 6.5;
    }
  }
  push(`</svg>`);
  return out.join('\n') + '\n';
}
