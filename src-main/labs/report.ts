/**
 * The hand-in report of a lab: one self-contained HTML file (inline CSS, the
 * ladder as inline SVG from the shared renderer, no scripts that run) with
 * the learner's name, the score, every check with its result, the answers,
 * the predictions and the actions taken — and a machine-readable JSON block
 * (`<script type="application/json" id="tcplab-report">`) that `tcplab lab
 * grade` reads back and re-grades. Also the same report as a small PDF drawn
 * with the built-in writer (text and vector lines), for hosts without a
 * browser engine.
 */
import {
  labQuestions,
  markdownToHtml,
  REPORT_SCRIPT_ID,
  type LabAttempt,
  type LabFile,
  type LabGrade,
  type LabReportData,
  type PredictTruth,
} from '../../src-shared/labs';
import type { Endpoint, SegmentRow } from '../../src-shared/session';
import { flagNames } from '../../src-shared/tcp';
import { layoutLadder } from '../../src-shared/ladder/layout';
import { ladderSvg } from '../../src-shared/ladder/svg';
import { PdfWriter, wrap } from './pdf';
import { actionText } from './runner';

export interface ReportInput {
  lab: LabFile;
  learner: string;
  attempt: LabAttempt;
  grade: LabGrade;
  rows: SegmentRow[];
  endpoints: { a: Endpoint; b: Endpoint };
  truths: PredictTruth[];
  /** ISO time of the export (tests pass a fixed one). */
  created?: string;
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );

export function reportData(r: ReportInput): LabReportData {
  return {
    format: 'tcplab-report',
    version: 1,
    lab: { id: r.lab.id, title: r.lab.title },
    learner: r.learner,
    created: r.created ?? new Date().toISOString(),
    attempt: r.attempt,
    grade: {
      score: r.grade.score,
      max: r.grade.max,
      checks: r.grade.checks.map((c) => ({ id: c.id, passed: c.passed, earned: c.earned })),
    },
  };
}

/** A file name for the report: `tcplab-<lab>-<learner>.html`. */
export function reportFileName(labId: string, learner: string, ext: 'html' | 'pdf'): string {
  const who =
    learner
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'learner';
  return `tcplab-${labId}-${who}.${ext}`;
}

const STYLE = `
body{font:15px/1.45 'DejaVu Sans',Arial,sans-serif;color:#1d2330;max-width:960px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ccd;padding-bottom:2px}
.muted{color:#5d6778}.score{font-size:20px;font-weight:bold}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccd;padding:4px 6px;text-align:left;vertical-align:top}
.pass{color:#15803d;font-weight:bold}.fail{color:#b91c1c;font-weight:bold}
.ladder{overflow-x:auto;border:1px solid #ccd;margin-top:8px}code{background:#f1f3f7;padding:0 3px}
@media print{.ladder{overflow:visible}}`;

/** The self-contained HTML report. */
export function reportHtml(r: ReportInput): string {
  const data = reportData(r);
  const g = r.grade;
  const qs = labQuestions(r.lab);
  const checks = g.checks
    .map(
      (c) =>
        `<tr><td>${esc(c.text)}</td><td class="${c.passed ? 'pass' : 'fail'}">${c.passed ? '✓ passed' : '✗ failed'}</td>` +
        `<td>${c.earned} / ${c.points}</td><td class="muted">${esc(c.detail)}</td></tr>`,
    )
    .join('');
  const answers = qs.length
    ? `<h2>Answers</h2><table><tr><th>Question</th><th>Answer</th></tr>${qs
        .map(
          (q) =>
            `<tr><td>${markdownToHtml(q.text)}</td><td>${esc(r.attempt.answers[q.id] ?? '') || '<span class="muted">(no answer)</span>'}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const preds = r.truths.length
    ? `<h2>Predictions</h2><table><tr><th>#</th><th>Predicted</th><th>Actual</th><th>Right</th></tr>${r.truths
        .map((t, i) => {
          const p = r.attempt.predictions[i];
          const s = g.predictions?.perSegment[i];
          const right = s ? [s.flags, s.seq, s.ack, s.state].filter(Boolean).length : 0;
          return (
            `<tr><td>${i + 1}</td><td>${p ? esc(`${p.flags} seq ${p.seq} ack ${p.ack} → ${p.state}`) : '<span class="muted">(none)</span>'}</td>` +
            `<td>${esc(`${t.from}: ${t.flags.join(', ')} seq ${t.relSeq} ack ${t.flags.includes('ACK') ? t.relAck : '-'} → ${t.state}`)}<br><span class="muted">${esc(t.explain.text)}</span></td><td>${right} / 4</td></tr>`
          );
        })
        .join('')}</table>`
    : '';
  const actions = r.attempt.actions.length
    ? `<h2>Actions</h2><ul>${r.attempt.actions.map((a) => `<li>${esc(actionText(a))}</li>`).join('')}</ul>`
    : '';
  let ladder = '';
  if (r.rows.length) {
    const layout = layoutLadder(r.endpoints, r.rows, { width: 900 });
    ladder = `<h2>Ladder</h2><div class="ladder">${ladderSvg(layout, r.rows, { title: r.lab.title }).replace(/^<\?xml[^>]*>\s*/, '')}</div>`;
  }
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.lab.title)} — ${esc(r.learner || 'learner')}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>${STYLE}</style></head><body>
<h1>${esc(r.lab.title)}</h1>
<p class="muted">TCP Lab report · learner <strong data-field="learner">${esc(r.learner || '(no name)')}</strong> · ${esc(data.created)}</p>
<p class="score">Score: <span data-field="score">${g.score}</span> / <span data-field="max">${g.max}</span></p>
<h2>Objectives</h2><ul>${r.lab.objectives.map((o) => `<li>${esc(o)}</li>`).join('')}</ul>
<h2>Checks</h2><table><tr><th>Check</th><th>Result</th><th>Points</th><th>Details</th></tr>${checks}</table>
${answers}${preds}${actions}${ladder}
<script type="application/json" id="${REPORT_SCRIPT_ID}">${json}</script>
</body></html>
`;
}

/** Reads the embedded JSON back from a report; null when the file holds none. */
export function extractReport(html: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${REPORT_SCRIPT_ID}">([\\s\\S]*?)</script>`).exec(
    html,
  );
  if (!m) return null;
  try {
    return JSON.parse(m[1]);
  } catch {
    return null;
  }
}

/** The report as a PDF: title, score, checks, answers, predictions and the ladder as lines and arrows. */
export function reportPdf(r: ReportInput): Uint8Array {
  const pdf = new PdfWriter();
  const L = 50;
  const W = 495;
  let y = 60;
  const need = (h: number): void => {
    if (y + h > 800) {
      pdf.addPage();
      y = 60;
    }
  };
  const para = (
    s: string,
    size = 10,
    opts: { bold?: boolean; color?: [number, number, number] } = {},
  ): void => {
    for (const line of wrap(s, size, W)) {
      need(size + 4);
      pdf.text(L, y, line, size, opts);
      y += size + 4;
    }
  };
  para(r.lab.title, 18, { bold: true });
  para(
    `TCP Lab report - learner: ${r.learner || '(no name)'} - ${r.created ?? new Date().toISOString()}`,
    9,
    { color: [0.36, 0.4, 0.47] },
  );
  y += 6;
  para(`Score: ${r.grade.score} / ${r.grade.max}`, 14, { bold: true });
  y += 6;
  para('Checks', 12, { bold: true });
  for (const c of r.grade.checks) {
    para(`${c.passed ? '[passed]' : '[failed]'} ${c.text} (${c.earned}/${c.points})`, 10, {
      color: c.passed ? [0.08, 0.5, 0.24] : [0.72, 0.11, 0.11],
    });
    if (!c.passed) para(`    ${c.detail}`, 8, { color: [0.36, 0.4, 0.47] });
  }
  const qs = labQuestions(r.lab);
  if (qs.length) {
    y += 6;
    para('Answers', 12, { bold: true });
    for (const q of qs)
      para(`${q.text.replace(/[*`]/g, '')}  ->  ${r.attempt.answers[q.id] ?? '(no answer)'}`);
  }
  if (r.truths.length) {
    y += 6;
    para('Predictions', 12, { bold: true });
    r.truths.forEach((t, i) => {
      const p = r.attempt.predictions[i];
      para(
        `${i + 1}. predicted ${p ? `${p.flags} seq ${p.seq} ack ${p.ack} -> ${p.state}` : '(none)'}; actual ${t.flags.join(', ')} seq ${t.relSeq} ack ${t.relAck} -> ${t.state}`,
        9,
      );
    });
  }
  if (r.rows.length) {
    // The ladder: two lifelines, one arrow per segment, the label above it.
    pdf.addPage();
    y = 60;
    para('Ladder', 12, { bold: true });
    const xa = L + 90;
    const xb = L + W - 90;
    pdf.text(xa - 40, y + 4, `${r.endpoints.a.ip}:${r.endpoints.a.port}`, 9, { bold: true });
    pdf.text(xb - 40, y + 4, `${r.endpoints.b.ip}:${r.endpoints.b.port}`, 9, { bold: true });
    y += 16;
    let top = y;
    for (const row of r.rows) {
      if (y + 34 > 800) {
        pdf.line(xa, top, xa, y, 1, [0.6, 0.64, 0.7]);
        pdf.line(xb, top, xb, y, 1, [0.6, 0.64, 0.7]);
        pdf.addPage();
        y = 60;
        top = y;
      }
      const ab = row.dir === 'ab';
      const x1 = ab ? xa : xb;
      const x2 = ab ? xb : xa;
      const flags = flagNames(row.flags);
      const color: [number, number, number] = flags.includes('RST')
        ? [0.86, 0.15, 0.15]
        : flags.includes('SYN')
          ? [0.08, 0.5, 0.24]
          : flags.includes('FIN')
            ? [0.49, 0.23, 0.93]
            : row.len > 0
              ? [0.11, 0.31, 0.85]
              : [0.42, 0.45, 0.5];
      const label = `${flags.join(', ')}  seq=${row.relSeq}${flags.includes('ACK') ? ` ack=${row.relAck}` : ''}${row.len ? ` len=${row.len}` : ''}${row.dropped ? '  (lost)' : ''}`;
      pdf.text(L + W / 2 - 80, y + 8, label, 8, { color });
      pdf.text(L, y + 20, `${row.time.toFixed(3)} s`, 7, { color: [0.36, 0.4, 0.47] });
      const yEnd = y + 26;
      const xEnd = row.dropped ? (x1 + x2) / 2 : x2;
      pdf.line(
        x1,
        y + 14,
        xEnd,
        yEnd,
        1.2,
        color,
        row.injected === true || row.analysis.includes('retransmission'),
      );
      if (!row.dropped) {
        const dir = ab ? -1 : 1;
        pdf.triangle(
          [
            [x2, yEnd],
            [x2 + dir * 7, yEnd - 4],
            [x2 + dir * 7, yEnd + 2],
          ],
          color,
        );
      } else {
        pdf.line(xEnd - 4, yEnd - 4, xEnd + 4, yEnd + 4, 1.2, color);
        pdf.line(xEnd - 4, yEnd + 4, xEnd + 4, yEnd - 4, 1.2, color);
      }
      const grey: [number, number, number] = [0.36, 0.4, 0.47];
      pdf.text(x1 === xa ? L - 10 : xb + 6, y + 17, ab ? row.stateA : row.stateB, 7, { color: grey });
      pdf.text(x2 === xa ? L - 10 : xb + 6, yEnd + 3, ab ? row.stateB : row.stateA, 7, { color: grey });
      y += 34;
    }
    pdf.line(xa, top, xa, y, 1, [0.6, 0.64, 0.7]);
    pdf.line(xb, top, xb, y, 1, [0.6, 0.64, 0.7]);
  }
  return pdf.bytes();
}
