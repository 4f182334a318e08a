/**
 * A minimal PDF writer (PDF 1.4): A4 pages of text in the standard
 * Helvetica fonts (no embedding; WinAnsi text, other characters replaced by
 * ASCII look-alikes) and straight vector lines — enough for a lab report with
 * its ladder drawn as lifelines and arrows. It exists so web mode and the CLI
 * can hand in a PDF without a browser; the Electron app prints the HTML
 * report with `webContents.printToPDF` instead (src-main/app/report-pdf.ts).
 */

export const A4 = { width: 595.28, height: 841.89 };

const SUBST: Record<string, string> = {
  '→': '->',
  '←': '<-',
  '—': '-',
  '–': '-',
  '…': '...',
  '✓': 'ok',
  '✗': 'x',
  '✕': 'x',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '≤': '<=',
  '≥': '>=',
  '·': '-',
};

/** Text as a PDF literal string in WinAnsi (Latin-1 range; others substituted). */
function pdfString(s: string): string {
  let out = '';
  for (const ch of s) {
    const sub = SUBST[ch];
    const t = sub ?? ch;
    for (const c of t) {
      const code = c.codePointAt(0) ?? 63;
      if (c === '(' || c === ')' || c === '\\') out += '\\' + c;
      else if (code < 32) out += ' ';
      else if (code < 127) out += c;
      else if (code >= 160 && code <= 255) out += '\\' + code.toString(8).padStart(3, '0');
      else out += '?';
    }
  }
  return `(${out})`;
}

/** Approximate Helvetica width of a string (for wrapping): 0.5 em per character, 0.28 for narrow ones. */
export function textWidth(s: string, size: number): number {
  let w = 0;
  for (const c of s)
    w += /[iljtfI.,:;'|!() ]/.test(c) ? 0.28 : /[mwMW]/.test(c) ? 0.83 : /[A-Z]/.test(c) ? 0.66 : 0.52;
  return w * size;
}

export function wrap(s: string, size: number, width: number): string[] {
  const out: string[] = [];
  for (const para of s.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/)) {
      const next = line ? `${line} ${word}` : word;
      if (textWidth(next, size) > width && line) {
        out.push(line);
        line = word;
      } else line = next;
    }
    out.push(line);
  }
  return out;
}

type Rgb = [number, number, number];

export class PdfWriter {
  private pages: string[][] = [];
  private current: string[] = [];

  constructor() {
    this.addPage();
  }

  addPage(): void {
    this.current = [];
    this.pages.push(this.current);
  }

  /** Text with its baseline at (x, y) from the top-left corner. */
  text(
    x: number,
    y: number,
    s: string,
    size = 10,
    opts: { bold?: boolean; mono?: boolean; color?: Rgb } = {},
  ): void {
    const font = opts.mono ? 'F3' : opts.bold ? 'F2' : 'F1';
    const [r, g, b] = opts.color ?? [0, 0, 0];
    this.current.push(
      `BT ${r} ${g} ${b} rg /${font} ${size} Tf ${x.toFixed(2)} ${(A4.height - y).toFixed(2)} Td ${pdfString(s)} Tj ET`,
    );
  }

  line(
    x1: number,
    y1: number,
    x2: number,
    y2: number,
    width = 1,
    color: Rgb = [0, 0, 0],
    dash = false,
  ): void {
    const [r, g, b] = color;
    this.current.push(
      `q ${r} ${g} ${b} RG ${width} w ${dash ? '[3 2] 0 d ' : ''}${x1.toFixed(2)} ${(A4.height - y1).toFixed(2)} m ${x2.toFixed(2)} ${(A4.height - y2).toFixed(2)} l S Q`,
    );
  }

  /** A filled triangle (arrow heads). */
  triangle(p: Array<[number, number]>, color: Rgb): void {
    const [r, g, b] = color;
    const pts = p.map(([x, y]) => `${x.toFixed(2)} ${(A4.height - y).toFixed(2)}`);
    this.current.push(`q ${r} ${g} ${b} rg ${pts[0]} m ${pts[1]} l ${pts[2]} l h f Q`);
  }

  /** The finished file. */
  bytes(): Uint8Array {
    const objects: string[] = [];
    const add = (body: string): number => {
      objects.push(body);
      return objects.length;
    };
    const catalog = add('');
    const pagesObj = add('');
    const f1 = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
    const f2 = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
    const f3 = add('<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>');
    const kids: number[] = [];
    for (const ops of this.pages) {
      const content = ops.join('\n');
      const c = add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
      kids.push(
        add(
          `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${A4.width} ${A4.height}] ` +
            `/Resources << /Font << /F1 ${f1} 0 R /F2 ${f2} 0 R /F3 ${f3} 0 R >> >> /Contents ${c} 0 R >>`,
        ),
      );
    }
    objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
    objects[pagesObj - 1] =
      `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
    let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
    const offsets: number[] = [];
    objects.forEach((body, i) => {
      offsets.push(Buffer.byteLength(out, 'latin1'));
      out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    });
    const xref = Buffer.byteLength(out, 'latin1');
    out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
    for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
    out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    return new Uint8Array(Buffer.from(out, 'latin1'));
  }
}
