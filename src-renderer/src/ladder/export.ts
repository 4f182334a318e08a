/**
 * Export of the ladder from the renderer: SVG text from the shared pure
 * renderer (`src-shared/ladder/svg`), PNG by drawing that SVG on a canvas
 * (through a blob: image, which the CSP allows), Mermaid and PlantUML text,
 * each handed to the browser as a download. Whole-session exports are capped
 * so a 100,000-segment session cannot build a file no viewer opens; the cap
 * is reported back as a sentence.
 */
import type { LadderLayout, LadderRow } from '../../../src-shared/ladder/layout';
import { ladderSvg, rowsExtent, SVG_HEADER } from '../../../src-shared/ladder/svg';
import { ladderMermaid, ladderPlantUml } from '../../../src-shared/ladder/text';

export type ExportFormat = 'svg' | 'png' | 'mermaid' | 'plantuml';
export type ExportScope = 'view' | 'all';

/** Most rows in one whole-session export. */
export const MAX_EXPORT_ROWS = 20_000;
/** Canvas limit we keep under for PNG (Chromium refuses taller canvases). */
const MAX_CANVAS = 32_000;

export function download(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function svgToPng(svg: string, width: number, height: number, scale: number): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

export interface ExportRequest {
  format: ExportFormat;
  scope: ExportScope;
  layout: LadderLayout;
  rows: readonly LadderRow[];
  /** Rows in view, for scope 'view'. */
  view: { start: number; end: number };
  title: string;
  /** File name without extension. */
  baseName: string;
}

/** Builds and downloads the export; returns a note when the output was cut, else null. */
export async function exportLadder(req: ExportRequest): Promise<string | null> {
  const { layout, rows } = req;
  const start = req.scope === 'view' ? req.view.start : 0;
  let end = req.scope === 'view' ? req.view.end : layout.rowCount;
  let note: string | null = null;
  if (end - start > MAX_EXPORT_ROWS) {
    end = start + MAX_EXPORT_ROWS;
    note = `Exported the first ${MAX_EXPORT_ROWS.toLocaleString('en')} of ${layout.rowCount.toLocaleString('en')} segments.`;
  }
  const name = req.baseName.replace(/[^A-Za-z0-9._-]+/g, '_');
  if (req.format === 'mermaid' || req.format === 'plantuml') {
    const text =
      req.format === 'mermaid'
        ? ladderMermaid(layout, rows, { start, end, title: req.title })
        : ladderPlantUml(layout, rows, { start, end, title: req.title });
    download(
      `${name}.${req.format === 'mermaid' ? 'mmd' : 'puml'}`,
      new Blob([text], { type: 'text/plain' }),
    );
    return note;
  }
  if (req.format === 'png') {
    // Keep the canvas within what Chromium draws: cut rows until the picture fits.
    const scale = 2;
    const fits = (e: number): boolean => {
      const { top, bottom } = rowsExtent(layout, start, e);
      return (bottom - top + SVG_HEADER + 60) * scale <= MAX_CANVAS;
    };
    if (!fits(end)) {
      let lo = start + 1;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (fits(mid)) lo = mid;
        else hi = mid - 1;
      }
      note = `The PNG holds segments ${start + 1}–${lo} (a taller picture cannot be drawn); export SVG for all.`;
      end = lo;
    }
    const svg = ladderSvg(layout, rows, { start, end, title: req.title });
    const m = /width="(\d+)" height="(\d+)"/.exec(svg);
    const w = m ? Number(m[1]) : layout.width;
    const h = m ? Number(m[2]) : 600;
    download(`${name}.png`, await svgToPng(svg, w, h, scale));
    return note;
  }
  const svg = ladderSvg(layout, rows, { start, end, title: req.title });
  download(`${name}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
  return note;
}
